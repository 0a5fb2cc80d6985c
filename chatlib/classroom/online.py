"""Who is online, for every student: the ``online`` event, coalesced per tick.

Announcing each join to everyone at once costs one message per student per
join: a class of 1,000 arriving in the first minute is 1,000 × 1,000 = a
million messages, most of them only to be overtaken by the next. Instead,
``OnlineBoard`` looks at who is connected every ``tick`` seconds and sends at
most one message per student per tick:

- to the students already there, what changed: ``{"joined": [...], "left": [...]}``;
- to the students who arrived since the last tick, everyone:
  ``{"everyone": [...]}`` (then the changes after it);
- to everybody, every ``snapshot_every`` seconds, everyone again, so a page
  that missed a change (a reconnect between two ticks) is put right.

Names are counted, not just listed: two connections holding one name (a
student's reloaded tab taking its seat over) make one name, which leaves
only when the last of them does. Lists are sorted, and the page shows them
as text.

With several nodes (a Redis manager), the counts live in a Redis hash shared
by the nodes (``RedisNames``): each node reports its own arrivals and
departures, and announces a name only when the class-wide count of it starts
or ends, so every student sees the whole class whatever node they reached.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections import Counter
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any, Protocol

if TYPE_CHECKING:
    from .guard import ClassroomServer

ONLINE_EVENT = "online"
TICK = 0.5
SNAPSHOT_EVERY = 30.0


class NameCounts(Protocol):
    """Where the class's names are counted: this process, or a store the nodes share."""

    async def change(self, counts: Counter[str]) -> tuple[list[str], list[str]]:
        """Add ``counts`` (negative: departures); the names that appeared and vanished."""
        ...

    async def everyone(self) -> list[str]:
        """Sorted names with a count above zero."""
        ...

    async def size(self) -> int: ...

    async def close(self) -> None: ...


class LocalNames:
    """The names of one node's students: enough for a class on one server."""

    def __init__(self) -> None:
        self._counts: Counter[str] = Counter()

    async def change(self, counts: Counter[str]) -> tuple[list[str], list[str]]:
        appeared, vanished = [], []
        for name, delta in counts.items():
            before = self._counts[name]
            after = before + delta
            if after > 0:
                self._counts[name] = after
            else:
                del self._counts[name]
            if before <= 0 < after:
                appeared.append(name)
            elif after <= 0 < before:
                vanished.append(name)
        return sorted(appeared), sorted(vanished)

    async def everyone(self) -> list[str]:
        return sorted(self._counts)

    async def size(self) -> int:
        return len(self._counts)

    async def close(self) -> None:
        self._counts.clear()


_ADD_AND_DROP_ZERO = """
local after = redis.call('HINCRBY', KEYS[1], ARGV[1], ARGV[2])
if after <= 0 then redis.call('HDEL', KEYS[1], ARGV[1]) end
return after
"""
"""One step done inside Redis, so that no node can add to a name between another's
decrement to zero and its removal."""


class RedisNames:
    """The names of a class spread over nodes, counted in the Redis hash ``key``.

    Each node also remembers what it added, so that ``close()`` (a node
    stopping) takes its own students out of the shared count.
    """

    def __init__(self, url: str, key: str) -> None:
        from redis import asyncio as aioredis

        self.key = key
        self._redis = aioredis.Redis.from_url(url, decode_responses=True)
        self._script = self._redis.register_script(_ADD_AND_DROP_ZERO)
        self._mine: Counter[str] = Counter()

    async def change(self, counts: Counter[str]) -> tuple[list[str], list[str]]:
        appeared, vanished = [], []
        for name, delta in counts.items():
            if delta == 0:
                continue
            after = int(await self._script(keys=[self.key], args=[name, delta]))
            self._mine[name] += delta
            if after > 0 and after - delta <= 0:
                appeared.append(name)
            elif after <= 0 < after - delta:
                vanished.append(name)
        return sorted(appeared), sorted(vanished)

    async def everyone(self) -> list[str]:
        return sorted(str(name) for name in await self._redis.hkeys(self.key))

    async def size(self) -> int:
        return int(await self._redis.hlen(self.key))

    async def close(self) -> None:
        leaving = Counter({name: -n for name, n in self._mine.items() if n > 0})
        with contextlib.suppress(Exception):  # Redis gone: nothing left to correct
            await self.change(leaving)
        await self._redis.aclose()


class OnlineBoard:
    """Sends the ``online`` event for ``sio``'s main namespace; ``count`` is the class's size."""

    def __init__(
        self,
        sio: ClassroomServer,
        names: NameCounts | None = None,
        *,
        tick: float = TICK,
        snapshot_every: float = SNAPSHOT_EVERY,
    ) -> None:
        self.sio = sio
        self.names: NameCounts = names or LocalNames()
        self.tick = tick
        self.snapshot_every = snapshot_every
        self.count = 0
        self.messages = 0  # online events sent (each one to many students)
        self._announced: dict[str, str] = {}  # eio_sid -> name, as last sent
        self._task: asyncio.Task[None] | None = None

    def start(self) -> None:
        if self._task is None:
            self._task = asyncio.create_task(self._run(), name="online board")

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None
        await self.names.close()
        self._announced.clear()

    async def _run(self) -> None:
        last_snapshot = time.monotonic()
        while True:
            await asyncio.sleep(self.tick)
            try:
                await self.update()
                if time.monotonic() - last_snapshot >= self.snapshot_every:
                    last_snapshot = time.monotonic()
                    await self.send_snapshot()
            except Exception as error:  # a lost Redis must not end the board for good
                self.sio.log.add("error", f"who is online could not be updated: {error!r}")

    def connected(self) -> dict[str, str]:
        """Display names of the connections that completed their connect to ``/``."""
        manager = self.sio.manager
        present = {}
        for eio_sid, name in list(self.sio.members.items()):
            sid = manager.sid_from_eio_sid(eio_sid, "/")
            if sid is not None and manager.is_connected(sid, "/"):
                present[eio_sid] = name
        return present

    async def update(self) -> None:
        """One tick: announce what changed since the last one (nothing if nothing did)."""
        now = self.connected()
        arrived = [eio_sid for eio_sid in now if eio_sid not in self._announced]
        departed = [eio_sid for eio_sid in self._announced if eio_sid not in now]
        if not arrived and not departed:
            self.count = await self.names.size()  # other nodes' students come and go too
            return
        counts = Counter(now[e] for e in arrived)
        counts.subtract(self._announced[e] for e in departed)
        self._announced = now
        appeared, vanished = await self.names.change(counts)
        self.count = await self.names.size()
        newcomers = _sids(self.sio, arrived)
        if appeared or vanished:
            await self._send(
                {"joined": appeared, "left": vanished, "count": self.count}, skip=newcomers
            )
        if newcomers:
            await self._send(await self._everyone(), to=newcomers, local=True)
        self.sio.log.add(
            "online",
            f"who is online: {len(appeared)} joined, {len(vanished)} left, {self.count} online",
        )

    async def send_snapshot(self) -> None:
        """Everyone's list to this node's students (each node sends to its own)."""
        if self._announced:
            await self._send(await self._everyone(), local=True)

    async def _everyone(self) -> dict[str, Any]:
        names = await self.names.everyone()
        self.count = len(names)
        return {"everyone": names, "count": len(names)}

    async def _send(
        self,
        payload: dict[str, Any],
        *,
        to: list[str] | None = None,
        skip: Iterable[str] = (),
        local: bool = False,
    ) -> None:
        """Emit through the manager: one encoding for every receiver, and no log line each.

        ``local`` keeps it on this node (a pub/sub manager would publish it to all).
        """
        options: dict[str, Any] = {"ignore_queue": True} if local else {}
        await self.sio.manager.emit(
            ONLINE_EVENT, payload, "/", to=to, skip_sid=list(skip) or None, **options
        )
        self.messages += 1


def _sids(sio: ClassroomServer, eio_sids: Iterable[str]) -> list[str]:
    manager = sio.manager
    found = (manager.sid_from_eio_sid(e, "/") for e in eio_sids)
    return [sid for sid in found if sid is not None]
