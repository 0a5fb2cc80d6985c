"""LeanQueue: the part of asyncio.Queue that engine.io's sockets use, at a fraction of its size."""

import asyncio
import sys

import pytest

from chatlib._engine.leanqueue import LeanQueue


def deep_size(queue: object) -> int:
    """The queue object and what its attributes hold (one level down: deques, lists, events)."""
    size = sys.getsizeof(queue)
    names = getattr(queue, "__slots__", None) or vars(queue)
    for name in names:
        value = getattr(queue, name, None)
        size += sys.getsizeof(value) if value is not None else 0
        for inner in getattr(value, "__dict__", {}).values():
            size += sys.getsizeof(inner)
    return size


async def test_an_empty_queue_is_a_small_fraction_of_asyncio_queue():
    lean, stock = LeanQueue(), asyncio.Queue()
    assert deep_size(lean) * 10 < deep_size(stock), (deep_size(lean), deep_size(stock))
    lean.put_nowait("x")
    assert lean.get_nowait() == "x"
    assert deep_size(lean) * 10 < deep_size(stock)  # emptied, it lets its deque go again


async def test_items_come_out_in_order_and_a_getter_waits_for_the_next():
    queue = LeanQueue()
    for n in range(100):
        await queue.put(n)
    assert queue.qsize() == 100 and not queue.empty()
    assert [queue.get_nowait() for _ in range(100)] == list(range(100))
    assert queue.empty()
    with pytest.raises(asyncio.QueueEmpty):
        queue.get_nowait()
    waiting = asyncio.ensure_future(queue.get())
    await asyncio.sleep(0)
    assert not waiting.done()
    queue.put_nowait("late")
    assert await asyncio.wait_for(waiting, 1) == "late"


async def test_a_getter_that_times_out_loses_nothing():
    queue = LeanQueue()
    with pytest.raises(TimeoutError):
        async with asyncio.timeout(0.01):
            await queue.get()
    queue.put_nowait(1)
    queue.put_nowait(2)
    assert [await queue.get(), await queue.get()] == [1, 2]


async def test_join_waits_for_every_task_done():
    queue = LeanQueue()
    await queue.join()  # nothing unfinished: returns at once
    queue.put_nowait("a")
    queue.put_nowait("b")
    joined = asyncio.ensure_future(queue.join())
    queue.get_nowait()
    queue.task_done()
    await asyncio.sleep(0)
    assert not joined.done()
    queue.get_nowait()
    queue.task_done()
    await asyncio.wait_for(joined, 1)
    with pytest.raises(ValueError):
        queue.task_done()
