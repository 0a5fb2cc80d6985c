"""An Engine.IO socket that writes a chat frame at once, and holds little while idle.

Subclasses python-engineio's ``AsyncSocket``. Its WebSocket loop and its ping
timer are chatlib's own; the rest (``receive``, ``send``, ``close``,
``check_ping_timeout``, the polling transport, the attributes ``queue``,
``upgraded``, ``upgrading``, ``closing``, ``last_ping``) is engine.io's, and
``tests/test_engine_contract.py`` pins each piece relied on.
``chatlib._engine.server.EngineServer`` gives every new connection this class.
"""

from __future__ import annotations

import asyncio
import contextlib
import socket
import time
from typing import Any

from engineio import async_socket as engineio_async_socket
from engineio import exceptions as engineio_exceptions
from engineio import packet as eio_packet

DIRECT_WRITE_LIMIT = 16 * 1024
"""Largest frame written directly; with an empty buffer it cannot fill the transport
to its high-water mark, so writing it never waits for the client to read."""


def log_sending(logger: Any, eio_sid: str, pkt: eio_packet.Packet) -> None:
    """The line python-engineio logs for each packet it sends, for one sent around its ``send``."""
    shown = "<binary>" if isinstance(pkt.data, bytes) else pkt.data
    name = eio_packet.packet_names[pkt.packet_type]
    logger.info("%s: Sending packet %s data %s", eio_sid, name, shown)


class QuickPollSocket(engineio_async_socket.AsyncSocket):
    """An Engine.IO socket whose idle WebSocket waits on one read task and a timer.

    python-engineio keeps, for every WebSocket, a task for the pending read, a
    writer task waiting on the socket's queue, and a task sleeping until the
    next ping: three tasks, with their coroutines and timers, for a
    connection that does nothing. Here a writer task exists only while
    packets wait in the queue, and the next ping is a timer; the read keeps
    its task.

    On WebSocket with no writer running, nothing can be ahead of a packet, so
    a Socket.IO payload (an Engine.IO MESSAGE) is written at once: no queue,
    no task. A slow reader (bytes still buffered for it) or a large frame
    takes the queue, and a writer task sends it in order, so one client never
    holds up a broadcast to the others. Engine.IO's own packets (PING, NOOP,
    CLOSE) always take the queue, which the polling transport needs.

    Liveness stays engine.io's: a read waits at most ``ping_interval +
    ping_timeout`` (a live client answers every ping within that), and a send
    after a ping left unanswered closes the socket (``check_ping_timeout``).
    """

    # engine.io's own attributes (set in BaseSocket.__init__), typed for the checks here
    connected: bool
    upgraded: bool
    last_ping: float | None

    _websocket: Any = None
    _reading = False
    """The WebSocket's read loop runs: the client is there to be written to."""
    _writer: asyncio.Task[None] | None = None
    """The task sending queued packets, while there are some."""
    _ping_timer: asyncio.TimerHandle | None = None
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

    # --- sending ---------------------------------------------------------------------
    @property
    def _writer_idle(self) -> bool:
        """On WebSocket with no writer running: a frame written now keeps the wire's order.

        ``sharedframe.write_to_idle`` tests the same two attributes inline.
        """
        return self._reading and self._writer is None

    async def send(self, pkt: Any) -> None:
        ws = self._websocket
        if (
            pkt.packet_type != eio_packet.MESSAGE  # engine.io's own packets: the queue
            or not self._writer_idle
            or self.closing
        ):
            await super().send(pkt)
            self._start_writer()
            return None
        encoded = pkt.encode()
        transport = ws.environ["aiohttp.request"].transport
        if (
            not self.queue.empty()
            or len(encoded) > DIRECT_WRITE_LIMIT
            or transport is None
            or transport.get_write_buffer_size()  # a slow reader: its writer waits, not us
        ):
            await super().send(pkt)
            self._start_writer()
            return None
        if not await self.check_ping_timeout():
            return None
        try:
            await ws.send(encoded)
        except Exception:  # the connection is gone: a lost transport, not a goodbye
            await self.close(wait=False, abort=True, reason=self.server.reason.TRANSPORT_ERROR)
            return None
        log_sending(self.server.logger, self.sid, pkt)
        return None

    def _start_writer(self) -> None:
        """Start a writer for the queued packets: on WebSocket, if none runs and some wait."""
        ws = self._websocket
        if ws is None or not self.upgraded or self._writer is not None or self.queue.empty():
            return
        self._writer = asyncio.get_running_loop().create_task(self._write_queued(ws))

    async def _write_queued(self, ws: Any) -> None:
        """Send the queued packets in order; end once the queue is empty, or at ``None``."""
        try:
            while not self.queue.empty():
                pkt = self.queue.get_nowait()
                self.queue.task_done()
                if pkt is None:  # the read loop has ended: close the WebSocket
                    with contextlib.suppress(Exception):
                        await ws.close()
                    return
                await ws.send(pkt.encode())
        except Exception:  # the connection is gone: the read loop ends too
            with contextlib.suppress(Exception):
                await ws.close()
        finally:
            self._writer = None

    async def poll(self) -> list[Any]:
        """The polling transport's wait for packets, timed by ``asyncio.timeout`` (no task)."""
        try:
            async with asyncio.timeout(self.server.ping_interval + self.server.ping_timeout):
                first = await self.queue.get()
        except (TimeoutError, asyncio.CancelledError):
            raise engineio_exceptions.QueueEmpty() from None
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

    # --- pings: a timer, not a sleeping task ------------------------------------------
    def schedule_ping(self) -> None:
        """Ping in ``ping_interval`` seconds, once the last ping was answered (or at connect)."""
        if self.last_ping:
            self.last_ping = None
            loop = asyncio.get_running_loop()
            self._ping_timer = loop.call_later(self.server.ping_interval, self._ping)

    def _ping(self) -> None:
        self._ping_timer = None
        if self.closing or self.closed:
            return
        self.last_ping = time.time()
        ping = eio_packet.Packet(eio_packet.PING)
        self.queue.put_nowait(ping)
        log_sending(self.server.logger, self.sid, ping)
        self._start_writer()

    async def close(self, wait: bool = True, abort: bool = False, reason: Any = None) -> None:
        if self._ping_timer is not None:
            self._ping_timer.cancel()
            self._ping_timer = None
        await super().close(wait=wait, abort=abort, reason=reason)

    # --- the WebSocket transport ------------------------------------------------------
    async def _websocket_handler(self, ws: Any) -> Any:
        self._websocket = ws
        response = getattr(ws, "_sock", None)  # the aiohttp WebSocketResponse behind the driver
        if response is not None and not response.compress:
            self._plain_transport = ws.environ["aiohttp.request"].transport
            raw = getattr(self._plain_transport, "_sock", None)
            self._plain_send = raw.send if isinstance(raw, socket.socket) else None
        try:
            if self.connected:  # it was polling: the client probes this WebSocket, then moves
                if not await self._complete_upgrade(ws):
                    return None
            else:
                self.connected = True
                self.upgraded = True
            self.server.logger.info("%s: Upgrade to websocket successful", self.sid)
            self._reading = True
            self._start_writer()  # what was queued while it was polling or upgrading
            await self._read_until_closed(ws)
            self._reading = False
            self.queue.put_nowait(None)  # the last thing written: the WebSocket closes
            self._start_writer()
            if self._writer is not None:
                await self._writer
            await self.close(wait=False, abort=True, reason=self.server.reason.TRANSPORT_CLOSE)
            return None
        finally:
            self._reading = False
            self._websocket = None
            self._plain_transport = None
            self._plain_send = None

    async def _complete_upgrade(self, ws: Any) -> bool:
        """The client's probe (PING "probe", answered PONG "probe"), then its UPGRADE."""
        self.upgrading = True  # the polling transport hands out no more packets meanwhile
        try:
            probe = eio_packet.Packet(encoded_packet=await self._read(ws))
            if probe.packet_type != eio_packet.PING or probe.data != "probe":
                self.server.logger.info("%s: Failed websocket upgrade, no PING packet", self.sid)
                return False
            await ws.send(eio_packet.Packet(eio_packet.PONG, data="probe").encode())
            await self.queue.put(eio_packet.Packet(eio_packet.NOOP))  # ends the pending poll
            upgrade = eio_packet.Packet(encoded_packet=await self._read(ws))
            if upgrade.packet_type != eio_packet.UPGRADE:
                self.server.logger.info(
                    "%s: Failed websocket upgrade, expected UPGRADE packet", self.sid
                )
                return False
            self.upgraded = True
            return True
        except (OSError, ValueError):  # gone, or a frame over the size limit
            return False
        finally:
            self.upgrading = False

    async def _read(self, ws: Any) -> Any:
        """The next frame's data (``OSError`` once the client has gone)."""
        data = await ws.wait()
        if data and len(data) > self.server.max_http_buffer_size:
            raise ValueError("packet is too large")
        return data

    async def _read_until_closed(self, ws: Any) -> None:
        """Receive packets until the client closes, stays quiet too long, or is lost."""
        quiet_limit = self.server.ping_interval + self.server.ping_timeout
        while True:
            try:
                async with asyncio.timeout(quiet_limit):
                    # A task per read, and one more turn of the loop after each packet
                    # below: the turns engine.io's read task and ``wait_for`` took. Handlers
                    # and broadcasts of earlier frames then run as far before a later frame
                    # as they did; awaited in place, a later frame's broadcast can go out
                    # first, and the delivery tables of the notebooks change order.
                    data = await asyncio.ensure_future(self._read(ws))
            except (Exception, asyncio.CancelledError):  # quiet, lost, oversize, shut down
                return
            if data is None:
                return
            try:
                await self.receive(eio_packet.Packet(encoded_packet=data))
            except engineio_exceptions.UnknownPacketError:
                pass
            except engineio_exceptions.SocketIsClosedError:
                self.server.logger.info("Receive error -- socket is closed")
                return
            except Exception:  # a handler's error: logged, and the connection stays
                self.server.logger.exception("Unknown receive error")
            await asyncio.sleep(0)  # see above
