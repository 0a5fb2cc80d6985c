"""200 students, 20 messages each, on loopback: everything reaches everyone; the presenter keeps up.

The server and the presenter live in this process, as in an instructor's
kernel; the students are in another process (``tests/swarm.py``), so the two
sides do not share one event loop. Measured on 2 shared cores: 23-28 s for the
800,000 deliveries, the loop never stalled more than ~0.2 s, the presenter
redrew ~150-230 times at < 1 ms a redraw and showed the last message at once.
"""

import asyncio
import json
import sys
import time
from html import escape
from pathlib import Path

import pytest

from chatlib import wait_until
from chatlib.classroom.limits import Limits
from chatlib.classroom.session import start_class

STUDENTS, MESSAGES = 200, 20
ROOT = Path(__file__).resolve().parent.parent


class LoopWatch:
    """The longest the event loop failed to run a 50 ms timer on time."""

    def __init__(self) -> None:
        self.worst = 0.0
        self._task = asyncio.create_task(self._watch())

    async def _watch(self) -> None:
        loop = asyncio.get_running_loop()
        while True:
            started = loop.time()
            await asyncio.sleep(0.05)
            self.worst = max(self.worst, loop.time() - started - 0.05)

    def stop(self) -> None:
        self._task.cancel()


@pytest.mark.load
async def test_two_hundred_students_twenty_messages_each():
    # The default limits allow 10 messages at once; this room's students send 20 at once.
    limits = Limits(per_second=2, burst=MESSAGES)
    classroom = await start_class("load", token="load-test", limits=limits)
    presenter = classroom.presenter()
    swarm = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "tests.swarm", classroom.url, str(STUDENTS), str(MESSAGES),
        "load-test", "50", cwd=ROOT, stdin=asyncio.subprocess.PIPE, stdout=asyncio.subprocess.PIPE,
    )  # fmt: skip
    try:
        assert (await asyncio.wait_for(swarm.stdout.readline(), 30)).strip() == b"joined"
        await wait_until(lambda: len(classroom.online()) == STUDENTS, what="the room filling up")
        watch = LoopWatch()
        started = time.perf_counter()
        swarm.stdin.write(b"go\n")
        summary = json.loads(await asyncio.wait_for(swarm.stdout.readline(), 58))
        elapsed = time.perf_counter() - started
        watch.stop()
        last = escape(str(classroom.conversation[-1]))
        await wait_until(
            lambda: last in presenter.conversation.value,
            timeout=1,
            what="the presenter catching up",
        )
        caught_up = time.perf_counter() - started - elapsed
    finally:
        if swarm.returncode is None:
            swarm.kill()
        await swarm.wait()
        await classroom.stop()
    figures = (
        f"{STUDENTS} students x {MESSAGES} messages: {summary['deliver_s']} s to deliver "
        f"{STUDENTS * MESSAGES * STUDENTS:,} messages; loop stalled at most {watch.worst:.2f} s; "
        f"presenter redrew {presenter.redraws} times "
        f"(last: {presenter.last_redraw_seconds * 1e3:.2f} ms) "
        f"and showed the last message {caught_up * 1e3:.0f} ms after the room had it"
    )
    print(figures)
    assert summary["finished"] == STUDENTS, summary
    assert summary["errors"] == [], summary
    assert summary["received_min"] == summary["received_max"] == STUDENTS * MESSAGES, summary
    assert (summary["lost"], summary["duplicated"], summary["refused"]) == (0, 0, 0), summary
    assert len(classroom.conversation) == 500  # bounded: the last 500 of 4,000
    assert elapsed < 58, figures
    assert watch.worst < 2.0, figures  # the instructor's loop (cells, widgets) kept running
    assert presenter.last_redraw_seconds < 0.05, figures
    assert presenter.redraws < elapsed / 0.05 + 50, figures  # coalesced, not one per message
