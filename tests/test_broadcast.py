"""chatlib.emits.broadcast: except-rooms and acks-from-many, on a real server (cheatsheet cast)."""

import asyncio

import pytest

from chatlib import settle, stop_all
from chatlib.emits.broadcast import call_each, emit_except, members
from tests.cast import connect_cast, start_cast_server


@pytest.fixture
async def cast():
    server = await start_cast_server()
    clients = await connect_cast(server.url)
    yield server, {c.name: c for c in clients}
    await stop_all()


def names(server, sids, namespace="/"):
    return sorted(server.sio.name_of(s, namespace) for s in sids)


async def test_members_is_the_union_of_rooms(cast):
    server, _ = cast
    assert names(server, members(server.sio, "room3")) == ["dave", "erin"]
    assert names(server, members(server.sio, ["room1", "room3"])) == [
        "alice",
        "bob",
        "dave",
        "erin",
    ]
    assert names(server, members(server.sio, "room1", "/myNamespace"), "/myNamespace") == ["frank"]
    assert members(server.sio, "no such room") == []


async def test_emit_except_skips_the_rooms_members(cast):
    server, clients = cast
    skipped = await emit_except(
        server.sio, "hello", "x", to=["room1", "room2"], except_rooms="room3"
    )
    delivery = await settle(server, list(clients.values()))
    assert names(server, skipped) == ["dave", "erin"]
    assert delivery.receivers("hello") == ["alice", "bob", "carol"]


async def test_emit_except_without_to_is_everyone_but_the_rooms(cast):
    server, clients = cast
    sender = server.sio.sid_of("erin")
    await emit_except(server.sio, "hello", "x", except_rooms=["room1"], skip_sid=sender)
    delivery = await settle(server, list(clients.values()))
    assert delivery.receivers("hello") == ["carol", "dave", "frank"]


async def test_emit_except_in_another_namespace(cast):
    server, clients = cast
    await emit_except(server.sio, "hello", "x", except_rooms="room1", namespace="/myNamespace")
    delivery = await settle(server, list(clients.values()))
    assert delivery.receivers("hello", "/myNamespace") == ["alice"]
    assert delivery.receivers("hello", "/") == []


async def test_an_empty_room_list_means_everyone_except_as_in_socket_io(cast):
    """``io.to([]).except("room3")`` reaches everyone but room3; so does ``to=[]`` here."""
    server, clients = cast
    skipped = await emit_except(server.sio, "hello", "x", to=[], except_rooms="room3")
    delivery = await settle(server, list(clients.values()))
    assert names(server, skipped) == ["dave", "erin"]
    assert delivery.receivers("hello") == ["alice", "bob", "carol", "frank"]
    await emit_except(server.sio, "hello", "y", except_rooms="room3")
    assert (await settle(server, list(clients.values()))).receivers("hello") == delivery.receivers(
        "hello"
    )


async def test_call_each_collects_replies_and_names_the_silent(cast):
    server, clients = cast
    release = asyncio.Event()
    for name, client in clients.items():

        async def answer(text, name=name):
            if name == "erin":
                await release.wait()
            return f"{name}: {text}"

        client.on("question", answer)
    replies, missing = await call_each(server.sio, "question", "ok?", to="room3", timeout=0.3)
    release.set()
    assert {server.sio.name_of(s): r for s, r in replies.items()} == {"dave": "dave: ok?"}
    assert names(server, missing) == ["erin"]
    replies, missing = await call_each(server.sio, "question", "ok?", to="room2", timeout=2)
    assert sorted(replies.values()) == ["bob: ok?", "carol: ok?", "dave: ok?"]
    assert missing == []


async def test_except_rooms_only_sees_the_members_on_its_own_node(nodes):
    """The documented limit, on two real nodes: a room3 member on the other node still gets it."""
    from chatlib import ChatClient, settle
    from chatlib.emits.broadcast import emit_except

    node_a, node_b = nodes
    alice, erin_a, erin_b = ChatClient("alice"), ChatClient("erin-a"), ChatClient("erin-b")
    await alice.connect(node_a.url)
    await erin_a.connect(node_a.url)
    await erin_b.connect(node_b.url)
    await node_a.sio.enter_room(erin_a.get_sid(), "room3")
    await node_b.sio.enter_room(erin_b.get_sid(), "room3")
    await emit_except(node_a.sio, "news", "not for room3", except_rooms="room3")
    delivery = await settle(node_a, node_b, alice, erin_a, erin_b)
    assert delivery.receivers("news") == ["alice", "erin-b"]
