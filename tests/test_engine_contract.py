"""The private behaviour of python-socketio, python-engineio and ipywidgets that chatlib relies on.

Everything chatlib needs beyond those libraries' public API lives in
``chatlib/_engine/``; each test here pins one piece of it, with real servers
and clients on loopback, so that an upgrade that changes it fails here, with
the private name and the tested versions in the message, and nowhere else.
The ranges are in ``chatlib/_engine/versions.py``.
"""

import asyncio
import contextlib
import inspect
import json
import socket as stdlib_socket
import time
import uuid
import warnings
from collections.abc import AsyncIterator
from importlib import metadata
from typing import Any

import aiohttp
import anywidget
import engineio
import pytest
import socketio
import traitlets
from aiohttp import web
from engineio import async_socket as engineio_async_socket
from engineio import packet as eio_packet
from engineio.async_drivers import aiohttp as engineio_aiohttp
from redis import asyncio as redis_client
from socketio.async_pubsub_manager import AsyncPubSubManager

from chatlib._engine import frames, managers, sharedframe, versions, wsdriver
from chatlib._engine.client import EngineClient
from chatlib._engine.leanqueue import LeanQueue
from chatlib._engine.quickpoll import QuickPollSocket
from chatlib._engine.server import MALFORMED, EngineServer, PacketRefused
from chatlib.scale.cluster import wait_for_subscribers

TIMEOUT = 5.0


def broken(name: str, library: str = "python-socketio") -> str:
    """The failure message: which private name changed, in which version, and what was tested."""
    return (
        f"{name} ({library} {metadata.version(library)}) no longer behaves as chatlib/_engine "
        f"relies on; tested with {library}{versions.tested_range(library)}"
    )


# --- the private methods exist with the signatures the overrides use ---------------------------
SIGNATURES = [
    ("python-socketio", socketio.AsyncServer, "_trigger_event", "event, namespace, *args"),
    ("python-socketio", socketio.AsyncServer, "_handle_event", "eio_sid, namespace, id, data"),
    ("python-socketio", socketio.AsyncServer, "_handle_eio_connect", "eio_sid, environ"),
    ("python-socketio", socketio.AsyncServer, "_handle_eio_message", "eio_sid, data"),
    ("python-socketio", socketio.AsyncServer, "_handle_eio_disconnect", "eio_sid, reason"),
    ("python-socketio", socketio.AsyncServer, "_send_packet", "eio_sid, pkt"),
    ("python-socketio", socketio.AsyncServer, "_get_event_handler", "event, namespace, args"),
    ("python-socketio", socketio.AsyncServer, "_get_namespace_handler", "namespace, args"),
    ("python-socketio", socketio.AsyncServer, "_handle_ack", "eio_sid, namespace, id, data"),
    ("python-socketio", socketio.AsyncServer, "_handle_disconnect", "eio_sid, namespace, reason"),
    ("python-socketio", socketio.AsyncClient, "_handle_event", "namespace, id, data"),
    # connection state recovery (chatlib/_engine/recovery.py)
    ("python-socketio", socketio.AsyncServer, "_handle_connect", "eio_sid, namespace, data"),
    ("python-socketio", socketio.AsyncClient, "_send_packet", "pkt"),
    ("python-socketio", socketio.AsyncClient, "_handle_connect", "namespace, data"),
    ("python-socketio", socketio.AsyncClient, "_handle_error", "namespace, data"),
    ("python-socketio", socketio.AsyncClient, "_trigger_event", "event, namespace, *args"),
    # recovery across nodes (chatlib/_engine/shared_recovery.py)
    ("python-socketio", AsyncPubSubManager, "_handle_emit", "message"),
    ("python-engineio", engineio_async_socket.AsyncSocket, "_websocket_handler", "ws"),
    ("python-engineio", engineio_async_socket.AsyncSocket, "poll", ""),
    ("python-engineio", engineio_async_socket.AsyncSocket, "receive", "pkt"),
    ("python-engineio", engineio_async_socket.AsyncSocket, "close", "wait, abort, reason"),
    ("python-engineio", engineio_async_socket.AsyncSocket, "send", "pkt"),
    ("python-engineio", engineio_async_socket.AsyncSocket, "check_ping_timeout", ""),
    ("python-engineio", engineio_async_socket.AsyncSocket, "handle_post_request", "environ"),
    ("python-engineio", engineio_aiohttp.WebSocket, "wait", ""),
]


@pytest.mark.parametrize(
    ("library", "owner", "method", "parameters"),
    SIGNATURES,
    ids=[f"{owner.__name__}.{method}" for _, owner, method, _ in SIGNATURES],
)
def test_private_methods_keep_their_signatures(library, owner, method, parameters):
    name = f"{owner.__module__}.{owner.__name__}.{method}"
    function = getattr(owner, method, None)
    assert function is not None, broken(f"{name} (missing)", library)
    assert inspect.iscoroutinefunction(function) or method.startswith("_get_"), broken(
        f"{name} (no longer a coroutine function)", library
    )
    shown = ", ".join(
        ("*" if p.kind is p.VAR_POSITIONAL else "") + p.name
        for p in list(inspect.signature(function).parameters.values())[1:]
    )
    assert shown == parameters, broken(f"{name}({shown}), expected ({parameters})", library)


def test_recovery_finds_the_engine_and_manager_pieces_it_reuses():
    """A recovered socket gets its old sid through the id generator the manager calls, its
    rooms back through ``basic_enter_room``, and its data through the socket's session."""
    sio = socketio.AsyncServer(async_mode="aiohttp")
    assert callable(getattr(sio.eio, "generate_id", None)), broken("AsyncServer.eio.generate_id")
    pre_connect = getattr(sio.manager, "pre_connect", None)  # gives the new socket its sid
    assert pre_connect is not None, broken("AsyncManager.pre_connect (missing)")
    enter = getattr(sio.manager, "basic_enter_room", None)
    assert enter is not None, broken("AsyncManager.basic_enter_room (missing)")
    shown = ", ".join(inspect.signature(enter).parameters)
    assert shown == "sid, namespace, room, eio_sid", broken(f"basic_enter_room({shown})")
    socket = engineio_async_socket.AsyncSocket(sio.eio, "sid")
    assert isinstance(socket.session, dict), broken("AsyncSocket.session", "python-engineio")
    assert isinstance(socket.queue, asyncio.Queue), broken("AsyncSocket.queue", "python-engineio")


# --- a real server built on EngineServer ----------------------------------------------------
@contextlib.asynccontextmanager
async def serving(sio: socketio.AsyncServer) -> AsyncIterator[str]:
    """Serve ``sio`` on a free loopback port; yield its URL; disconnect everyone and stop."""
    app = web.Application()
    sio.attach(app)
    runner = web.AppRunner(app, shutdown_timeout=0.25)
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", 0).start()
    try:
        yield f"http://127.0.0.1:{runner.addresses[0][1]}"
    finally:
        for socket in list(sio.eio.sockets.values()):  # no waiting for clients to answer
            await socket.close(wait=False, abort=True)
        await runner.cleanup()


class Recorder(EngineServer):
    """An EngineServer that writes down what each hook saw."""

    def __init__(self, **options: Any) -> None:
        super().__init__(async_mode="aiohttp", **options)
        self.seen: list[tuple[Any, ...]] = []
        self.blocked: set[str] = set()
        self.malformed: list[Exception] = []
        self.ended = asyncio.Event()

    async def on_handler(self, event: str, namespace: str, args: tuple[Any, ...]) -> Any:
        self.seen.append(("handler", event, namespace, args))
        return await super().on_handler(event, namespace, args)

    async def on_event_packet(self, eio_sid: str, namespace: str, id: Any, data: Any) -> bool:
        self.seen.append(("packet", namespace, id, data))
        if isinstance(data, list) and data and data[0] in self.blocked:
            if id is not None:
                await self.send_ack(eio_sid, namespace, id, ["refused", data[0]])
            return False
        return True

    async def on_malformed_packet(self, eio_sid: str, error: Exception) -> None:
        self.malformed.append(error)

    async def on_engine_disconnect(self, eio_sid: str) -> None:
        self.seen.append(("engine disconnect", eio_sid))
        self.ended.set()


async def wait_for(condition, what: str) -> None:
    """Wait (bounded) until ``condition()`` is true."""
    async with asyncio.timeout(TIMEOUT):
        while not condition():
            await asyncio.sleep(0.01)


def client() -> socketio.AsyncClient:
    return socketio.AsyncClient(handle_sigint=False, reconnection=False)


async def test_every_handler_call_reaches_on_handler_with_its_arguments():
    sio = Recorder()
    got: list[Any] = []

    @sio.on("connect")
    async def connect(sid, environ, auth):
        got.append(("connect", auth))

    @sio.on("hello")
    async def hello(sid, *args):
        got.append(("hello", args))
        return "hi"

    @sio.on("disconnect")
    async def disconnect(sid, reason):
        got.append(("disconnect", reason))

    class Chat(socketio.AsyncNamespace):
        async def on_topic(self, sid, data):
            got.append(("topic", data))

    sio.register_namespace(Chat("/chat"))
    async with serving(sio) as url:
        alice = client()
        await alice.connect(url, auth={"name": "alice"}, namespaces=["/", "/chat"])
        assert await alice.call("hello", (1, "two"), timeout=TIMEOUT) == "hi"
        await alice.emit("topic", "music", namespace="/chat")
        await wait_for(lambda: ("topic", "music") in got, "the namespace class's handler")
        sid = alice.get_sid("/")
        await alice.disconnect()
        await asyncio.wait_for(sio.ended.wait(), TIMEOUT)
    handled = [entry[1:] for entry in sio.seen if entry[0] == "handler"]
    name = "AsyncServer._trigger_event"
    connect_call = next(h for h in handled if h[:2] == ("connect", "/"))
    assert connect_call[2][0] == sid and isinstance(connect_call[2][1], dict), broken(name)
    assert connect_call[2][2] == {"name": "alice"}, broken(f"{name} (connect's auth)")
    assert ("hello", "/", (sid, 1, "two")) in handled, broken(f"{name} (event arguments)")
    assert any(h[:2] == ("topic", "/chat") for h in handled), broken(f"{name} (namespace class)")
    disconnect_call = next(h for h in handled if h[:2] == ("disconnect", "/"))
    assert disconnect_call[2][0] == sid and isinstance(disconnect_call[2][1], str), broken(
        f"{name} (disconnect's reason)"
    )
    assert got[0] == ("connect", {"name": "alice"}) and ("hello", (1, "two")) in got
    assert got[-1][0] == "disconnect", broken(f"{name} (run_handler runs the handler)")


async def test_event_packets_reach_on_event_packet_before_dispatch_and_can_be_answered():
    sio = Recorder()
    ran: list[str] = []
    sio.blocked.add("secret")

    @sio.on("*")
    async def any_event(event, sid, *args):
        ran.append(event)
        return "ran"

    async with serving(sio) as url:
        alice = client()
        await alice.connect(url)
        answer = await alice.call("secret", {"x": 1}, timeout=TIMEOUT)
        assert answer == ("refused", "secret"), broken("AsyncServer._send_packet (an ACK)")
        assert await alice.call("open", 2, timeout=TIMEOUT) == "ran"
        await alice.disconnect()
    packets = [entry[1:] for entry in sio.seen if entry[0] == "packet"]
    name = "AsyncServer._handle_event"
    assert [p[2] for p in packets] == [["secret", {"x": 1}], ["open", 2]], broken(name)
    assert all(p[0] == "/" and isinstance(p[1], int) for p in packets), broken(f"{name} (id)")
    assert ran == ["open"], broken(f"{name} (a dropped packet must not reach a handler)")


async def test_has_handler_sees_functions_catch_alls_and_namespace_classes():
    sio = Recorder()
    sio.on("chat message", lambda sid, text: None)
    sio.on("*", lambda event, sid, *args: None, namespace="/any")
    sio.register_namespace(socketio.AsyncNamespace("/class"))
    name = "AsyncServer._get_event_handler / _get_namespace_handler"
    assert sio.has_handler("chat message", "/"), broken(name)
    assert not sio.has_handler("other", "/"), broken(name)
    assert sio.has_handler("whatever", "/any"), broken(f"{name} ('*')")
    assert sio.has_handler("whatever", "/class"), broken(f"{name} (namespace class)")
    assert not sio.has_handler("whatever", "/none"), broken(name)
    assert sio.not_handled is not None, broken("AsyncServer.not_handled")


async def test_undecodable_packets_raise_what_on_malformed_packet_catches():
    sio = Recorder()
    async with serving(sio) as url:
        websocket_url = url + "/socket.io/?EIO=4&transport=websocket"
        async with aiohttp.ClientSession() as http, http.ws_connect(websocket_url) as ws:
            assert (await ws.receive_str()).startswith("0")
            await ws.send_str("40")
            assert (await ws.receive_str()).startswith("40")
            await ws.send_str('42["unfinished"')  # not JSON
            await ws.send_str("49")  # no such Socket.IO packet type
            await wait_for(lambda: len(sio.malformed) == 2, "two malformed packets")
            await ws.send_str('451-["file",{"_placeholder":true,"num":0}]')  # waits for bytes
            (eio_sid,) = sio.eio.sockets
            await wait_for(lambda: eio_sid in sio._binary_packet, "a partial binary packet")
            sio.forget_partial_packet(eio_sid)
            assert eio_sid not in sio._binary_packet, broken("AsyncServer._binary_packet")
    name = "AsyncServer._handle_eio_message"
    assert all(isinstance(e, MALFORMED) for e in sio.malformed), broken(
        f"{name} raised {[type(e).__name__ for e in sio.malformed]}"
    )


async def test_waiting_binary_packets_and_awaited_acks_have_the_shapes_read():
    """``_binary_packet[eio_sid]`` holds ``attachment_count`` and ``attachments`` while it
    waits; ``manager.callbacks[sid][id]`` holds what the server awaits; over the caps, or an
    ack nobody awaits, reaches ``on_malformed_packet`` as ``PacketRefused``."""
    sio = Recorder(max_attachments=2, max_attachment_bytes=10)
    async with serving(sio) as url:
        websocket_url = url + "/socket.io/?EIO=4&transport=websocket"
        async with aiohttp.ClientSession() as http, http.ws_connect(websocket_url) as ws:
            assert (await ws.receive_str()).startswith("0")
            await ws.send_str("40")
            sid = json.loads((await ws.receive_str())[2:])["sid"]
            (eio_sid,) = sio.eio.sockets
            await ws.send_str(
                '452-["file",{"_placeholder":true,"num":0},{"_placeholder":true,"num":1}]'
            )
            await wait_for(lambda: eio_sid in sio._binary_packet, "a waiting binary packet")
            waiting = sio._binary_packet[eio_sid]
            name = "Packet.attachment_count/attachments"
            assert (waiting.attachment_count, waiting.attachments) == (2, []), broken(name)
            await ws.send_bytes(b"abcd")
            await wait_for(lambda: waiting.attachments == [b"abcd"], "the first attachment")
            await ws.send_bytes(b"efg")
            await wait_for(
                lambda: ("packet", "/", None, ["file", b"abcd", b"efg"]) in sio.seen, "the event"
            )
            asking = asyncio.ensure_future(sio.call("q", to=sid, timeout=TIMEOUT))
            assert await ws.receive_str() == '421["q"]'
            assert 1 in sio.manager.callbacks.get(sid, {}), broken(
                "AsyncManager.callbacks[sid][id]"
            )
            await ws.send_str('431["a"]')
            assert await asyncio.wait_for(asking, TIMEOUT) == "a"
            assert sio.malformed == []
            await ws.send_str("431[]")  # answered already
            await ws.send_str('453-["file",{"_placeholder":true,"num":0}]')  # over max_attachments
            await ws.send_str('451-["file",{"_placeholder":true,"num":0}]')
            await ws.send_bytes(b"x" * 11)  # over max_attachment_bytes
            await wait_for(lambda: len(sio.malformed) == 3, "three refused packets")
    assert [str(e) for e in sio.malformed] == [
        "an acknowledgement the server never asked for",
        "a binary packet announcing 3 attachments (at most 2)",
        "binary attachments over 10 bytes in one packet",
    ]
    assert all(isinstance(e, PacketRefused) for e in sio.malformed)


async def test_a_dropped_connection_is_told_and_cut_and_an_oversize_post_answered():
    """``drop_connection`` closes through ``AsyncSocket.close(wait=False)``, then cuts the
    WebSocket; an oversize POST reaches ``handle_post_request`` and is answered at once."""
    sio = Recorder(max_http_buffer_size=100)
    async with serving(sio) as url:
        websocket_url = url + "/socket.io/?EIO=4&transport=websocket"
        async with aiohttp.ClientSession() as http, http.ws_connect(websocket_url) as ws:
            assert (await ws.receive_str()).startswith("0")
            (eio_sid,) = sio.eio.sockets
            await sio.drop_connection(eio_sid)
            assert await ws.receive_str(timeout=TIMEOUT) == "1", broken(
                "AsyncSocket.close(wait=False)", "python-engineio"
            )
            ended = await ws.receive(timeout=TIMEOUT)  # not answering: cut anyway
            assert ended.type in (aiohttp.WSMsgType.CLOSE, aiohttp.WSMsgType.CLOSED)
        assert eio_sid not in sio.eio.sockets
        oversize: list[str] = []
        sio.on_oversize_request = oversize.append  # type: ignore[method-assign]
        async with aiohttp.ClientSession() as http:
            base = url + "/socket.io/?EIO=4&transport=polling"
            async with http.get(base) as response:
                eio_sid = json.loads((await response.text())[1:])["sid"]
            async with asyncio.timeout(TIMEOUT):
                async with http.post(f"{base}&sid={eio_sid}", data="4" + "x" * 200) as response:
                    assert response.status == 400, broken("AsyncSocket.handle_post_request")
    assert oversize == [eio_sid] and eio_sid not in sio.eio.sockets


async def test_the_engine_disconnect_comes_after_every_namespace_disconnect():
    sio = Recorder()
    order: list[str] = []
    sio.on("disconnect", lambda sid, reason: order.append("/"))
    sio.on("disconnect", lambda sid, reason: order.append("/b"), namespace="/b")
    async with serving(sio) as url:
        alice = client()
        await alice.connect(url, namespaces=["/", "/b"])
        eio_sid = alice.eio.sid
        await alice.disconnect()
        await asyncio.wait_for(sio.ended.wait(), TIMEOUT)
    ended = [entry for entry in sio.seen if entry[0] == "engine disconnect"]
    assert ended == [("engine disconnect", eio_sid)], broken("AsyncServer._handle_eio_disconnect")
    last = max(i for i, e in enumerate(sio.seen) if e[:2] == ("handler", "disconnect"))
    assert sio.seen.index(ended[0]) > last, broken("AsyncServer._handle_eio_disconnect (order)")
    assert sorted(order) == ["/", "/b"]


async def test_each_connection_gets_a_quickpoll_socket_fed_by_engineio_internals():
    sio = Recorder(ping_interval=0.2, ping_timeout=1)
    async with serving(sio) as url:
        alice = client()
        await alice.connect(url, transports=["websocket"])
        (socket,) = sio.eio.sockets.values()
        name = "AsyncServer._handle_eio_connect (called once the Engine.IO socket exists)"
        assert type(socket) is QuickPollSocket, broken(name)
        engine = "python-engineio"
        ws = socket._websocket
        assert ws is not None, broken("AsyncSocket._websocket_handler(ws)", engine)
        transport = ws.environ["aiohttp.request"].transport
        assert transport.get_write_buffer_size() >= 0, broken("ws.environ['aiohttp.request']")
        assert socket.upgraded and not socket.closing, broken(
            "AsyncSocket.upgraded/closing", engine
        )
        assert isinstance(socket.queue, LeanQueue), broken("AsyncSocket.queue (replaced)", engine)
        await wait_for(lambda: socket._writer_idle, "the WebSocket to be written to directly")
        assert await socket.check_ping_timeout(), broken("AsyncSocket.check_ping_timeout", engine)
        received: list[int] = []
        alice.on("n", received.append)
        for n in range(20):
            await sio.emit("n", n)
        await wait_for(lambda: len(received) == 20, "20 messages")
        assert received == list(range(20)), broken("AsyncSocket.send/poll (order)", engine)
        await asyncio.sleep(0.5)  # longer than ping_interval: pings must keep flowing
        assert alice.connected, broken("AsyncSocket.receive/schedule_ping (pings)", engine)
        await alice.disconnect()


async def test_a_plain_websocket_lends_its_transport_to_shared_frames():
    """sharedframe.write_to_idle: the driver's ``_sock`` says whether frames are compressed,
    and the socket attributes it reads mean what engine.io's own ``send`` makes of them."""
    engine = "python-engineio"
    sio = Recorder(ping_interval=0.2, ping_timeout=1)
    async with serving(sio) as url:
        alice = client()
        await alice.connect(url, transports=["websocket"])
        received: list[int] = []
        alice.on("n", received.append)
        ws_url = url + "/socket.io/?EIO=4&transport=websocket"
        async with (
            aiohttp.ClientSession() as http,
            http.ws_connect(ws_url, compress=15) as squeezed,
        ):
            assert squeezed.compress, "the test client should have negotiated compression"
            plain = sio.eio.sockets[alice.eio.sid]
            (deflating,) = [s for s in sio.eio.sockets.values() if s is not plain]
            await wait_for(lambda: deflating._websocket is not None, "the second websocket")
            assert not plain._websocket._sock.compress, broken("aiohttp WebSocket._sock", engine)
            assert deflating._websocket._sock.compress, broken("WebSocket._sock.compress", engine)
            transport = plain._websocket.environ["aiohttp.request"].transport
            assert plain._plain_transport is transport
            assert deflating._plain_transport is None
            # asyncio's selector transport keeps its socket in ``_sock`` and, with nothing
            # buffered, writes by one ``send`` of it: the call write_to_idle makes itself.
            assert isinstance(transport._sock, stdlib_socket.socket), broken(
                "asyncio _SelectorSocketTransport._sock", "CPython"
            )
            assert plain._plain_send == transport._sock.send
            assert deflating._plain_send is None
            await wait_for(lambda: plain._writer_idle, "the WebSocket to be written to directly")
            last_ping = plain.last_ping
            assert plain.closed is False and (last_ping is None or last_ping > 0), broken(
                "AsyncSocket.closed/last_ping", engine
            )
            assert sio.eio.ping_timeout == 1 and sio.eio.sockets[plain.sid] is plain
            pkt = eio_packet.Packet(eio_packet.MESSAGE, '2["n",7]')
            frame = sharedframe.websocket_frames([pkt])
            left = sharedframe.write_to_idle(sio.eio, [plain.sid, deflating.sid], frame, [pkt])
            assert left == [deflating.sid]
            await wait_for(lambda: received == [7], "the shared frame")
            plain.last_ping = time.time() - 2  # a ping unanswered for longer than ping_timeout
            assert sharedframe.write_to_idle(sio.eio, [plain.sid], frame, [pkt]) == [plain.sid]
            assert not await plain.check_ping_timeout(), broken("AsyncSocket.last_ping", engine)
            assert plain.closing or plain.closed, broken("AsyncSocket.closing", engine)


async def test_the_websocket_driver_can_be_swapped_per_server_and_closed_on_a_bad_frame():
    sio = Recorder()
    bad_frames: list[str] = []
    stock = sio.eio._async["websocket"]
    frames.close_on_bad_frames(sio.eio, lambda: bad_frames.append("bad"))
    engine = "python-engineio"
    assert issubclass(sio.eio._async["websocket"], stock), broken("AsyncServer._async", engine)
    other = engineio.AsyncServer(async_mode="aiohttp")
    assert other._async["websocket"] is stock, broken("AsyncServer._async (shared table)", engine)
    async with serving(sio) as url:
        websocket_url = url + "/socket.io/?EIO=4&transport=websocket"
        async with aiohttp.ClientSession() as http, http.ws_connect(websocket_url) as ws:
            assert (await ws.receive_str()).startswith("0")
            await ws.send_str("x")
            closing = await ws.receive(timeout=TIMEOUT)
            assert closing.type in (aiohttp.WSMsgType.CLOSE, aiohttp.WSMsgType.CLOSED), broken(
                "aiohttp WebSocket.wait / ._sock", engine
            )
        await asyncio.wait_for(sio.ended.wait(), TIMEOUT)
    assert bad_frames == ["bad"]
    assert not sio.eio.sockets, broken("WebSocket.wait returning None ends the session", engine)


async def test_the_websocket_driver_can_decline_compression_and_still_serve():
    """wsdriver.decline_compression redoes the stock driver's ``__call__`` (``_sock``,
    ``environ``, ``handler``, ``server.max_http_buffer_size``) with ``compress=False``."""
    sio = Recorder(max_http_buffer_size=1_000)
    stock = sio.eio._async["websocket"]
    wsdriver.decline_compression(sio.eio)
    frames.close_on_bad_frames(sio.eio, lambda: None)  # the classroom stacks both
    engine = "python-engineio"
    assert issubclass(sio.eio._async["websocket"], stock), broken("AsyncServer._async", engine)
    async with serving(sio) as url:
        websocket_url = url + "/socket.io/?EIO=4&transport=websocket"
        session = aiohttp.ClientSession()
        async with session as http, http.ws_connect(websocket_url, compress=15) as ws:
            assert not ws.compress, broken("aiohttp WebSocket.__call__ (compress)", engine)
            assert (await ws.receive_str()).startswith("0{")
            await ws.send_str("40")
            assert (await ws.receive_str()).startswith("40")
            (socket,) = sio.eio.sockets.values()
            assert socket._websocket.environ["aiohttp.request"] is not None, broken(
                "aiohttp WebSocket.environ", engine
            )
            await ws.send_str("42" + '["big","' + "x" * 2_000 + '"]')  # over the limit
            closing = await ws.receive(timeout=TIMEOUT)
            assert closing.type in (aiohttp.WSMsgType.CLOSE, aiohttp.WSMsgType.CLOSED), broken(
                "aiohttp WebSocket: max_http_buffer_size as max_msg_size", engine
            )


async def test_the_room_table_and_the_listener_have_the_shapes_read():
    sio = Recorder()
    async with serving(sio) as url:
        alice = client()
        await alice.connect(url)
        sid, eio_sid = alice.get_sid(), alice.eio.sid
        await sio.enter_room(sid, "music")
        table = managers.room_table(sio.manager, "/")
        name = "AsyncManager.rooms"
        assert table.get(None) == {sid: eio_sid}, broken(f"{name} (room None: everyone)")
        assert table.get(sid) == {sid: eio_sid}, broken(f"{name} (a socket's own room)")
        assert table.get("music") == {sid: eio_sid}, broken(f"{name} (a named room)")
        assert managers.namespaces_in_use(sio.manager) == ["/"], broken(name)
        bob = client()
        await bob.connect(url)
        await sio.enter_room(bob.get_sid(), "art")
        for room in (None, "music", ["music", "art"], ("art",), "nowhere"):
            expected = dict(sio.manager.get_participants("/", room))
            found = managers.participants(sio.manager, "/", room)
            assert found == expected, broken(f"{name} (each room's bidict ``_fwdm``)")
            assert list(found) == list(expected), broken(f"{name} (the order of participants)")
        await bob.disconnect()
        await alice.disconnect()
    fresh = EngineServer(async_mode="aiohttp")
    assert fresh.manager_initialized is False, broken("AsyncServer.manager_initialized")
    managers.start_listening(fresh)
    assert fresh.manager_initialized is True, broken("AsyncServer.manager_initialized")


@pytest.mark.redis
async def test_a_redis_manager_listens_in_a_task_and_closes_its_connections(redis):
    channel = f"contract-{uuid.uuid4().hex[:8]}"
    manager = socketio.AsyncRedisManager(redis.url, channel=channel)
    sio = EngineServer(async_mode="aiohttp", client_manager=manager)
    managers.start_listening(sio)
    name = "AsyncRedisManager.thread / .pubsub / .redis"
    await wait_for_subscribers(redis.url, channel, 1, TIMEOUT)  # listening, as a node does
    task = manager.thread
    assert isinstance(task, asyncio.Task) and not task.done(), broken(name)
    assert getattr(manager, "pubsub", None) is not None, broken(name)
    assert getattr(manager, "redis", None) is not None, broken(name)
    async with asyncio.timeout(TIMEOUT):
        await managers.close_queue(manager)
    assert task.done(), broken(f"{name} (cancelled)")
    async with redis_client.Redis.from_url(redis.url) as check:
        [(_, left)] = await check.pubsub_numsub(channel)
    assert left == 0, broken(f"{name} (closed: nobody listens on the channel)")


@pytest.mark.redis
async def test_the_pubsub_listener_hands_handle_emit_each_emit_without_this_nodes_host_id(redis):
    """Recovery across nodes publishes its emits without a ``host_id``, with one more field
    (``offset``), and relies on every node's listener, the publisher's included, handing
    them to ``_handle_emit`` decoded with the server's JSON module and that field intact."""
    channel = f"contract-{uuid.uuid4().hex[:8]}"
    handed: list[dict[str, Any]] = []

    class Watching(socketio.AsyncRedisManager):
        async def _handle_emit(self, message: dict[str, Any]) -> None:
            handed.append(message)

    manager = Watching(redis.url, channel=channel)
    sio = EngineServer(async_mode="aiohttp", client_manager=manager)
    assert manager.json is sio.packet_class.json, broken("AsyncManager.json")
    managers.start_listening(sio)
    await wait_for_subscribers(redis.url, channel, 1, TIMEOUT)
    emit = {"method": "emit", "data": [], "namespace": "/", "room": None, "skip_sid": None}
    async with redis_client.Redis.from_url(redis.url) as publisher:
        for extra in (
            {"event": "stamped", "offset": "1-0"},
            {"event": "own", "host_id": manager.host_id},  # the publisher's own: skipped
            {"event": "after"},
        ):
            await publisher.publish(channel, json.dumps({**emit, **extra}))
    async with asyncio.timeout(TIMEOUT):
        while len(handed) < 2:
            await asyncio.sleep(0.01)
    name = "AsyncPubSubManager._thread → _handle_emit"
    assert [m["event"] for m in handed] == ["stamped", "after"], broken(name)
    assert handed[0] == {**emit, "event": "stamped", "offset": "1-0"}, broken(name)
    await managers.close_queue(manager)


def test_the_aio_pika_manager_keeps_its_connection_where_close_queue_looks():
    source = inspect.getsource(socketio.AsyncAioPikaManager)
    assert "self.publisher_connection" in source, broken("AsyncAioPikaManager.publisher_connection")


async def test_client_packets_reach_on_event_packet_in_wire_order_before_handlers():
    server = socketio.AsyncServer(async_mode="aiohttp")

    @server.on("go")
    async def go(sid):
        for n in range(30):
            await server.emit("n", n, to=sid)
        await server.emit("hidden", to=sid)

    class Recording(EngineClient):
        def __init__(self) -> None:
            super().__init__(handle_sigint=False, reconnection=False)
            self.packets: list[Any] = []
            self.handled: list[tuple[str, str]] = []

        def on_event_packet(self, namespace: str, data: list[Any]) -> bool:
            self.packets.append(data)
            return data[0] != "hidden"

        async def on_handler(self, event: str, namespace: str, args: tuple[Any, ...]) -> Any:
            self.handled.append((event, namespace))
            return await super().on_handler(event, namespace, args)

    ran: list[int] = []
    alice = Recording()
    alice.on("n", ran.append)
    alice.on("hidden", lambda: ran.append(-1))
    async with serving(server) as url:
        await alice.connect(url, transports=["websocket"])
        await alice.emit("go")
        await wait_for(lambda: len(alice.packets) == 31 and len(ran) == 30, "31 packets")
        await alice.disconnect()
        refused = Recording()
        with contextlib.suppress(socketio.exceptions.ConnectionError):
            await refused.connect(url, namespaces=["/nobody"], wait_timeout=TIMEOUT)
    name = "AsyncClient._handle_event"
    assert alice.packets == [["n", n] for n in range(30)] + [["hidden"]], broken(name)
    assert sorted(ran) == list(range(30)), broken(f"{name} (a swallowed packet runs no handler)")
    events = [event for event, _ in alice.handled]
    name = "AsyncClient._trigger_event"
    assert events[0] == "connect" and events.count("n") == 30, broken(name)
    assert "disconnect" in events, broken(f"{name} (disconnect)")
    assert ("connect_error", "/nobody") in refused.handled, broken(f"{name} (connect_error)")


def test_a_synced_trait_change_is_one_widget_message():
    class Widget(anywidget.AnyWidget):
        _esm = "export default {}"
        state = traitlets.Dict().tag(sync=True)

    widget = Widget()
    sent: list[Any] = []
    widget.comm.send = lambda *args, **kwargs: sent.append(kwargs.get("data"))
    changes: list[Any] = []
    widget.observe(changes.append, names="state")
    widget.state = {"step": 1}
    widget.state = {"step": 1}  # unchanged: no message, no change
    widget.state = {"step": 2}
    name = "one update message per change of a synced trait"
    assert len(sent) == len(changes) == 2, broken(name, "ipywidgets")
    assert sent[-1]["state"] == {"state": {"step": 2}}, broken(name, "ipywidgets")


# --- the version check ------------------------------------------------------------------------
def test_the_installed_versions_are_the_tested_ones():
    assert versions.untested() == []


def test_an_untested_version_is_named_with_the_range_once(monkeypatch):
    installed = metadata.version("python-socketio")
    monkeypatch.setitem(versions.TESTED, "python-socketio", ("0.1", "0.2"))
    monkeypatch.setattr(versions, "_warned", False)
    assert not versions.is_tested("python-socketio", installed)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        EngineServer(async_mode="aiohttp")
        EngineClient(handle_sigint=False)
    assert len(caught) == 1 and caught[0].category is versions.UntestedVersionWarning
    assert f"python-socketio {installed} is installed" in str(caught[0].message)
    assert "python-socketio>=0.1,<0.2" in str(caught[0].message)


def test_versions_compare_by_their_numbers():
    assert versions.is_tested("python-socketio", "5.18.1")
    assert not versions.is_tested("python-socketio", "5.19.0")
    assert not versions.is_tested("python-engineio", "4.9.1")
    assert versions.is_tested("ipywidgets", "8.1.9")
    assert not versions.is_tested("ipywidgets", "9.0.0rc1")
