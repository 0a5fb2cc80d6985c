"""A socket's packet queue that costs a few dozen bytes while it is empty.

python-engineio gives every connection an ``asyncio.Queue``: three deques and
an ``Event`` with a fourth, about 3 KB per connection before a packet is ever
queued (a deque allocates a 64-slot block at once). An idle connection's
queue is empty nearly all the time, and only engine.io's writer ever waits on
it. ``LeanQueue`` offers the part of ``asyncio.Queue``'s interface that
engine.io and ``QuickPollSocket`` use, holds its packets in a deque only
while it has some, and keeps its waiters in lists made when someone waits.
"""

from __future__ import annotations

import asyncio
import collections
from typing import Any


class LeanQueue:
    """An unbounded FIFO with ``asyncio.Queue``'s put/get/task_done/join, lazily allocated."""

    __slots__ = ("_getters", "_items", "_joiners", "_unfinished")

    def __init__(self) -> None:
        self._items: collections.deque[Any] | None = None
        self._getters: list[asyncio.Future[None]] | None = None
        self._joiners: list[asyncio.Future[None]] | None = None
        self._unfinished = 0

    def qsize(self) -> int:
        return len(self._items) if self._items else 0

    def empty(self) -> bool:
        return not self._items

    def put_nowait(self, item: Any) -> None:
        if self._items is None:
            self._items = collections.deque()
        self._items.append(item)
        self._unfinished += 1
        if self._getters:
            _wake_one(self._getters)

    async def put(self, item: Any) -> None:
        self.put_nowait(item)

    def get_nowait(self) -> Any:
        items = self._items
        if not items:
            raise asyncio.QueueEmpty
        item = items.popleft()
        if not items:
            self._items = None
        if items and self._getters:  # more for another waiting getter
            _wake_one(self._getters)
        return item

    async def get(self) -> Any:
        while not self._items:
            waiter = asyncio.get_running_loop().create_future()
            if self._getters is None:
                self._getters = []
            self._getters.append(waiter)
            try:
                await waiter
            finally:
                if waiter in self._getters:
                    self._getters.remove(waiter)
                if not self._getters:
                    self._getters = None
        return self.get_nowait()

    def task_done(self) -> None:
        if self._unfinished <= 0:
            raise ValueError("task_done() called too many times")
        self._unfinished -= 1
        if self._unfinished == 0 and self._joiners:
            for joiner in self._joiners:
                if not joiner.done():
                    joiner.set_result(None)
            self._joiners = None

    async def join(self) -> None:
        if self._unfinished:
            joiner = asyncio.get_running_loop().create_future()
            if self._joiners is None:
                self._joiners = []
            self._joiners.append(joiner)
            await joiner


def _wake_one(waiters: list[asyncio.Future[None]]) -> None:
    for waiter in waiters:
        if not waiter.done():
            waiter.set_result(None)
            return
