"""One Socket.IO server living in the kernel's own event loop.

``web.run_app`` and ``asyncio.run`` cannot be used inside a running kernel,
so the server is an aiohttp ``AppRunner`` + ``TCPSite`` started with a
top-level ``await``. Servers are kept by name: starting one stops the previous
server of the same name, so re-running a cell never leaves a port behind.
Stopping disconnects clients first; with clients still attached, aiohttp's
cleanup would wait out the ping timeout (~45 s). Clients of other processes (a
browser tab on the chat page) are sent a Socket.IO disconnect, which the official
client takes as final and answers by closing its connection; an Engine.IO close
alone is ignored by it, and it would hold the websocket open for those 45 s.
"""

from __future__ import annotations

import asyncio
import time
from typing import Any, Self

from aiohttp import web

from ._engine.wsdriver import decline_compression
from .admission import HANDSHAKE_TIMEOUT, ConnectionGate, raise_open_file_limit
from .chat import add_chat_page
from .clients import ChatClient, disconnect_clients
from .fanout import FanoutManager
from .log import ServerLog
from .observed import HandlerError, ObservedServer

_running: dict[str, EmbeddedServer] = {}

SHUTDOWN_TIMEOUT = 0.25
"""Seconds aiohttp's cleanup lets open connections finish before cancelling them.

A client that ignores every goodbye (a plain AsyncClient in this same loop is
one) would otherwise hold the stop for aiohttp's default 60 s.
"""

CLOSE_WAIT = 1.0
"""How long ``stop()`` lets remote clients close their own connections."""


class EmbeddedServer:
    """An ``ObservedServer`` (``.sio``) served by aiohttp on loopback.

    Register handlers on ``.sio`` exactly as with python-socketio; add HTTP
    routes to ``.app`` before ``start()``. WebSocket compression is off unless
    ``websocket_compression=True``: it costs more than it saves on chat frames.
    ``server_class`` swaps in a subclass of ``ObservedServer`` (the classroom's
    guarded server is one). ``connections_per_address`` caps the connections
    one other machine may hold open (see ``chatlib.admission``); a
    connection that sends no complete request for ``HANDSHAKE_TIMEOUT``
    seconds is always closed.
    """

    def __init__(
        self,
        name: str = "chat",
        *,
        host: str = "127.0.0.1",
        port: int = 0,
        chat_page: bool = False,
        websocket_compression: bool = False,
        server_class: type[ObservedServer] = ObservedServer,
        connections_per_address: int | None = None,
        **server_options: Any,
    ) -> None:
        self.name = name
        self.host = host
        self.port = port
        server_options.setdefault("client_manager", FanoutManager())
        self.sio = server_class(name=name, async_mode="aiohttp", **server_options)
        if not websocket_compression:
            decline_compression(self.sio.eio)
        self.app = web.Application()
        self.sio.attach(self.app)
        if chat_page:
            add_chat_page(self.app)
        self._runner: web.AppRunner | None = None
        self.gate = ConnectionGate(connections_per_address, self._report_limit)

    def _report_limit(self, line: str) -> None:
        self.log.add("limit", line)

    def __repr__(self) -> str:
        state = "running" if self.running else "stopped"
        return f"<EmbeddedServer {self.name!r} {state}>"

    @property
    def running(self) -> bool:
        return self._runner is not None

    @property
    def url(self) -> str:
        """The server's address, e.g. to open the chat page in a browser tab."""
        if not self.running:
            raise RuntimeError(f"server {self.name!r} is not running: await its start() first")
        return f"http://{self.host}:{self.port}"

    @property
    def log(self) -> ServerLog:
        return self.sio.log

    @property
    def errors(self) -> list[HandlerError]:
        return self.sio.errors

    async def start(self) -> Self:
        """Listen on ``host:port`` (a free port when 0), replacing a server of the same name."""
        previous = _running.get(self.name)
        if previous is not None and previous is not self:
            await previous.stop()
        if self.running:
            return self
        raise_open_file_limit()
        runner = web.AppRunner(
            self.app,
            access_log=None,
            handle_signals=False,
            shutdown_timeout=SHUTDOWN_TIMEOUT,
            keepalive_timeout=HANDSHAKE_TIMEOUT,
        )
        await runner.setup()
        assert runner.server is not None  # set up just above
        self.gate.install(runner.server)
        try:
            await web.TCPSite(runner, self.host, self.port).start()
        except OSError:
            await runner.cleanup()
            raise
        self._runner = runner
        self.port = runner.addresses[0][1]
        _running[self.name] = self
        self.log.add("server", f"server {self.name!r} started")
        return self

    async def stop(self, *, crash: bool = False) -> None:
        """Disconnect every client, then close the listening socket.

        ``crash=True`` stops as a killed process would: every TCP connection
        is cut without a goodbye, so clients see a lost connection and keep
        trying to reconnect (a polite disconnect tells them not to).
        """
        if self._runner is None:
            return
        if crash:
            self._cut_connections()
        else:
            await self._say_goodbye()
        runner, self._runner = self._runner, None
        await runner.cleanup()
        if _running.get(self.name) is self:
            del _running[self.name]
        self.log.add("server", f"server {self.name!r} {'crashed' if crash else 'stopped'}")

    def _cut_connections(self) -> None:
        """Abort every TCP connection, as a dying process would: clients will try again."""
        server = self._runner.server if self._runner is not None else None
        for connection in server.connections if server is not None else []:
            if connection.transport is not None:
                connection.transport.abort()

    async def _say_goodbye(self) -> None:
        """Tell every client the server is leaving, so that none tries to come back."""
        await disconnect_clients(self.url)
        await self._disconnect_remote_clients()
        await self._drop_engine_sockets()

    async def _disconnect_remote_clients(self) -> None:
        """Send each socket a Socket.IO DISCONNECT; wait (bounded) for them to hang up."""
        manager = self.sio.manager
        for namespace in list(manager.get_namespaces()):
            for sid, _eio_sid in list(manager.get_participants(namespace, None)):
                await self.sio.disconnect(sid, namespace=namespace)
        deadline = time.monotonic() + CLOSE_WAIT
        sockets = self.sio.eio.sockets
        while any(not s.closed for s in sockets.values()) and time.monotonic() < deadline:
            await asyncio.sleep(0.01)

    async def _drop_engine_sockets(self) -> None:
        """Close the connections still open without waiting for their clients.

        ``eio.disconnect()`` waits until each client has fetched the close packet:
        forever, for a polling client that vanished without saying goodbye.
        """
        sockets = list(self.sio.eio.sockets.values())
        for socket in sockets:
            await socket.close(wait=False, reason=self.sio.eio.reason.SERVER_DISCONNECT)
        self.sio.eio.sockets.clear()

    async def __aenter__(self) -> Self:
        return await self.start()

    async def __aexit__(self, *exc_info: object) -> None:
        await self.stop()

    def rooms_of(self, client: ChatClient) -> list[str]:
        """The rooms ``client`` is in, as this server sees them, without its own sid room.

        Rooms live only on the server: a client cannot know its rooms.
        """
        rooms = []
        for namespace in client.namespaces:
            sid = client.get_sid(namespace)
            if sid is None:
                continue
            prefix = "" if namespace == "/" else namespace + " "
            rooms += [prefix + r for r in self.sio.rooms(sid, namespace) if r != sid]
        return sorted(rooms)


async def start_server(name: str = "chat", **options: Any) -> EmbeddedServer:
    """Create and start an ``EmbeddedServer``; see its parameters."""
    return await EmbeddedServer(name, **options).start()


def running_servers() -> list[EmbeddedServer]:
    return list(_running.values())


async def stop_all() -> None:
    """Stop every running server, Node's included, and disconnect every chat client."""
    from .nodejs import stop_node_servers  # imported here: nodejs imports this package's core

    await disconnect_clients()
    for server in list(_running.values()):
        await server.stop()
    await stop_node_servers()
