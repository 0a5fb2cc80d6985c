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
        if namespace not in self.get_namespaces():
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
