"""The topics server the chat page talks to, driven by Python clients (no browser)."""

import pytest
from socketio.exceptions import TimeoutError as AckTimeout

from chatlib import EmbeddedServer, connect_clients, settle
from chatlib.roomboard import RoomBoard
from chatlib.topics import add_topic_handlers, start_topics_chat


async def test_topics_are_answered_and_the_pages_extra_argument_is_accepted():
    server = await start_topics_chat("test-topics", ["music", "sports"])
    try:
        alice, bob, carol = await connect_clients(server.url, ["alice", "bob", "carol"])
        assert await alice.call("topics", timeout=5) == {"ok": True, "topics": ["music", "sports"]}
        assert await alice.call("join", "music", timeout=5) == {"ok": True, "rooms": ["music"]}
        await carol.call("join", "music", timeout=5)
        await bob.call("join", "sports", timeout=5)
        assert RoomBoard(server).lines() == [
            "/  (connected): alice, bob, carol",
            "/  music: alice, carol",
            "/  sports: bob",
        ]
        await settle(server, [alice, bob, carol])

        # the page sends (text, client offset): the topics chat ignores the offset
        answer = await alice.call("chat message", ("for music", "alice-x-0"), timeout=5)
        assert answer == {"ok": True, "rooms": ["music"]}
        delivery = await settle(server, [alice, bob, carol])
        assert delivery.receivers("chat message") == ["alice", "carol"]
        assert not server.errors, server.errors
    finally:
        await server.stop()


async def test_a_server_without_topics_never_answers_the_question(chat_server):
    (alice,) = await connect_clients(chat_server.url, ["alice"])
    with pytest.raises(AckTimeout):
        await alice.call("topics", timeout=0.3)
    assert await alice.call("chat message", ("still chatting", "alice-x-0"), timeout=5) == {
        "ok": True
    }
    assert not chat_server.errors


def test_topics_must_be_room_names_and_differ():
    server = EmbeddedServer("test-topics-bad")
    with pytest.raises(ValueError, match="differ"):
        add_topic_handlers(server.sio, ["music", "music"])
    with pytest.raises(ValueError, match="non-empty"):
        add_topic_handlers(server.sio, ["music", " "])
    assert "topics" not in server.sio.handlers.get("/", {})  # refused before registering
