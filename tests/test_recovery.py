"""Connection state recovery on a real server with chatlib's Python clients.

A transport is cut by closing the client's WebSocket under it: the server sees
a 'transport close', the client reconnects on its own. What each test checks
is what the client gets back: its sid, rooms, session, and the missed events.
"""

import logging

import pytest
import socketio

from chatlib import ChatClient, EmbeddedServer, Recovery, stop_all, wait_until
from chatlib.durable.faults import drop_connection
from chatlib.recovery import RecoveryLog

from .clock import ManualClock

FAST_RECONNECT = {"reconnection_delay": 0.05, "reconnection_delay_max": 0.1}


async def start(recovery: Recovery | None = None, **options) -> EmbeddedServer:
    server = EmbeddedServer("recovery-test", recovery=recovery, **options)
    sio = server.sio
    server.connects = []  # (name, recovered, auth keys) per connect handler call

    @sio.event
    async def connect(sid, environ, auth):
        auth = auth or {}
        server.connects.append((auth.get("name"), sio.recovered(sid), sorted(auth)))

    @sio.on("join")
    async def join(sid, room):
        await sio.enter_room(sid, room)
        async with sio.session(sid) as session:
            session["joined"] = room
        return room

    return await server.start()


@pytest.fixture(autouse=True)
async def teardown():
    yield
    await stop_all()


async def cut(server: EmbeddedServer, client: ChatClient) -> None:
    """Abort the client's TCP connection as a dropped network would; wait for the server."""
    manager, sid = server.sio.manager, client.get_sid()
    before = manager.eio_sid_from_sid(sid, "/")
    drop_connection(server, client)
    await wait_until(
        lambda: manager.eio_sid_from_sid(sid, "/") != before,
        what=f"the server losing {client.name}",
    )


async def joined(
    server: EmbeddedServer, name: str, room: str, reconnection: bool = True
) -> ChatClient:
    """A client in ``room`` that has received one event, "before": it holds an offset."""
    client = ChatClient(name, reconnection=reconnection, **FAST_RECONNECT)
    await client.connect(server.url)
    assert await client.call("join", room, timeout=5) == room
    await server.sio.emit("news", "before")
    await wait_until(lambda: client.received("news") == ["before"], what="the first event")
    return client


async def test_a_cut_connection_comes_back_with_its_sid_rooms_session_and_missed_events():
    server = await start(Recovery(max_disconnection=5))
    sio = server.sio
    alice = await joined(server, "alice", "room1")
    plain_handler_calls = []
    alice.on("news", lambda text: plain_handler_calls.append(text))  # one argument, no offset
    sid = alice.get_sid()

    await cut(server, alice)
    await sio.emit("news", "to everyone")
    await sio.emit("news", "to room1", to="room1")
    await sio.emit("news", "to room2", to="room2")
    await sio.emit("news", "to alice alone", to=sid)
    await sio.emit("news", "to all but alice", skip_sid=sid)
    await wait_until(lambda: alice.connected and len(alice.inbox) == 4, what="the replay")

    assert alice.recovered is True
    assert alice.get_sid() == sid
    assert server.rooms_of(alice) == ["room1"]
    assert await sio.get_session(sid) == {"joined": "room1"}
    expected = ["before", "to everyone", "to room1", "to alice alone"]
    assert alice.received("news") == expected
    await wait_until(lambda: len(plain_handler_calls) == 3, what="the handler calls")
    assert plain_handler_calls == expected[1:]  # registered after "before"
    assert server.connects == [
        ("alice", False, ["name"]),
        ("alice", True, ["name", "offset", "pid"]),
    ]
    assert "alice recovered on /" in server.log.lines("connect")

    await sio.emit("news", "live again")  # live delivery goes on after the replay, once
    await wait_until(lambda: len(alice.inbox) == 5, what="the live event")
    assert alice.received("news")[-1] == "live again"
    assert server.errors == []


async def test_a_deliberate_disconnect_keeps_nothing():
    server = await start(Recovery(max_disconnection=5))
    sio = server.sio
    alice = await joined(server, "alice", "room1")
    sid = alice.get_sid()

    await alice.disconnect()
    await sio.emit("news", "while away", to="room1")
    assert sio.recovery_log.held_sessions == 0
    await alice.connect(server.url)
    assert alice.recovered is False
    assert alice.get_sid() != sid
    assert server.rooms_of(alice) == []
    await sio.emit("news", "after")
    await wait_until(lambda: len(alice.inbox) == 2, what="the live event")
    assert alice.received("news") == ["before", "after"]
    assert server.connects[-1] == ("alice", False, ["name", "offset", "pid"])


async def test_a_server_side_disconnect_keeps_nothing():
    server = await start(Recovery(max_disconnection=5))
    sio = server.sio
    alice = await joined(server, "alice", "room1")
    sid = alice.get_sid()
    await sio.disconnect(sid)
    await wait_until(lambda: not alice.connected, what="the disconnect")
    assert sio.recovery_log.held_sessions == 0
    await alice.connect(server.url)
    assert (alice.recovered, alice.get_sid() == sid) == (False, False)


async def test_past_the_window_a_reconnection_is_fresh_and_replays_nothing():
    server = await start(Recovery(max_disconnection=0.3))
    sio = server.sio
    alice = ChatClient("alice", reconnection=False)
    await alice.connect(server.url)
    await alice.call("join", "room1")
    await sio.emit("news", "before")
    await wait_until(lambda: alice.received("news") == ["before"], what="the first event")
    sid = alice.get_sid()
    await cut(server, alice)
    await sio.emit("news", "missed", to="room1")
    await wait_until(lambda: sio.recovery_log.held_sessions == 1, what="the session held")
    clock = sio.recovery_log._clock
    start_wait = clock()
    await wait_until(lambda: clock() - start_wait > 0.4, what="the window passing")
    await alice.connect(server.url)
    await sio.emit("news", "after")
    await wait_until(lambda: len(alice.inbox) == 2, what="the live event")
    assert alice.recovered is False
    assert alice.get_sid() != sid
    assert server.rooms_of(alice) == []
    assert alice.received("news") == ["before", "after"]
    assert server.errors == [] and alice.connect_errors == []


@pytest.mark.parametrize(
    "auth",
    [
        {"pid": "not-a-session", "offset": "nope"},
        {"pid": 42, "offset": ["x"]},
        {"pid": "", "offset": ""},
        {"pid": "x" * 5000, "offset": "-1"},
    ],
)
async def test_an_unknown_or_garbage_pid_and_offset_get_a_fresh_connection(auth):
    server = await start(Recovery(max_disconnection=5))
    client = socketio.AsyncClient(handle_sigint=False, reconnection=False)
    got = []
    client.on("news", lambda *args: got.append(args))
    await client.connect(server.url, auth=auth, transports=["websocket"], wait_timeout=5)
    try:
        assert client.connected
        assert server.sio.recovered(client.get_sid()) is False
        await server.sio.emit("news", "hello")
        await wait_until(lambda: len(got) == 1, what="the event")
        text, offset = got[0]  # a plain client sees the offset as one more argument, as in JS
        assert text == "hello" and isinstance(offset, str)
    finally:
        await client.disconnect()
    assert server.errors == []


async def test_a_session_of_another_namespace_is_not_given_back():
    server = await start(Recovery(max_disconnection=5))
    sio = server.sio
    sio.on("connect", lambda sid, environ, auth: None, namespace="/other")
    alice = await joined(server, "alice", "room1", reconnection=False)
    pid, offset = alice._recovery_pids["/"], alice._recovery_offsets["/"]
    await cut(server, alice)
    await wait_until(lambda: sio.recovery_log.held_sessions == 1, what="the session held")
    other = socketio.AsyncClient(handle_sigint=False, reconnection=False)
    await other.connect(
        server.url,
        namespaces=["/other"],
        auth={"pid": pid, "offset": offset},
        transports=["websocket"],
    )
    try:
        assert sio.recovered(other.get_sid("/other"), "/other") is False
        assert sio.recovery_log.held_sessions == 1  # still there for its own namespace
    finally:
        await other.disconnect()


async def test_without_skip_middlewares_the_connect_handler_decides_again():
    server = await start(Recovery(max_disconnection=5))
    sio = server.sio
    refuse = []

    @sio.event
    async def connect(sid, environ, auth):
        server.connects.append((auth.get("name"), sio.recovered(sid), sorted(auth)))
        if refuse:
            raise socketio.exceptions.ConnectionRefusedError("not any more")

    alice = await joined(server, "alice", "room1")
    refuse.append(True)
    await cut(server, alice)
    await wait_until(lambda: alice.connect_errors, what="the refusal")
    assert server.connects[1][:2] == ("alice", True)
    assert alice.connect_errors[0]["message"] == "not any more"
    assert sio.recovery_log.held_sessions == 0  # a refused recovery is not offered again
    refuse.clear()
    await wait_until(lambda: alice.connected, timeout=10, what="a later, fresh connection")
    assert alice.recovered is False


async def test_with_skip_middlewares_a_recovered_connection_skips_the_connect_handler():
    server = await start(Recovery(max_disconnection=5, skip_middlewares=True))
    sio = server.sio
    alice = await joined(server, "alice", "room1")
    await cut(server, alice)
    await sio.emit("news", "missed", to="room1")
    await wait_until(lambda: alice.connected and len(alice.inbox) == 2, what="the replay")
    assert alice.recovered is True
    assert sio.recovered(alice.get_sid()) is True
    assert server.connects == [("alice", False, ["name"])]  # not called for the recovery
    assert sio.name_of(alice.get_sid()) == "alice"
    assert "alice recovered on /" in server.log.lines("connect")


async def test_events_asking_for_an_acknowledgement_carry_no_offset_and_are_not_kept():
    server = await start(Recovery(max_disconnection=5))
    alice = ChatClient("alice")
    alice.on("question", lambda text: f"answer to {text}")
    await alice.connect(server.url)
    answer = await server.sio.call("question", "q1", to=alice.get_sid(), timeout=5)
    assert answer == "answer to q1"
    assert len(server.sio.recovery_log) == 0


async def test_without_recovery_nothing_changes_on_the_wire():
    server = await start(None)
    client = socketio.AsyncClient(handle_sigint=False, reconnection=False)
    got = []
    client.on("news", lambda *args: got.append(args))
    await client.connect(server.url, transports=["websocket"])
    try:
        await server.sio.emit("news", "hello")
        await wait_until(lambda: got, what="the event")
        assert got == [("hello",)]
        assert server.sio.recovery_log is None
    finally:
        await client.disconnect()


# --- the log on its own, with a clock the test moves -------------------------
def test_events_older_than_the_window_are_dropped_and_so_are_sessions():
    clock = ManualClock(1000.0)
    log = RecoveryLog(Recovery(max_disconnection=10), clock=clock)
    first = log.stamp("/", ("news", 1), (), ())
    log.hold("pid1", "sid1", "/", ["sid1"], {})
    clock.now += 5
    log.stamp("/", ("news", 2), (), ())
    assert len(log) == 2
    clock.now += 6  # the first event is 11 s old, the second 6 s
    log.stamp("/", ("news", 3), (), ())
    assert len(log) == 2 and log.held_sessions == 0
    assert log.restore("/", {"pid": "pid1", "offset": first[-1]}) is None


def test_a_held_session_gets_only_its_own_events_after_its_offset():
    log = RecoveryLog(Recovery(max_disconnection=10), clock=ManualClock(1000.0))
    seen = log.stamp("/", ("news", "seen"), (), ())
    log.hold("pid1", "sid1", "/", ["sid1", "room1"], {"k": 1})
    log.stamp("/", ("news", "all"), (), ())
    log.stamp("/", ("news", "room1"), ("room1",), ())
    log.stamp("/", ("news", "room2"), ("room2",), ())
    log.stamp("/", ("news", "not sid1"), (), ("sid1",))
    log.stamp("/chat", ("news", "other namespace"), (), ())
    log.stamp("/", ("news", "sid1"), ("sid1",), ())
    restored = log.restore("/", {"pid": "pid1", "offset": seen[-1]})
    assert restored is not None
    assert [p[1] for p in restored.missed] == ["all", "room1", "sid1"]
    assert restored.session.data == {"k": 1}
    assert log.restore("/", {"pid": "pid1", "offset": seen[-1]}) is None  # given back once


def test_the_cap_drops_the_oldest_events_with_one_log_line(caplog):
    log = RecoveryLog(Recovery(max_disconnection=60, max_packets=100), clock=ManualClock(1000.0))
    first = log.stamp("/", ("news", 0), (), ())
    log.hold("pid1", "sid1", "/", ["sid1"], {})
    with caplog.at_level(logging.WARNING, logger="chatlib.recovery"):
        for n in range(1, 250):
            log.stamp("/", ("news", n), (), ())
    assert len(log) == 100 and log.cap_reached == 150
    assert len(caplog.records) == 1
    assert "at most 100" in caplog.records[0].getMessage()
    assert log.restore("/", {"pid": "pid1", "offset": first[-1]}) is None  # its offset is gone


def test_offsets_from_another_log_or_malformed_never_match():
    log = RecoveryLog(Recovery(), clock=ManualClock(1000.0))
    other = RecoveryLog(Recovery(), clock=ManualClock(1000.0))
    log.stamp("/", ("news", 0), (), ())
    foreign = other.stamp("/", ("news", 0), (), ())
    own = log.stamp("/", ("news", 1), (), ())[-1]
    prefix = own.rsplit("-", 1)[0] + "-"
    for offset in [foreign[-1], prefix + "zz", prefix + "-1", prefix + "01", prefix + "99", ""]:
        log.hold("pid1", "sid1", "/", ["sid1"], {})
        assert log.restore("/", {"pid": "pid1", "offset": offset}) is None, offset


async def test_each_namespace_is_recovered_with_its_own_pid_and_binary_events_replay():
    server = await start(Recovery(max_disconnection=5))
    sio = server.sio

    @sio.on("join", namespace="/chat")
    async def join_chat(sid, room):
        await sio.enter_room(sid, room, namespace="/chat")
        return room

    sio.on("connect", lambda sid, environ, auth: None, namespace="/chat")
    alice = ChatClient("alice", **FAST_RECONNECT)
    await alice.connect(server.url, namespaces=["/", "/chat"])
    await alice.call("join", "lobby", namespace="/chat")
    await sio.emit("news", "root", namespace="/")
    await sio.emit("news", "chat", namespace="/chat")
    await wait_until(lambda: len(alice.inbox) == 2, what="one event in each namespace")
    sids = (alice.get_sid("/"), alice.get_sid("/chat"))
    assert alice._recovery_pids["/"] != alice._recovery_pids["/chat"]

    await cut(server, alice)
    await sio.emit("news", b"\x00bytes\xff", namespace="/")
    await sio.emit("news", "to the lobby", to="lobby", namespace="/chat")
    await sio.emit("news", "elsewhere", to="other", namespace="/chat")
    await wait_until(
        lambda: alice.connected and len(alice.namespaces) == 2 and len(alice.inbox) == 4,
        what="both namespaces back",
    )
    assert alice.recovered is True
    assert (alice.get_sid("/"), alice.get_sid("/chat")) == sids
    assert server.rooms_of(alice) == ["/chat lobby"]
    by_namespace = sorted((m.namespace, m.data) for m in alice.inbox[2:])
    assert by_namespace == [("/", (b"\x00bytes\xff",)), ("/chat", ("to the lobby",))]
