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
from socketio import AsyncManager, packet


class FanoutManager(AsyncManager):
    """The in-memory manager (adapter), with a broadcast that starts no task per receiver."""

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
        send = self.server._send_eio_packet
        for sid, eio_sid in list(self.get_participants(namespace, to or room)):
            if sid not in skipped:
                for frame in frames:
                    await send(eio_sid, frame)

    def _frames(self, event: str, data: Any, namespace: str) -> list[eio_packet.Packet]:
        """The Engine.IO packets of one event, built once for every receiver."""
        args = list(data) if isinstance(data, tuple) else [] if data is None else [data]
        encoded = self.server.packet_class(
            packet.EVENT, namespace=namespace, data=[event, *args]
        ).encode()
        parts = encoded if isinstance(encoded, list) else [encoded]
        return [eio_packet.Packet(eio_packet.MESSAGE, part) for part in parts]


class QuickPollSocket(engineio_async_socket.AsyncSocket):
    """An Engine.IO socket whose writer waits for packets without a task per wake-up.

    Python 3.11's ``asyncio.wait_for`` wraps the wait in a new task each time;
    ``asyncio.timeout`` bounds the same wait with a timer only. The writer
    wakes once per burst of packets, so on a busy server this is once per
    delivery: the second largest cost of a broadcast after the socket write.
    """

    async def poll(self) -> list[Any]:
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
