"""The SQLite message store: order, de-duplication, replay from an offset, a file that lasts."""

import asyncio
import sqlite3

import pytest

from chatlib.durable.store import SCHEMA_VERSION, MessageStore, StoreFull, StoreGone, read_offset


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


async def test_a_client_offset_is_unique_per_sender_not_across_senders(store):
    alices = await store.add("alice's message", "alice", "s-1")
    bobs = await store.add("bob's message", "bob", "s-1")  # the same offset, another sender
    assert (bobs.id, bobs.duplicate) == (2, False)
    again = await store.add("alice's message", "alice", "s-1")  # alice's own retry
    assert (again.id, again.duplicate) == (alices.id, True)
    assert [(m.sender, m.content) for m in await store.all()] == [
        ("alice", "alice's message"),
        ("bob", "bob's message"),
    ]


FIRST_SCHEMA = """
CREATE TABLE messages (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    client_offset TEXT UNIQUE,
    sender TEXT NOT NULL,
    content TEXT NOT NULL
)
"""


def test_a_file_of_the_first_schema_is_migrated_keeping_every_id(tmp_path):
    path = tmp_path / "old.db"
    with sqlite3.connect(path) as old:
        old.execute(FIRST_SCHEMA)
        old.executemany(
            "INSERT INTO messages (client_offset, sender, content) VALUES (?, ?, ?)",
            [("a-1", "alice", "one"), ("b-1", "bob", "two"), (None, "carol", "three")],
        )
    old.close()

    async def reopen() -> tuple[list, object, object, int]:
        async with MessageStore(path) as store:
            kept = [(m.id, m.sender, m.content, m.client_offset) for m in await store.all()]
            retry = await store.add("one", "alice", "a-1")
            bobs = await store.add("bob, with alice's offset", "bob", "a-1")
            return kept, retry, bobs, await store.last_id()

    kept, retry, bobs, last = asyncio.run(reopen())
    assert kept == [
        (1, "alice", "one", "a-1"),
        (2, "bob", "two", "b-1"),
        (3, "carol", "three", None),
    ]
    assert (retry.id, retry.duplicate) == (1, True)
    assert (bobs.id, bobs.duplicate) == (4, False) and last == 4
    with sqlite3.connect(path) as migrated:
        assert migrated.execute("PRAGMA user_version").fetchone() == (SCHEMA_VERSION,)
    migrated.close()
    # opening it again leaves it as it is
    assert asyncio.run(reopen())[0][:4] == [*kept, (4, "bob", "bob, with alice's offset", "a-1")]


async def test_a_deleted_file_is_noticed_and_nothing_is_claimed_stored(tmp_path):
    path = tmp_path / "chat.db"
    async with MessageStore(path) as store:
        await store.add("before", "alice", "a-1")
        path.unlink()
        with pytest.raises(StoreGone, match="was deleted while the server ran"):
            await store.add("after", "alice", "a-2")


async def test_a_replaced_file_is_noticed(tmp_path):
    path, other = tmp_path / "chat.db", tmp_path / "other.db"
    async with MessageStore(other):
        pass
    async with MessageStore(path) as store:
        await store.add("before", "alice", "a-1")
        other.replace(path)
        with pytest.raises(StoreGone, match="was replaced while the server ran"):
            await store.add("after", "alice", "a-2")


async def test_a_full_database_says_so_and_takes_the_message_once_there_is_room(store):
    await store.add("first", "alice", "a-0")
    pages = (await store.db.execute_fetchall("PRAGMA page_count"))[0][0]
    await store.db.execute(f"PRAGMA max_page_count = {pages}")  # SQLITE_FULL, as a full disk
    with pytest.raises(StoreFull, match="is full"):
        for i in range(1, 200):
            await store.add("x" * 400, "alice", f"a-{i}")
    refused = i
    await store.db.execute("PRAGMA max_page_count = 1000000")
    saved = await store.add("x" * 400, "alice", f"a-{refused}")  # the client's retry
    assert not saved.duplicate
    assert [m.client_offset for m in await store.all()][-1] == f"a-{refused}"
