"""A broadcast that costs less per receiver: encoded once, framed once, written in turn.

python-socketio's ``AsyncManager.emit`` starts one asyncio task per receiver and
waits for all of them, and each receiver's socket then builds the same
WebSocket frame again. Here a broadcast is encoded and framed once; every idle
receiver gets one write of those bytes, and only the others (still polling,
reading slowly, compressed) take engine.io's queue. Broadcasts that wait for
their turn while the loop is busy are written together: one write per
receiver for all of them (see benchmarks/README.md).
"""

from __future__ import annotations

import asyncio
import collections
from dataclasses import dataclass
from typing import Any

from engineio import packet as eio_packet
from socketio import AsyncManager, AsyncRedisManager, packet

from ._engine.managers import participants
from ._engine.quickpoll import DIRECT_WRITE_LIMIT
from ._engine.sharedframe import websocket_frames, write_to_idle

RECEIVERS_PER_TURN = 64
"""Receivers a broadcast serves before it lets the event loop run something else."""


@dataclass(slots=True)
class _Broadcast:
    """One emit waiting for its turn: its packets, their frame, its receivers."""

    packets: list[eio_packet.Packet]
    frame: bytes
    receivers: list[str]
    done: asyncio.Future[None]


class FanoutManager(AsyncManager):
    """The in-memory manager (adapter), with a broadcast that starts no task per receiver.

    Without a task per receiver a broadcast never waits, so a burst of them
    would hold the event loop (a kernel, an instructor's panels) for as long
    as they all take. Broadcasts therefore queue here and one writer serves
    them in the order they were emitted, yielding every
    ``RECEIVERS_PER_TURN`` receivers, so every client still gets them in that
    order. Consecutive broadcasts to the same receivers that are waiting when
    the writer takes the next one go out together, one write per receiver.
    An emit returns once its packets have been handed to every receiver.
    """

    _waiting: collections.deque[_Broadcast] | None = None
    _writer: asyncio.Task[None] | None = None

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
        if namespace not in self.get_namespaces():
            return
        addressed = participants(self, namespace, to or room)
        for sid in skip_sid if isinstance(skip_sid, list) else [skip_sid]:
            addressed.pop(sid, None)
        receivers = list(addressed.values())
        if not receivers:
            return
        packets = self._packets(event, data, namespace)
        loop = asyncio.get_running_loop()
        broadcast = _Broadcast(packets, websocket_frames(packets), receivers, loop.create_future())
        if self._waiting is None:
            self._waiting = collections.deque()
        self._waiting.append(broadcast)
        if self._writer is None or self._writer.done():
            self._writer = loop.create_task(self._write_waiting(self._waiting))
        await broadcast.done

    async def _write_waiting(self, waiting: collections.deque[_Broadcast]) -> None:
        """Serve the waiting broadcasts in order, those with the same receivers together."""
        try:
            while waiting:
                batch = [waiting.popleft()]
                receivers, size = batch[0].receivers, len(batch[0].frame)
                while (
                    waiting
                    and waiting[0].receivers == receivers
                    and size + len(waiting[0].frame) <= DIRECT_WRITE_LIMIT
                ):
                    size += len(waiting[0].frame)
                    batch.append(waiting.popleft())
                try:
                    await self._deliver(batch)
                except Exception as error:  # an emit hears of it; the others still go out
                    for broadcast in batch:
                        if not broadcast.done.done():
                            broadcast.done.set_exception(error)
                    continue
                for broadcast in batch:
                    if not broadcast.done.done():
                        broadcast.done.set_result(None)
        except asyncio.CancelledError:  # the server is going away: nobody waits forever
            for broadcast in waiting:
                broadcast.done.cancel()
            waiting.clear()
            raise

    async def _deliver(self, batch: list[_Broadcast]) -> None:
        """One write of the batch's frames to each idle receiver; engine.io for the rest."""
        eio = self.server.eio
        receivers = batch[0].receivers
        if len(batch) == 1:
            frame, packets = batch[0].frame, batch[0].packets
        else:
            frame = b"".join(broadcast.frame for broadcast in batch)
            packets = [pkt for broadcast in batch for pkt in broadcast.packets]
        shared = len(frame) <= DIRECT_WRITE_LIMIT  # a large frame waits its turn in the queue
        for start in range(0, len(receivers), RECEIVERS_PER_TURN):
            turn = receivers[start : start + RECEIVERS_PER_TURN]
            for eio_sid in write_to_idle(eio, turn, frame, packets) if shared else turn:
                for pkt in packets:
                    await eio.send_packet(eio_sid, pkt)
            if start + RECEIVERS_PER_TURN < len(receivers):
                await asyncio.sleep(0)

    def _packets(self, event: str, data: Any, namespace: str) -> list[eio_packet.Packet]:
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
