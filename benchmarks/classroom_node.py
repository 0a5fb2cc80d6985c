"""One classroom server for ``benchmarks/classroom.py``, with a ticker on its event loop.

``python benchmarks/classroom_node.py NAME TOKEN [REDIS_URL CHANNEL]`` prints
``ready PORT`` and then answers lines on stdin: ``watch`` starts a new
measuring period, ``report`` prints one JSON line (the longest the loop was
late on a 50 ms timer since ``watch``, and since start; the budget's counts;
who is online; the process's CPU seconds). End of stdin stops the server.
"""

from __future__ import annotations

import asyncio
import gc
import json
import sys
import time

from chatlib.classroom.limits import Limits
from chatlib.classroom.nodes import node_options
from chatlib.classroom.session import leave_startup_out_of_full_collections, start_class

TICK = 0.05


class Ticker:
    """How late a 50 ms timer ran, overall and since the last ``reset``.

    ``worst`` is the wall-clock lateness: what a student or the instructor
    feels. On a machine shared with the load generators it includes the time
    the operating system ran other processes; ``worst_busy`` counts only the
    part of a late interval in which this thread ran (its CPU time), that is,
    the loop's own work.
    """

    def __init__(self) -> None:
        self.worst_ever = 0.0
        self.worst = 0.0
        self.worst_busy = 0.0
        self._task = asyncio.create_task(self._tick())

    async def _tick(self) -> None:
        loop = asyncio.get_running_loop()
        while True:
            started, cpu = loop.time(), time.thread_time()
            await asyncio.sleep(TICK)
            late = loop.time() - started - TICK
            self.worst = max(self.worst, late)
            self.worst_busy = max(self.worst_busy, min(late, time.thread_time() - cpu))
            self.worst_ever = max(self.worst_ever, late)

    def reset(self) -> None:
        self.worst = self.worst_busy = 0.0


class GarbagePauses:
    """The longest pause of Python's cyclic garbage collector, per generation (its CPU time)."""

    def __init__(self) -> None:
        self.longest = [0.0, 0.0, 0.0]
        self._began = 0.0
        gc.callbacks.append(self._observe)

    def _observe(self, phase: str, info: dict[str, int]) -> None:
        if phase == "start":
            self._began = time.thread_time()
        else:
            generation = info["generation"]
            pause = time.thread_time() - self._began
            self.longest[generation] = max(self.longest[generation], pause)


async def main(name: str, token: str, redis_url: str | None, channel: str | None) -> None:
    options = node_options(redis_url, channel or "") if redis_url else {}
    limits = Limits(per_second=2, burst=20)
    classroom = await start_class(name, token=token, limits=limits, **options)
    leave_startup_out_of_full_collections()  # as `python -m chatlib classroom` does
    ticker = Ticker()
    pauses = GarbagePauses()
    print("ready", classroom.server.port, flush=True)
    loop = asyncio.get_running_loop()
    try:
        while line := (await loop.run_in_executor(None, sys.stdin.readline)).strip():
            if line == "watch":
                ticker.reset()
            elif line == "report":
                cpu = time.process_time()
                report = {
                    "stall_ms": round(ticker.worst * 1e3, 1),
                    "busy_stall_ms": round(ticker.worst_busy * 1e3, 1),
                    "stall_ever_ms": round(ticker.worst_ever * 1e3, 1),
                    "gc_pause_ms": [round(p * 1e3, 1) for p in pauses.longest],
                    "accepted": classroom.budget.accepted,
                    "refused": classroom.budget.refused,
                    "members": len(classroom.online()),
                    "class_size": classroom.board.count,
                    "online_events": classroom.board.messages,
                    "cpu_s": round(cpu, 1),
                }
                print(json.dumps(report), flush=True)
    finally:
        await classroom.stop()


if __name__ == "__main__":
    name, token, *shared = sys.argv[1:]
    redis_url, channel = shared if shared else (None, None)
    asyncio.run(main(name, token, redis_url, channel))
