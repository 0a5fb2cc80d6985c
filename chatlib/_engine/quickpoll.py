"""An Engine.IO socket that writes a chat frame at once when nothing is ahead of it.

Subclasses python-engineio's ``AsyncSocket`` and relies on its internals
(``_websocket_handler``, ``queue``, ``poll``, ``upgraded``, ``closing``,
``check_ping_timeout``); ``tests/test_engine_contract.py`` pins each of them.
``chatlib._engine.server.EngineServer`` gives every new connection this class.
"""

from __future__ import annotations

import asyncio
import socket
from typing import Any

from engineio import async_socket as engineio_async_socket
from engineio import exceptions as engineio_exceptions
from engineio import packet as eio_packet

DIRECT_WRITE_LIMIT = 16 * 1024
"""Largest frame written directly; with an empty buffer it cannot fill the transport
to its high-water mark, so writing it never waits for the client to read."""


def log_sending(logger: Any, eio_sid: str, pkt: eio_packet.Packet) -> None:
    """The line python-engineio logs for each packet it sends, for a packet written around it."""
    shown = "<binary>" if isinstance(pkt.data, bytes) else pkt.data
    logger.info("%s: Sending packet MESSAGE data %s", eio_sid, shown)


class QuickPollSocket(engineio_async_socket.AsyncSocket):
    """An Engine.IO socket that writes chat frames straight to an idle WebSocket.

    Stock sockets put every packet in a queue that a writer task drains: per
    delivery a queue put, a task wake-up and, on Python 3.11, a new task
    inside ``asyncio.wait_for``. When the socket is on WebSocket, its queue
    is empty and its writer is waiting, nothing can be ahead of a packet,
    so it is written at once; the frame enters the transport's buffer before
    any other send can run, which keeps the order of the wire. A slow reader
    (bytes still buffered for it) or a large frame takes the queue as usual,
    so one client can never hold up a broadcast to the others; the writer
    waits with ``asyncio.timeout``, which needs no task.

    Only Socket.IO payloads (Engine.IO MESSAGE packets) take the direct path.
    Engine.IO's own packets (PING, NOOP, CLOSE) always go through the queue:
    the writer gives up on a socket whose queue stays empty for
    ``ping_interval + ping_timeout``, and the ping that engine.io sends every
    ``ping_interval`` is what keeps a live connection's writer fed. A ping
    written around the queue would starve it, and every WebSocket would be
    dropped 45 s after it connected.
    """

    _websocket: Any = None
    _writer_waiting = False
    _plain_transport: Any = None
    """The WebSocket's transport when its frames are not compressed: a broadcast's
    shared frame may be written to it (``sharedframe.write_to_idle``)."""
    _plain_send: Any = None
    """The ``send`` of the socket behind ``_plain_transport`` when asyncio's own selector
    transport holds it (``_sock``): with nothing buffered, that is the one call
    ``transport.write`` would make. ``None`` on other loops (uvloop)."""

    @staticmethod
    def on_oversize_request(eio_sid: str) -> None:
        """Told when a polling POST is over the size limit (the server sets its own)."""

    async def handle_post_request(self, environ: dict[str, Any]) -> None:
        """python-engineio's POST, but an oversize one closes the session first.

        python-engineio answers an oversize POST only once the session has
        closed, and its close waits for the client to fetch the CLOSE packet:
        a client that is not polling at that moment never gets an answer.
        Closed here without waiting, the POST is answered at once (400).
        """
        length = int(environ.get("CONTENT_LENGTH") or 0)
        if length > self.server.max_http_buffer_size and not self.closed:
            self.on_oversize_request(self.sid)
            await self.close(wait=False, reason=self.server.reason.TRANSPORT_ERROR)
        return await super().handle_post_request(environ)

    def cut_after(self, delay: float) -> None:
        """Cut this socket's WebSocket (its TCP connection) after ``delay`` seconds."""
        ws = self._websocket
        transport = ws.environ["aiohttp.request"].transport if ws is not None else None
        if transport is not None:
            asyncio.get_running_loop().call_later(delay, transport.abort)

    async def _websocket_handler(self, ws: Any) -> Any:
        self._websocket = ws
        response = getattr(ws, "_sock", None)  # the aiohttp WebSocketResponse behind the driver
        if response is not None and not response.compress:
            self._plain_transport = ws.environ["aiohttp.request"].transport
            raw = getattr(self._plain_transport, "_sock", None)
            self._plain_send = raw.send if isinstance(raw, socket.socket) else None
        try:
            return await super()._websocket_handler(ws)
        finally:
            self._websocket = None
            self._plain_transport = None
            self._plain_send = None

    async def send(self, pkt: Any) -> None:
        ws = self._websocket
        if (
            pkt.packet_type != eio_packet.MESSAGE  # engine.io's own packets: its own path
            or ws is None
            or not self._writer_waiting
            or not self.upgraded
            or self.closing
        ):
            return await super().send(pkt)
        encoded = pkt.encode()
        transport = ws.environ["aiohttp.request"].transport
        if (
            not self.queue.empty()
            or len(encoded) > DIRECT_WRITE_LIMIT
            or transport is None
            or transport.get_write_buffer_size()  # a slow reader: let its writer wait, not us
        ):
            return await super().send(pkt)
        if not await self.check_ping_timeout():
            return None
        try:
            await ws.send(encoded)
        except Exception:  # the connection is gone: a lost transport, not a goodbye
            await self.close(wait=False, abort=True, reason=self.server.reason.TRANSPORT_ERROR)
            return None
        log_sending(self.server.logger, self.sid, pkt)
        return None

    async def poll(self) -> list[Any]:
        self._writer_waiting = True
        try:
            async with asyncio.timeout(self.server.ping_interval + self.server.ping_timeout):
                first = await self.queue.get()
        except (TimeoutError, asyncio.CancelledError):
            raise engineio_exceptions.QueueEmpty() from None
        finally:
            self._writer_waiting = False
        self.queue.task_done()
        if first is None:
            return []
        packets = [first]
        while not self.queue.empty():
            pkt = self.queue.get_nowait()
            self.queue.task_done()
            if pkt is None:  # closing: leave the marker for the next poll
                self.queue.put_nowait(None)
                break
            packets.append(pkt)
        return packets
