"""The emitter cheatsheet run from a separate process: what python-socketio can do, and what not."""

import pytest

from chatlib import connect_clients, settle, stop_all
from chatlib.scale.cluster import Cluster, run_emitter_lines


@pytest.fixture
async def nodes(redis):
    cluster = Cluster(redis)
    a = await cluster.start_node("node-a")
    b = await cluster.start_node("node-b")
    clients = await connect_clients(a.url, ["alice", "bob"])
    clients += await connect_clients(b.url, ["carol", "dave"])
    await a.sio.enter_room(clients[1].get_sid(), "room1")
    await b.sio.enter_room(clients[2].get_sid(), "room1")
    await b.sio.enter_room(clients[3].get_sid(), "room2")
    yield cluster, a, b, clients
    await stop_all()
    await cluster.stop()


async def test_several_rooms_reach_their_members_on_both_nodes(nodes):
    cluster, a, b, clients = nodes
    code = 'await emitter.emit("news", "r1 r2", to=["room1", "room2"])'
    assert await run_emitter_lines(cluster, code) == "ran"
    assert (await settle(a, b, clients)).receivers("news") == ["bob", "carol", "dave"]


async def test_a_join_from_another_process_reaches_the_node_that_holds_the_socket(nodes):
    cluster, a, b, clients = nodes
    dave = clients[3]
    sids = {"dave": dave.get_sid()}
    code = 'await emitter.enter_room(sids["dave"], "/", "room1")'
    assert await run_emitter_lines(cluster, code, sids) == "ran"
    await settle(a, b, clients)  # the join travels ahead of the nodes' barriers
    assert "room1" in b.sio.rooms(dave.get_sid())


async def test_a_line_python_socketio_cannot_run_says_why(nodes):
    cluster, _a, _b, clients = nodes
    sids = {"alice": clients[0].get_sid()}
    answer = await run_emitter_lines(cluster, 'await emitter.disconnect(sids["alice"], "/")', sids)
    assert answer.startswith("failed: AttributeError")
    assert clients[0].connected
