"""Notebook 07's exercises against live nodes: the reference answer, wrong answers, the stub."""

import pytest

from chatlib import connect_clients, stop_all
from chatlib.exercises.nodes import NOTICE, this_node_only, who_is_in
from chatlib.scale.cluster import Cluster


def keep_names(sio):
    """The lesson's connect handler: the name a client sends is kept in its session."""

    @sio.event
    async def connect(sid, environ, auth):
        await sio.save_session(sid, {"name": (auth or {}).get("name", "anonymous")})


@pytest.fixture
async def lesson(redis):
    cluster = Cluster(redis)
    a = await cluster.start_node("node-a")
    b = await cluster.start_node("node-b")
    for node in (a, b):
        keep_names(node.sio)
    clients = await connect_clients(a.url, ["alice", "bob"])
    clients += await connect_clients(b.url, ["carol", "dave"])
    await a.sio.enter_room(clients[1].get_sid(), "room1")
    await b.sio.enter_room(clients[2].get_sid(), "room1")
    yield [a, b], clients
    await stop_all()
    await cluster.stop()


async def test_this_node_only(lesson):
    nodes, clients = lesson

    async def solution(node, text):
        await node.sio.emit("notice", text, ignore_queue=True)

    async def everyone(node, text):
        await node.sio.emit("notice", text)

    async def own_words(node, text):
        await node.sio.emit("notice", "restarting", ignore_queue=True)

    async def stub(node, text):
        raise NotImplementedError

    assert str(await this_node_only.check(solution, nodes, clients)) == (
        "correct: received by alice, bob"
    )
    wrong = await this_node_only.check(everyone, nodes, clients)
    assert str(wrong) == (
        "incorrect: received by alice, bob, carol, dave; should not reach carol, dave"
    )
    wrong = await this_node_only.check(own_words, nodes, clients)
    assert str(wrong) == (
        "incorrect: 'notice' carried 'restarting'; send the text you are given, once"
    )
    assert NOTICE != "restarting"
    assert (await this_node_only.check(stub, nodes, clients)).status == "not attempted"


async def test_this_node_only_needs_clients_on_both_nodes(lesson):
    nodes, clients = lesson

    async def everyone(node, text):
        await node.sio.emit("notice", text)

    outcome = await this_node_only.check(everyone, nodes, clients[:2])
    assert str(outcome) == (
        "incorrect: cannot check: node-a and another node each need connected clients"
    )


async def test_who_is_in(lesson):
    nodes, _ = lesson

    async def solution(nodes, room):
        names = []
        for node in nodes:
            for sid, _ in node.sio.manager.get_participants("/", room):
                names.append((await node.sio.get_session(sid))["name"])
        return names

    async def one_node(nodes, room):
        node = nodes[0]
        return [
            (await node.sio.get_session(sid))["name"]
            for sid, _ in node.sio.manager.get_participants("/", room)
        ]

    def sids(nodes, room):
        return [sid for n in nodes for sid, _ in n.sio.manager.get_participants("/", room)]

    def twice(nodes, room):
        return ["bob", "carol", "carol"]

    assert str(await who_is_in.check(solution, nodes, "room1")) == "correct: room1: bob, carol"
    assert str(await who_is_in.check(one_node, nodes, "room1")) == "incorrect: you found bob"
    assert str(await who_is_in.check(sids, nodes, "room1")) == (
        "incorrect: you returned socket ids: turn each into the name in its session"
    )
    assert str(await who_is_in.check(twice, nodes, "room1")) == (
        "incorrect: a name appears twice: each member once"
    )


async def test_who_is_in_needs_a_room_on_two_nodes(lesson):
    nodes, _ = lesson

    def anything(nodes, room):
        return []

    assert str(await who_is_in.check(anything, nodes, "room2")) == (
        "incorrect: cannot check: room2 needs members on two nodes (section 3)"
    )
