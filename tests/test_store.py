"""The SQLite message store: order, de-duplication, replay from an offset, a file that lasts."""

import asyncio

import pytest

from chatlib.durable.store import MessageStore, read_offset


@pytest.fixture
async def store(tmp_path):
    async with MessageStore(tmp_path / "chat.db") as opened:
        yield opened


async def test_ids_increase_in_the_order_messages_are_added(store):
    saved = [await store.add(f"m{i}", "alice", f"alice-{i}") for i in range(5)]
    assert [s.id for s in saved] == [1, 2, 3, 4, 5]
    assert not any(s.duplicate for s in saved)
    assert [m.content for m in await store.all()] == ["m0", "m1", "m2", "m3", "m4"]
    assert await store.last_id() == 5


async def test_a_known_client_offset_is_stored_once_and_answers_the_first_id(store):
    first = await store.add("hello", "alice", "alice-1")
    await store.add("other", "bob", "bob-1")
    again = await store.add("hello", "alice", "alice-1")
    assert (again.id, again.duplicate) == (first.id, True)
    assert await store.count() == 2
    # the store keeps working after the refused insert
    assert (await store.add("next", "alice", "alice-2")).id == 3


async def test_messages_without_client_offset_are_never_taken_for_duplicates(store):
    await store.add("same", "alice")
    await store.add("same", "alice")
    assert await store.count() == 2


async def test_replay_returns_only_what_follows_the_offset_in_order(store):
    for i in range(6):
        await store.add(f"m{i}", "carol", f"c-{i}")
    assert [m.id for m in await store.since(4)] == [5, 6]
    assert [m.id for m in await store.since(0)] == [1, 2, 3, 4, 5, 6]
    assert await store.since(6) == []
    assert (await store.since(5))[0].sender == "carol"


async def test_the_file_outlives_its_connection_and_ids_are_never_reused(tmp_path):
    path = tmp_path / "chat.db"
    async with MessageStore(path) as first:
        await first.add("before", "alice", "a-1")
    async with MessageStore(path) as second:
        assert [m.content for m in await second.all()] == ["before"]
        assert (await second.add("before", "alice", "a-1")).duplicate
        assert (await second.add("after", "alice", "a-2")).id == 2


async def test_a_closed_store_says_so(tmp_path):
    store = await MessageStore.open(tmp_path / "chat.db")
    await store.close()
    with pytest.raises(RuntimeError, match="closed"):
        await store.add("x", "alice")


async def test_storing_never_blocks_the_event_loop(store):
    ticks = 0

    async def ticker():
        nonlocal ticks
        while True:
            ticks += 1
            await asyncio.sleep(0)

    task = asyncio.ensure_future(ticker())
    await asyncio.sleep(0)
    before = ticks
    for i in range(30):
        await store.add(f"m{i}", "alice", f"a-{i}")
    task.cancel()
    # each insert and commit runs in aiosqlite's thread while the loop keeps turning
    assert ticks - before >= 30


@pytest.mark.parametrize(
    ("value", "expected"),
    [(0, 0), (7, 7), (-1, None), ("7", None), (1.5, None), (True, None), (None, None), ([], None)],
)
def test_read_offset_accepts_only_non_negative_integers(value, expected):
    assert read_offset(value) == expected
