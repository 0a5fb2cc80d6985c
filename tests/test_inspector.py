"""The inspector: real servers and clients in, state, log lines and actions out."""

import asyncio
import time

import pytest
import socketio
from socketio import exceptions

from chatlib import ChatClient, EmbeddedServer, connect_clients, settle, stop_all, wait_until
from chatlib.diagram.inspector import Inspector
from chatlib.diagram.panel import MAX_ROWS, InspectorPanel


@pytest.fixture
async def cast(server):
    @server.sio.on("connect", namespace="/chat")
    async def chat_connect(sid, environ, auth):
        pass

    clients = await connect_clients(server.url, ["alice", "bob", "carol"])
    await clients[2].disconnect()
    carol = ChatClient("carol")
    await carol.connect(server.url, namespaces=["/", "/chat"])
    clients[2] = carol
    await server.sio.enter_room(clients[0].get_sid(), "room1")
    await server.sio.enter_room(clients[1].get_sid(), "room1")
    await server.sio.enter_room(carol.get_sid("/chat"), "lobby", namespace="/chat")
    return server, clients


async def test_snapshot_lists_namespaces_rooms_members_and_sockets(cast):
    server, _clients = cast
    (node,) = Inspector(server).snapshot()
    assert str(node) == "\n".join(
        [
            "node test",
            "  namespace /: 3 socket(s)",
            "    rooms: room1 (alice, bob)",
            "    alice  websocket  rooms: room1",
            "    bob  websocket  rooms: room1",
            "    carol  websocket  rooms: none",
            "  namespace /chat: 1 socket(s)",
            "    rooms: lobby (carol)",
            "    carol  websocket  rooms: lobby",
        ]
    )


async def test_log_filters_by_socket_namespace_and_event_and_pauses(cast):
    server, clients = cast
    alice, bob, carol = clients
    inspector = Inspector(server)
    await alice.emit("hi", 1)
    await bob.emit("hi", 2)
    await carol.emit("bye", 3, namespace="/chat")
    await settle(server, clients)
    assert inspector.log(socket="alice") == ["alice → 'hi' 1"]
    assert inspector.log(event="hi") == ["alice → 'hi' 1", "bob → 'hi' 2"]
    assert inspector.log(namespace="/chat") == ["carol → 'bye' 3 [/chat]"]
    inspector.pause()
    await alice.emit("hi", 4)
    await settle(server, clients)
    assert inspector.log(socket="alice") == ["alice → 'hi' 1"]
    inspector.resume()
    assert inspector.log(socket="alice") == ["alice → 'hi' 1", "alice → 'hi' 4"]


async def test_actions_join_leave_emit_and_disconnect_for_real(cast):
    server, clients = cast
    alice, bob, carol = clients
    inspector = Inspector(server)
    await inspector.join("carol", "room1")
    assert server.rooms_of(carol) == ["/chat lobby", "room1"]
    await inspector.leave("alice", "room1")
    assert server.rooms_of(alice) == []
    await inspector.emit("notice", "to the room", room="room1")
    await inspector.emit("notice", "to alice", socket="alice")
    delivery = await settle(server, clients)
    assert [str(r.counts) for r in delivery.rows] == [
        "Counter({'bob': 1, 'carol': 1})",
        "Counter({'alice': 1})",
    ]
    assert inspector.log(socket="carol")[0] == "carol joined room1"
    await inspector.disconnect("bob")
    await wait_until(lambda: not bob.connected, timeout=3, what="bob's disconnect")
    with pytest.raises(ValueError, match="no socket called 'bob'"):
        await inspector.join("bob", "room1")
    with pytest.raises(ValueError, match="exactly one"):
        await inspector.emit("x", socket="alice", room="room1")


async def test_panel_buttons_run_the_actions_and_show_errors(cast):
    server, clients = cast
    panel = InspectorPanel(server)
    assert repr(panel) == "InspectorPanel(nodes test)"
    panel.who.value, panel.room.value = "bob", "quiz"
    panel.buttons["join"].click()
    await asyncio.gather(*panel._tasks)
    assert server.rooms_of(clients[1]) == ["quiz", "room1"]
    assert "<b>quiz</b> (bob)" in panel.state_html.value
    panel.who.value = "nobody"
    panel.buttons["disconnect"].click()
    await asyncio.gather(*panel._tasks)
    assert "no socket called" in panel.status.value
    panel.f_socket.value = "bob"
    assert panel.log_lines() == ["bob joined quiz"]


async def test_two_nodes_each_show_their_own_sockets():
    async with EmbeddedServer("node-a") as a, EmbeddedServer("node-b") as b:
        await connect_clients(a.url, ["alice"])
        (bob,) = await connect_clients(b.url, ["bob"])
        inspector = Inspector(a, b)
        views = {n.name: [s.name for s in n.namespaces[0].sockets] for n in inspector.snapshot()}
        assert views == {"node-a": ["alice"], "node-b": ["bob"]}
        await inspector.emit("hello", "you", socket="bob")  # found on node-b
        await settle(b, bob)
        assert bob.received("hello") == ["you"]
        assert inspector.log(event="hello") == ["emit 'hello' 'you' → bob"]
    await stop_all()


async def test_responsive_with_500_clients(server):
    """Connect 500 real clients on loopback, then time a snapshot and a panel refresh."""
    clients = [ChatClient(f"user{n:03}", reconnection=False) for n in range(500)]

    async def connect_all():
        for start in range(0, 500, 50):
            await asyncio.gather(*(c.connect(server.url) for c in clients[start : start + 50]))

    started = time.perf_counter()
    await asyncio.wait_for(connect_all(), 90)
    connect_time = time.perf_counter() - started
    for n in range(0, 500, 5):
        await server.sio.enter_room(clients[n].get_sid(), f"room{n % 7}")
    panel = InspectorPanel(server)
    started = time.perf_counter()
    (view,) = panel.inspector.snapshot()
    snapshot_time = time.perf_counter() - started
    started = time.perf_counter()
    panel.refresh()
    refresh_time = time.perf_counter() - started
    print(f"500 clients: connect {connect_time:.1f} s, snapshot {snapshot_time * 1000:.0f} ms, "
          f"refresh {refresh_time * 1000:.0f} ms")  # fmt: skip
    assert len(view.namespaces[0].sockets) == 500
    assert len(view.namespaces[0].rooms) == 7
    assert panel.state_html.value.count("<tr><td>") == MAX_ROWS
    assert "450 more" in panel.state_html.value
    assert snapshot_time < 0.5 and refresh_time < 0.5
    panel.f_socket.value = "user499"
    assert "user499" in panel.state_html.value and "more" not in panel.state_html.value


async def test_admin_ui_namespace_checks_credentials(server):
    """``sio.instrument``: the right login is accepted on /admin, a wrong one refused."""
    admin = server.sio.instrument(auth={"username": "teacher", "password": "s3cret"})
    try:
        good = socketio.AsyncClient(handle_sigint=False, reconnection=False)
        await good.connect(
            server.url, namespaces=["/admin"], transports=["websocket"],
            auth={"username": "teacher", "password": "s3cret"}, wait_timeout=3,
        )  # fmt: skip
        assert "/admin" in good.namespaces
        bad = socketio.AsyncClient(handle_sigint=False, reconnection=False)
        with pytest.raises(exceptions.ConnectionError):
            await bad.connect(
                server.url, namespaces=["/admin"], transports=["websocket"],
                auth={"username": "teacher", "password": "wrong"}, wait_timeout=3,
            )  # fmt: skip
        await good.disconnect()
    finally:
        await admin.shutdown()
        admin.uninstrument()
