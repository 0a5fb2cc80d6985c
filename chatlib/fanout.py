"""A broadcast that costs less per receiver: encode once, hand over in turn.

python-socketio's ``AsyncManager.emit`` starts one asyncio task per receiver and
waits for all of them. Handing a packet to a socket only puts it in that
socket's queue and never blocks, so a plain loop does the same work without a
task, a wake-up and a done-callback per receiver: a broadcast to 200 clients
costs 200 queue puts instead of 200 tasks (see benchmarks/README.md).
"""

from __future__ import annotations

import asyncio
from typing import Any

from engineio import async_socket as engineio_async_socket
from engineio import exceptions as engineio_exceptions
from engineio import packet as eio_packet
from socketio import AsyncManager, AsyncRedisManager, packet

RECEIVERS_PER_TURN = 64
"""Receivers a broadcast serves before it lets the event loop run something else."""


class FanoutManager(AsyncManager):
    """The in-memory manager (adapter), with a broadcast that starts no task per receiver.

    Without a task per receiver a broadcast never waits, so a burst of them
    would hold the event loop (a kernel, an instructor's panels) for as long
    as they all take. A large broadcast therefore yields every
    ``RECEIVERS_PER_TURN`` receivers, and broadcasts take turns in the order
    they were emitted, so every client still gets them in that order.
    """

    _turns: asyncio.Lock | None = None

    async def emit(
        self,
        event: str,
        data: Any,
        namespace: str,
        room: Any = None,
        skip_sid: Any = None,
        callback: Any = None,
        to: Any = None,
        **kwargs: Any,
    ) -> None:
        if callback is not None:  # each receiver needs its own ack id: the stock path
            await super().emit(
                event, data, namespace, room=room, skip_sid=skip_sid, callback=callback,
                to=to, **kwargs,
            )  # fmt: skip
            return
        if namespace not in self.rooms:
            return
        skipped = set(skip_sid) if isinstance(skip_sid, list) else {skip_sid}
        frames = self._frames(event, data, namespace)
        send = self.server.eio.send_packet
        if self._turns is None:
            self._turns = asyncio.Lock()
        async with self._turns:  # FIFO: emits reach every socket in the order they were made
            receivers = [
                e for s, e in self.get_participants(namespace, to or room) if s not in skipped
            ]
            for count, eio_sid in enumerate(receivers, 1):
                for frame in frames:
                    await send(eio_sid, frame)
                if count % RECEIVERS_PER_TURN == 0:
                    await asyncio.sleep(0)

    def _frames(self, event: str, data: Any, namespace: str) -> list[eio_packet.Packet]:
        """The Engine.IO packets of one event, built once for every receiver."""
        args = list(data) if isinstance(data, tuple) else [] if data is None else [data]
        encoded = self.server.packet_class(
            packet.EVENT, namespace=namespace, data=[event, *args]
        ).encode()
        parts = encoded if isinstance(encoded, list) else [encoded]
        return [eio_packet.Packet(eio_packet.MESSAGE, part) for part in parts]


class FanoutRedisManager(AsyncRedisManager, FanoutManager):
    """``AsyncRedisManager`` delivering to its own node's clients the ``FanoutManager`` way.

    A pub/sub manager publishes an emit and, when the message comes back from
    Redis, hands it to ``super().emit``: by this class's method order, that is
    ``FanoutManager.emit`` rather than the one-task-per-receiver original.
    """


DIRECT_WRITE_LIMIT = 16 * 1024
"""Largest frame written directly; with an empty buffer it cannot fill the transport
to its high-water mark, so writing it never waits for the client to read."""


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

    async def _websocket_handler(self, ws: Any) -> Any:
        self._websocket = ws
        try:
            return await super()._websocket_handler(ws)
        finally:
            self._websocket = None

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
        shown = "<binary>" if isinstance(pkt.data, bytes) else pkt.data  # as engine.io logs it
        self.server.logger.info("%s: Sending packet MESSAGE data %s", self.sid, shown)
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
