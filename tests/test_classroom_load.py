"""A class of 300 on one node, and over two nodes behind nginx: nothing lost, the loop keeps time.

The servers and the presenter live in this process, as in an instructor's
kernel; the students are in other processes (``tests/swarm.py``), so the two
sides do not share one event loop. Every student sends its messages at once;
the class's budget refuses what the server cannot pass on now, and students
send a refused message again after the wait the refusal names. What is
checked: every message reaches every student exactly once, and, while the
class joins and chats, the event loop's own work never makes a 50 ms ticker
more than 100 ms late (on the wall clock, which also counts the time the
machine's two cores spent on the students' processes, 500 ms).

These are the CI sizes; ``benchmarks/classroom.py`` runs the full ones
(1,000 students on one node, 2,000 over two) and ``benchmarks/README.md``
has its figures. Measured here on 2 shared cores: ~8-15 s a test.
"""

import asyncio
import gc
import time
import uuid
from html import escape

import pytest

from chatlib import wait_until
from chatlib.classroom.limits import Limits
from chatlib.classroom.nodes import node_options
from chatlib.classroom.session import start_class
from tests.swarm import Swarms
from tests.test_nginx import nginx_for  # noqa: F401  (a fixture)

STUDENTS, MESSAGES = 300, 2
MAX_STALL = 0.1  # the loop's own work between two ticks
MAX_LATE = 0.5  # on the wall clock, on a machine shared with the students' processes
# The per-client limit lets each student send its messages at once; the budget is the limit.
LIMITS = Limits(per_second=2, burst=MESSAGES + 4)


@pytest.fixture(autouse=True)
def runner_frozen():
    """Leave the test runner's own objects out of the garbage collector's full scans.

    A full collection walks every container object of the process; pytest and
    the modules it imported are not the classroom's, and an instructor's kernel
    has its own. What the class creates from here on is scanned as usual.
    """
    gc.collect()
    gc.freeze()
    yield
    gc.unfreeze()


class LoopWatch:
    """How late a 50 ms timer ran: on the wall clock, and counting only the loop's own work.

    The wall-clock figure includes the time the operating system gave to
    other processes (the students' here); ``worst_busy`` counts only the
    part of a late interval in which this thread ran.
    """

    def __init__(self) -> None:
        self.worst = self.worst_busy = 0.0
        self._task = asyncio.create_task(self._watch())

    async def _watch(self) -> None:
        loop = asyncio.get_running_loop()
        while True:
            started, cpu = loop.time(), time.thread_time()
            await asyncio.sleep(0.05)
            late = loop.time() - started - 0.05
            self.worst = max(self.worst, late)
            self.worst_busy = max(self.worst_busy, min(late, time.thread_time() - cpu))

    def stop(self) -> None:
        self._task.cancel()


async def start_watching(watches: list[LoopWatch]) -> None:
    """From the moment the students' processes are up: joining and chatting are both watched."""
    watches.append(LoopWatch())


def check_delivery(summary: dict, students: int, figures: str) -> None:
    """Everyone got every message once; every message was accepted at last."""
    assert summary["finished"] == students, figures
    assert summary["errors"] == [], figures
    assert (summary["lost"], summary["duplicated"], summary["strangers"]) == (0, 0, 0), figures
    assert summary["accepted"] == students * MESSAGES, figures
    assert summary["received_min"] == summary["received_max"] == students * MESSAGES, figures


def describe(summary: dict, watch: LoopWatch, elapsed: float) -> str:
    return (
        f"{summary['students']} students x {MESSAGES} messages: {summary['received']:,} "
        f"deliveries in {elapsed:.1f} s, lost {summary['lost']}, duplicated "
        f"{summary['duplicated']}, refused {summary['refusals']} (sent again), loop stalled "
        f"at most {watch.worst * 1e3:.0f} ms ({watch.worst_busy * 1e3:.0f} ms busy), "
        f"at most {summary['online_updates_max']} online updates a student"
    )


@pytest.mark.load
async def test_three_hundred_students_on_one_node():
    classroom = await start_class("load", token="load-test", limits=LIMITS)
    presenter = classroom.presenter()
    swarms = Swarms(classroom.url, STUDENTS, MESSAGES, "load-test", processes=2, timeout=50)
    watches: list[LoopWatch] = []
    try:
        await swarms.join(before=lambda: start_watching(watches))
        await wait_until(lambda: classroom.board.count == STUDENTS, what="everyone counted")
        watch = watches[0]
        started = time.perf_counter()
        summary = await swarms.go()
        elapsed = time.perf_counter() - started
        watch.stop()
        last = escape(str(classroom.conversation[-1]))
        await wait_until(lambda: last in presenter.conversation.value, timeout=1, what="presenter")
    finally:
        await swarms.close()
        await classroom.stop()
    figures = describe(summary, watch, elapsed)
    print(figures)
    check_delivery(summary, STUDENTS, figures)
    assert classroom.budget.refused > 0, figures  # the class outran its budget, and was told
    assert summary["refusals"].get("busy", 0) == classroom.budget.refused, figures
    assert len(classroom.conversation) == 500  # bounded: the last 500 of 600
    assert watch.worst_busy < MAX_STALL and watch.worst < MAX_LATE, figures
    assert presenter.last_redraw_seconds < 0.05, figures
    assert presenter.redraws < elapsed / 0.05 + 50, figures  # coalesced, not one per message
    # who-is-online: about one update per tick, not one per arrival (300 arrivals)
    assert summary["online_updates_max"] < (summary["join_s"] + elapsed) / 0.5 + 10, figures


# ip_hash sends one /24 to one node; students from several /24s reach both.
SOURCES = [f"127.0.{k}.1" for k in (1, 2, 3, 4)]


@pytest.mark.load
@pytest.mark.redis
async def test_three_hundred_students_over_two_nodes_behind_nginx(redis, nginx_for):  # noqa: F811
    channel = f"chatlib-load-{uuid.uuid4().hex[:10]}"
    nodes = []
    swarms = None
    watches: list[LoopWatch] = []
    try:
        for name in ("node-a", "node-b"):
            options = node_options(redis.url, channel)
            nodes.append(await start_class(name, token="load-test", limits=LIMITS, **options))
        nginx = await nginx_for([node.server for node in nodes])
        swarms = Swarms(
            nginx.url, STUDENTS, MESSAGES, "load-test", processes=4, sources=SOURCES, timeout=50
        )
        await swarms.join(before=lambda: start_watching(watches))
        spread = sorted(len(node.online()) for node in nodes)
        assert sum(spread) == STUDENTS and spread[0] >= STUDENTS // 5, spread  # both nodes
        await wait_until(
            lambda: all(node.board.count == STUDENTS for node in nodes), what="everyone counted"
        )
        watch = watches[0]
        started = time.perf_counter()
        summary = await swarms.go()
        elapsed = time.perf_counter() - started
        watch.stop()
    finally:
        if swarms is not None:
            await swarms.close()
        for node in nodes:
            await node.stop()
    figures = describe(summary, watch, elapsed) + f"; students per node {spread}"
    print(figures)
    check_delivery(summary, STUDENTS, figures)
    assert watch.worst_busy < MAX_STALL and watch.worst < MAX_LATE, figures
    assert sum(node.budget.refused for node in nodes) > 0, figures
