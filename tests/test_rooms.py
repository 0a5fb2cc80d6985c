"""Rooms on a real server: membership, the topics handlers, leaving on disconnect."""

import asyncio

import pytest

from chatlib import EmbeddedServer, connect_clients, settle
from chatlib.rooms import room_members, rooms_of_name, wait_until_gone


async def test_join_answers_with_rooms_and_room_members_names_them(room_cast):
    server, (alice, bob, _carol) = room_cast
    assert await alice.call("join", "music", timeout=5) == {"ok": True, "rooms": ["music"]}
    await bob.call("join", "music", timeout=5)
    await bob.call("join", "art", timeout=5)
    assert room_members(server.sio) == {"art": ["bob"], "music": ["alice", "bob"]}
    assert rooms_of_name(server.sio, "bob") == ["art", "music"]
    assert rooms_of_name(server.sio, "nobody-here") == []


async def test_join_refuses_bad_names_and_other_sockets_sid_rooms(room_cast):
    server, (alice, bob, _carol) = room_cast
    answer = await alice.call("join", "", timeout=5)
    assert answer["ok"] is False and "non-empty" in answer["error"]
    answer = await alice.call("join", bob.get_sid("/"), timeout=5)
    assert answer == {"ok": False, "error": "cannot enter a sid room"}
    assert room_members(server.sio) == {}


async def test_chat_goes_to_the_senders_rooms_or_to_everyone(room_cast):
    server, (alice, bob, carol) = room_cast
    await alice.call("join", "music", timeout=5)
    await bob.call("join", "music", timeout=5)
    await settle(server, room_cast[1])
    await alice.chat("music only")
    delivery = await settle(server, room_cast[1])
    assert delivery.receivers("chat message") == ["alice", "bob"]
    await carol.chat("lobby")
    delivery = await settle(server, room_cast[1])
    assert delivery.receivers("chat message") == ["alice", "bob", "carol"]


async def test_leave_and_close_room(room_cast):
    server, (alice, bob, _carol) = room_cast
    await alice.call("join", "music", timeout=5)
    await bob.call("join", "music", timeout=5)
    assert await alice.call("leave", "music", timeout=5) == {"ok": True, "rooms": []}
    assert room_members(server.sio) == {"music": ["bob"]}
    await server.sio.close_room("music")
    assert room_members(server.sio) == {}


async def test_rooms_are_still_listed_inside_the_disconnect_handler_and_gone_after():
    async with EmbeddedServer("test-rooms") as server:
        sio, seen = server.sio, {}

        @sio.event
        async def disconnect(sid, reason):
            seen["inside"] = sorted(r for r in sio.rooms(sid) if r != sid)
            seen["sid"] = sid
            await sio.emit("left", sio.name_of(sid), to=seen["inside"], skip_sid=sid)

        alice, bob, carol = await connect_clients(server.url, ["alice", "bob", "carol"])
        for name, room in [("alice", "music"), ("bob", "music"), ("bob", "art")]:
            await sio.enter_room(sio.sid_of(name), room)
        await bob.disconnect()
        await wait_until_gone(sio, "bob")
        delivery = await settle(server, [alice, bob, carol])
        assert seen["inside"] == ["art", "music"]
        assert sio.rooms(seen["sid"]) == []
        assert room_members(sio) == {"music": ["alice"]}
        assert delivery.receivers("left") == ["alice"]


async def test_wait_until_gone_is_bounded():
    async with EmbeddedServer("test-rooms") as server:
        await connect_clients(server.url, ["alice"])
        with pytest.raises(TimeoutError, match="alice is still connected"):
            await wait_until_gone(server.sio, "alice", timeout=0.1)


async def test_stop_right_after_a_client_left_does_not_hang():
    server = await EmbeddedServer("test-rooms").start()
    (alice,) = await connect_clients(server.url, ["alice"])
    await alice.disconnect()  # the server has not yet noticed when stop() begins
    await asyncio.wait_for(server.stop(), 3)
    assert not server.running
