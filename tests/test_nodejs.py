"""chatlib.nodejs: JavaScript snippets on a real socket.io 4.8 server, real ChatClients on it."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

import pytest
from socketio import exceptions

from chatlib import connect_clients, settle, start_server, stop_all, wait_until
from chatlib.nodejs import (
    NodeServerError,
    NodeUnavailable,
    need_node,
    node_problem,
    start_node_server,
)
from tests.support import require

ROOT = Path(__file__).resolve().parent.parent
CAST = {"alice": ["room1"], "bob": ["room1", "room2"], "carol": ["room2"]}


@pytest.fixture
def node_ready():
    require(node_problem() is None, "Node.js with socket.io", str(node_problem()))


@pytest.fixture
async def node(node_ready):
    server = await start_node_server(cast=CAST)
    yield server
    await stop_all()


async def test_a_snippet_gives_the_table_a_python_line_gives(node):
    await connect_clients(node.url, list(CAST))
    on_node = await node.run("socket.to('room1').emit('hello', 1)", sender="alice")

    python = await start_server("python-twin")

    @python.sio.on("connect")
    async def connect(sid, environ, auth):
        for room in CAST[auth["name"]]:
            await python.sio.enter_room(sid, room)

    clients = await connect_clients(python.url, list(CAST))
    await settle(python, clients)
    await python.sio.emit("hello", 1, to="room1", skip_sid=python.sio.sid_of("alice"))
    on_python = await settle(python, clients)

    assert on_node.receivers("hello") == ["bob"]
    assert str(on_node) == str(on_python)
    assert on_node.error is None and on_node.printed == []


async def test_the_table_counts_copies_and_keeps_binary_and_several_arguments(node):
    alice, _bob, carol = await connect_clients(node.url, list(CAST))
    table = await node.run(
        "io.to('room2').emit('bytes', Buffer.from([1, 2]), 'two', {three: 3});"
        "io.to(idOf('carol')).emit('bytes', Buffer.from([1, 2]), 'two', {three: 3});"
    )
    assert carol.received("bytes") == [(b"\x01\x02", "two", {"three": 3})] * 2
    assert alice.received("bytes") == []
    assert [dict(row.counts) for row in table.rows] == [{"bob": 1, "carol": 2}]


async def test_disconnecting_sees_the_rooms_and_disconnect_sees_none(node):
    alice, *_others = await connect_clients(node.url, list(CAST))
    await node.run(
        "socket.on('disconnecting', (reason) => print(socket.rooms));"
        "socket.on('disconnect', (reason) => print(socket.rooms.size, reason));",
        sender="bob",
    )
    bob = _others[0]
    await bob.disconnect()
    assert await node.next_printed(2) == [
        "Set(3) { '<id of bob>', 'room1', 'room2' }",
        "0 transport close",
    ]
    assert alice.connected


async def test_a_connection_handler_registered_by_a_snippet_runs_for_later_clients(node):
    await connect_clients(node.url, ["alice"])
    table = await node.run("io.on('connection', (s) => print('welcome', s.handshake.auth.name))")
    assert table.printed == []
    await connect_clients(node.url, ["carol"])
    assert await node.next_printed() == ["welcome carol"]


async def test_reserved_names_throw_and_nothing_is_sent(node):
    await connect_clients(node.url, ["alice", "bob"])
    table = await node.run("socket.emit('disconnect')", sender="alice")
    assert table.error == '"disconnect" is a reserved event name'
    assert table.rows == []
    assert str(table).splitlines() == [
        "nothing was sent or received",
        'threw: "disconnect" is a reserved event name',
    ]


async def test_a_snippet_returns_what_the_python_clients_acknowledged(node):
    clients = await connect_clients(node.url, list(CAST))
    for client in clients:
        client.on("question", lambda text, name=client.name: f"{name}: {text}")
    table = await node.run(
        "const replies = await io.to('room1').timeout(2000).emitWithAck('question', 'ready?');"
        "print(idOf('alice')); return replies.sort();"
    )
    assert table.result == ["alice: ready?", "bob: ready?"]
    assert table.printed == ["<id of alice>"]
    assert table.receivers("question") == ["alice", "bob"]


async def test_namespaces_of_the_cast_accept_clients(node_ready):
    node = await start_node_server(cast={"/": {"alice": []}, "/chat": {"alice": ["room1"]}})
    try:
        await connect_clients(node.url, ["alice"], namespaces=["/", "/chat"])
        table = await node.run(
            "socket.to('room1').emit('hi'); io.of('/chat').to('room1').emit('hello')",
            sender="alice",
            namespace="/chat",
        )
        assert [(row.namespace, row.event, dict(row.counts)) for row in table.rows] == [
            ("/chat", "hello", {"alice": 1})
        ]
    finally:
        await stop_all()


async def test_a_throwing_handler_ends_node_as_an_uncaught_exception(node):
    (alice,) = await connect_clients(node.url, ["alice"])
    await node.run("socket.on('boom', () => { throw new Error('kaput'); })", sender="alice")
    await alice.emit("boom")
    await wait_until(lambda: not node.running, what="Node ending")
    with pytest.raises(NodeServerError, match=r"'kaput': an uncaught exception"):
        await node.run("")


async def test_stop_all_ends_the_node_process_and_frees_the_port(node):
    (alice,) = await connect_clients(node.url, ["alice"])
    port = node.port
    await stop_all()
    assert not node.running and not alice.connected
    with pytest.raises(OSError):
        _reader, writer = await asyncio.open_connection("127.0.0.1", port)
        writer.close()


async def test_starting_again_under_the_same_name_stops_the_first(node):
    second = await start_node_server(cast=CAST)
    assert not node.running and second.running and second.port != 0


async def test_a_snippet_that_never_finishes_fails_within_its_timeout(node):
    await connect_clients(node.url, ["alice"])
    with pytest.raises(NodeServerError, match=r"did not finish within 0\.3 s"):
        await node.run("await new Promise(() => {})", timeout=0.3)


async def test_node_side_is_the_pinned_socket_io(node_ready):
    installed = json.loads((ROOT / "node_modules/socket.io/package.json").read_text())["version"]
    pinned = json.loads((ROOT / "package.json").read_text())["dependencies"]["socket.io"]
    assert installed == pinned and installed.startswith("4.8.")


# --- without Node ------------------------------------------------------------------------
async def test_without_node_the_error_says_how_to_get_it(tmp_path, monkeypatch):
    monkeypatch.setenv("PATH", str(tmp_path))  # a folder with no `node` in it
    with pytest.raises(NodeUnavailable, match=r"sudo apt-get install nodejs npm.*npm ci"):
        await start_node_server(cast=CAST)


async def test_without_the_npm_packages_the_error_says_npm_ci(node_ready, tmp_path):
    with pytest.raises(NodeUnavailable, match=r"socket.io is not installed.*npm ci"):
        await start_node_server(cast=CAST, node_modules=tmp_path)


def test_a_notebook_cell_skips_with_advice_but_ci_requires_node(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("PATH", str(tmp_path))
    monkeypatch.setenv("CI", "")
    assert need_node() is False
    assert "Skipped the JavaScript side: Node.js is not installed" in capsys.readouterr().out
    monkeypatch.setenv("CI", "true")
    with pytest.raises(NodeUnavailable, match="CI=true"):
        need_node()


def test_with_node_a_notebook_cell_runs(node_ready, capsys):
    assert need_node() is True
    assert capsys.readouterr().out == ""


def test_the_runner_ships_with_the_package():
    """An installed chatlib needs runner.js beside nodejs.py: package-data must include it."""
    import fnmatch
    import tomllib

    from chatlib.nodejs import RUNNER

    patterns = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"][
        "package-data"
    ]["chatlib"]
    relative = RUNNER.relative_to(ROOT / "chatlib").as_posix()
    assert RUNNER.is_file()
    assert any(fnmatch.fnmatch(relative, pattern) for pattern in patterns), patterns


async def test_a_javascript_client_says_which_namespace_it_leaves(node):
    """Its disconnect() reaches either server as a namespace DISCONNECT (a Python client's not)."""
    python = await start_server("python-side")
    reasons = []

    @python.sio.event
    async def disconnect(sid, reason):
        reasons.append(reason)

    await node.run(
        "io.on('connection', (s) => {"
        "  s.on('disconnect', (why) => print(s.handshake.auth.name, why));"
        "});"
        "(await jsClient('erin')).disconnect();"
    )
    assert await node.next_printed() == ["erin client namespace disconnect"]
    table = await node.run(f"(await jsClient('erin', '{python.url}')).disconnect();")
    assert table.error is None
    await wait_until(lambda: reasons, what="the Python server seeing erin leave")
    assert reasons == ["client disconnect"]
    assert python.log.lines("connect")[0] == "erin connected to /"


async def test_a_javascript_client_that_cannot_connect_is_an_error_of_the_snippet(node):
    python = await start_server("python-refusing")

    @python.sio.event
    async def connect(sid, environ, auth):
        raise exceptions.ConnectionRefusedError("not today")

    table = await node.run(f"await jsClient('erin', '{python.url}')")
    assert table.error == "not today"
    assert node.running


async def test_node_clients_sit_beside_python_clients_of_the_same_names(node):
    python = await start_server("python-beside")

    @python.sio.on("connect")
    async def connect(sid, environ, auth):
        for room in CAST[(auth or {}).get("name")]:
            await python.sio.enter_room(sid, room)

    python_clients = await connect_clients(python.url, list(CAST))
    node_clients = await node.connect_clients()
    assert [c.name for c in node_clients] == list(CAST)
    assert all(c.connected for c in python_clients + node_clients)

    on_node = await node.run("socket.broadcast.emit('hello', 1)", sender="bob")
    await python.sio.emit("hello", 1, skip_sid=python.sio.sid_of("bob"))
    on_python = await settle(python, python_clients)
    assert on_node.receivers("hello") == ["alice", "carol"]
    assert str(on_node) == str(on_python)
    assert all(c.received("hello") == [] for c in python_clients if c.name == "bob")

    await node.stop()
    assert not any(c.connected for c in node_clients)
    assert all(c.connected for c in python_clients), "stopping Node left Python's clients alone"


async def test_node_clients_join_the_namespaces_the_cast_names_them_in(node_ready):
    node = await start_node_server(cast={"/": {"alice": []}, "/chat": {"alice": [], "bob": []}})
    try:
        alice, bob = await node.connect_clients()
        assert sorted(alice.namespaces) == ["/", "/chat"] and list(bob.namespaces) == ["/chat"]
    finally:
        await stop_all()
