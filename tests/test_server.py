import asyncio
import time

import aiohttp
import psutil
import pytest
import socketio
from socketio import exceptions

from chatlib import (
    ChatClient,
    EmbeddedServer,
    assert_no_handler_errors,
    connect_clients,
    running_servers,
    settle,
    stop_all,
    wait_until,
)


def listening_ports() -> set[int]:
    return {
        c.laddr.port
        for c in psutil.Process().net_connections(kind="tcp")
        if c.status == psutil.CONN_LISTEN
    }


async def test_binds_loopback_on_a_free_port(server):
    assert server.host == "127.0.0.1"
    assert server.port > 0
    assert server.url == f"http://127.0.0.1:{server.port}"
    assert server.port in listening_ports()


async def test_starting_a_server_of_the_same_name_replaces_it():
    before = len(listening_ports())
    servers = []
    for _ in range(3):
        servers.append(await EmbeddedServer("rerun").start())
    try:
        assert len(listening_ports()) == before + 1
        assert [s.running for s in servers] == [False, False, True]
        assert running_servers() == [servers[-1]]
        with pytest.raises(aiohttp.ClientConnectorError):
            async with aiohttp.ClientSession() as http:
                await http.get(f"http://127.0.0.1:{servers[0].port}/socket.io/")
    finally:
        await stop_all()
    assert len(listening_ports()) == before


async def test_stop_with_three_clients_connected_is_quick():
    server = await EmbeddedServer("quick-stop").start()
    clients = await connect_clients(server.url, ["alice", "bob", "carol"])
    started = time.perf_counter()
    await server.stop()
    assert time.perf_counter() - started < 1.0
    assert not any(c.connected for c in clients)
    assert not server.running


async def test_stop_disconnects_clients_it_does_not_know(server):
    import socketio

    stranger = socketio.AsyncClient(handle_sigint=False, reconnection=False)
    await stranger.connect(server.url, transports=["websocket"])
    started = time.perf_counter()
    await server.stop()
    assert time.perf_counter() - started < 1.0
    await wait_until(lambda: not stranger.connected, what="the stranger's disconnect")


async def test_async_with_starts_and_stops():
    async with EmbeddedServer("ctx") as server:
        assert server.running
        port = server.port
    assert not server.running
    assert port not in listening_ports()


async def test_url_of_a_stopped_server_says_so():
    with pytest.raises(RuntimeError, match="not running"):
        _ = EmbeddedServer("idle").url


async def test_log_names_clients_not_sids(server):
    alice, bob = await connect_clients(server.url, ["alice", "bob"])

    @server.sio.on("hi")
    async def hi(sid, data):
        await server.sio.emit("hi", data, skip_sid=sid)

    await alice.emit("hi", "there")
    await settle(server, alice, bob)
    await bob.disconnect()
    await wait_until(
        lambda: "bob disconnected from /" in server.log.lines(), what="bob's disconnect"
    )
    lines = server.log.lines()
    assert "alice connected to /" in lines
    assert "alice → 'hi' 'there'" in lines
    assert "emit 'hi' 'there' to everyone except alice" in lines
    assert "bob disconnected from /" in lines
    assert not any(alice.get_sid() in line for line in lines)


async def test_handler_exception_is_recorded_and_server_keeps_serving(server):
    alice, bob = await connect_clients(server.url, ["alice", "bob"])

    @server.sio.on("boom")
    async def boom(sid, data):
        raise ValueError("bad data")

    @server.sio.on("echo")
    async def echo(sid, data):
        return data

    await alice.emit("boom", 1)
    await settle(server, alice, bob)
    assert [str(e) for e in server.errors] == [
        "test: handler for 'boom' (alice, /) raised ValueError: bad data"
    ]
    assert "error in handler 'boom' (alice): ValueError: bad data" in server.log.lines("error")
    assert await bob.call("echo", "still here", timeout=2) == "still here"
    with pytest.raises(AssertionError) as reported:
        assert_no_handler_errors()
    assert "on Node the same throw is an uncaught exception" in str(reported.value)
    assert "raised ValueError: bad data" in str(reported.value)
    server.errors.clear()


async def test_a_failing_connect_handler_refuses_with_a_clear_message(server):
    @server.sio.event
    async def connect(sid, environ, auth):
        raise KeyError("oops")

    client = ChatClient("dave", reconnection=False)
    with pytest.raises(exceptions.ConnectionError):
        await client.connect(server.url)
    assert client.connect_errors[-1] == {"message": "the server's connect handler failed"}
    assert "KeyError" in server.errors[-1].error
    server.errors.clear()


async def test_a_type_error_in_a_connect_handler_is_a_handler_error_not_a_hang(server):
    """``auth["name"]`` on a client without auth raises TypeError, which python-socketio also
    uses to try its legacy (sid, environ) call: once both fail, the client is refused at
    once with the reason, and the first error is the one recorded."""

    @server.sio.event
    async def connect(sid, environ, auth):
        auth["name"]  # a client that sends no auth: None is not subscriptable

    @server.sio.on("connect", namespace="/legacy")
    async def legacy(sid, environ):  # the two-argument form still connects
        pass

    plain = socketio.AsyncClient(reconnection=False, handle_sigint=False)  # sends no auth
    refusals: list[object] = []
    plain.on("connect_error", refusals.append)
    with pytest.raises(exceptions.ConnectionError):
        await asyncio.wait_for(plain.connect(server.url, wait_timeout=3), 5)
    assert refusals == [{"message": "the server's connect handler failed"}]
    assert [e.error for e in server.errors] == ["TypeError: 'NoneType' object is not subscriptable"]
    server.errors.clear()
    old = socketio.AsyncClient(reconnection=False, handle_sigint=False)  # no auth either
    await old.connect(server.url, namespaces=["/legacy"], wait_timeout=3)
    assert old.connected
    await old.disconnect()
    assert not server.errors


async def test_server_refuses_reserved_event_names(server):
    with pytest.raises(ValueError, match="reserved"):
        await server.sio.emit("disconnect", "x")


async def test_an_empty_target_list_is_logged_as_python_socketio_sends_it(server):
    """``to=[]`` means no target at all to python-socketio: everyone gets it."""
    alice, bob = await connect_clients(server.url, ["alice", "bob"])
    await server.sio.emit("left", "x", to=[], skip_sid=alice.get_sid())
    delivery = await settle(server, alice, bob)
    assert delivery.receivers("left") == ["bob"]
    assert "emit 'left' 'x' to everyone except alice" in server.log.lines("emit")
