"""The room board and topic buttons, driven by real clients (no browser needed)."""

import asyncio

from chatlib import EmbeddedServer, connect_clients, settle
from chatlib.roomboard import RoomBoard, RoomStage, TopicPicker
from chatlib.rooms import wait_until_gone


async def until(condition, timeout=2.0):
    """Wait (bounded) for a widget's coalesced redraw to show ``condition``."""
    async with asyncio.timeout(timeout):
        while not condition():
            await asyncio.sleep(0.01)


async def test_board_text_follows_join_leave_and_disconnect(room_cast):
    server, (alice, bob, _carol) = room_cast
    board = RoomBoard(server)
    assert repr(board) == "RoomBoard(server 'test-rooms')"
    assert str(board) == "/  (connected): alice, bob, carol"
    await alice.call("join", "music", timeout=5)
    await bob.call("join", "music", timeout=5)
    await bob.call("join", "art", timeout=5)
    assert board.lines() == [
        "/  (connected): alice, bob, carol",
        "/  art: bob",
        "/  music: alice, bob",
    ]
    await alice.call("leave", "music", timeout=5)
    await bob.disconnect()
    await wait_until_gone(server.sio, "bob")
    assert board.lines() == ["/  (connected): alice, carol"]


async def test_board_html_redraws_by_itself(room_cast):
    server, (alice, bob, _carol) = room_cast
    board = RoomBoard(server)
    assert "music" not in board.body.value
    await alice.call("join", "music", timeout=5)
    await until(lambda: "music" in board.body.value)
    await bob.disconnect()
    await until(lambda: "bob" not in board.body.value)
    await server.stop()
    await until(lambda: "nobody is connected" in board.body.value)
    assert str(board) == "nobody is connected"


async def test_board_escapes_room_names(room_cast):
    server, (alice, _bob, _carol) = room_cast
    board = RoomBoard(server)
    await alice.call("join", "<b>x</b>", timeout=5)
    board.refresh()
    assert "&lt;b&gt;x&lt;/b&gt;" in board.body.value
    assert "<b>x</b>" not in board.body.value


async def test_board_lists_each_namespace_separately():
    async with EmbeddedServer("test-board") as server:
        for ns in ("/students", "/parents"):
            server.sio.on("connect", lambda sid, environ, auth: None, namespace=ns)
        (sam,) = await connect_clients(server.url, ["sam"], namespaces=["/students"])
        (pat,) = await connect_clients(server.url, ["pat"], namespaces=["/parents"])
        await server.sio.enter_room(sam.get_sid("/students"), "music", "/students")
        await server.sio.enter_room(pat.get_sid("/parents"), "music", "/parents")
        board = RoomBoard(server, namespaces=["/parents", "/students", "/teachers"])
        assert board.lines() == [
            "/parents  (connected): pat",
            "/parents  music: pat",
            "/students  (connected): sam",
            "/students  music: sam",
            "/teachers  (connected): nobody",
        ]


async def test_topic_buttons_join_and_leave_through_the_clients_socket(room_cast):
    server, (alice, bob, carol) = room_cast
    picker = TopicPicker(alice, server, ["music", "art"])
    assert repr(picker) == "TopicPicker(alice; music, art)"
    picker.buttons["music"].click()
    await asyncio.wait(picker.pending, timeout=5)
    assert server.rooms_of(alice) == ["music"]
    assert picker.buttons["music"].description == "✓ music"
    assert picker.buttons["art"].description == "art"
    await alice.chat("for music")
    delivery = await settle(server, [alice, bob, carol])
    assert delivery.receivers("chat message") == ["alice"]
    assert server.log.lines("received")[-2:] == [
        "alice → 'join' 'music'",
        "alice → 'chat message' 'for music'",
    ]
    picker.buttons["music"].click()
    await asyncio.wait(picker.pending, timeout=5)
    assert server.rooms_of(alice) == []
    assert picker.buttons["music"].description == "music"


async def test_topic_button_shows_the_servers_refusal():
    async with EmbeddedServer("test-board") as server:  # no room handlers: join is unanswered
        (alice,) = await connect_clients(server.url, ["alice"])
        picker = TopicPicker(alice, server, ["music"])
        picker._ask_timeout = 0.2
        picker.buttons["music"].click()
        await asyncio.wait(picker.pending, timeout=6)
        assert "TimeoutError" in picker.status.value
        assert server.rooms_of(alice) == []


async def test_room_stage_repr_and_parts(room_cast):
    server, clients = room_cast
    stage = RoomStage(server, clients, ["music", "sports", "art"])
    assert repr(stage) == (
        "RoomStage(server 'test-rooms'; clients alice, bob, carol; topics music, sports, art)"
    )
    assert next(repr(p) for p in stage.pickers) == "TopicPicker(alice; music, sports, art)"
    stage.pickers[1].buttons["art"].click()
    await asyncio.wait(stage.pickers[1].pending, timeout=5)
    await until(lambda: "rooms: art" in stage.panes[1].header.value)
    assert "bob" in stage.board.body.value
