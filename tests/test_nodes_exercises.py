"""The exercises of notebook 06 against live nodes: reference solution, wrong answer, stub."""

import pytest

from chatlib import connect_clients, stop_all
from chatlib.exercises.nodes import this_node_only, who_is_in
from chatlib.scale.cluster import Cluster


@pytest.fixture
async def lesson(redis):
    cluster = Cluster(redis)
    a = await cluster.start_node("node-a")
    b = await cluster.start_node("node-b")
    clients = await connect_clients(a.url, ["alice", "bob"])
    clients += await connect_clients(b.url, ["carol", "dave"])
    await a.sio.enter_room(a.sio.sid_of("bob"), "room1")
    await b.sio.enter_room(b.sio.sid_of("carol"), "room1")
    yield [a, b], clients
    await stop_all()


async def test_this_node_only(lesson):
    nodes, clients = lesson

    async def solution(node, text):
        await node.sio.emit("notice", text, ignore_queue=True)

    async def everyone(node, text):
        await node.sio.emit("notice", text)

    async def stub(node, text):
        raise NotImplementedError

    assert (await this_node_only.check(solution, nodes, clients)).status == "correct"
    wrong = await this_node_only.check(everyone, nodes, clients)
    assert str(wrong) == (
        "incorrect: received by alice, bob, carol, dave; should not reach carol, dave"
    )
    assert (await this_node_only.check(stub, nodes, clients)).status == "not attempted"


async def test_who_is_in(lesson):
    nodes, _ = lesson

    def solution(nodes, room):
        return [
            node.sio.name_of(sid)
            for node in nodes
            for sid, _ in node.sio.manager.get_participants("/", room)
        ]

    def one_node(nodes, room):
        return [
            nodes[0].sio.name_of(sid) for sid, _ in nodes[0].sio.manager.get_participants("/", room)
        ]

    assert str(await who_is_in.check(solution, nodes, "room1")) == "correct: room1: bob, carol"
    assert str(await who_is_in.check(one_node, nodes, "room1")) == "incorrect: you found bob"
