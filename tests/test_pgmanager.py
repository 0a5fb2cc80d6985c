"""chatlib.scale.pgmanager: two nodes sharing clients over PostgreSQL LISTEN/NOTIFY."""

import asyncio
import subprocess
import sys

import asyncpg
import pytest

from chatlib import connect_clients, settle, stop_all
from chatlib.scale import pgmanager
from chatlib.scale.cluster import Cluster
from chatlib.scale.pgmanager import (
    NOTIFY_LIMIT,
    AsyncPostgresManager,
    MessageTooLarge,
    split_payload,
)
from tests.support import require

DSN = "postgresql://postgres@127.0.0.1:5432/test"


async def postgres_answers() -> bool:
    try:
        connection = await asyncpg.connect(DSN, timeout=3)
    except (OSError, asyncpg.PostgresError, TimeoutError):
        return False
    await connection.close()
    return True


@pytest.fixture
async def nodes():
    require(
        await postgres_answers(),
        f"PostgreSQL at {DSN}",
        "apt-get install postgresql, allow trust auth on 127.0.0.1 and create database test",
    )
    cluster = Cluster(manager=lambda channel: AsyncPostgresManager(DSN, channel=channel))
    a = await cluster.start_node("node-a")
    b = await cluster.start_node("node-b")
    clients = await connect_clients(a.url, ["alice"]) + await connect_clients(b.url, ["bob"])
    yield a, b, clients
    await stop_all()
    assert all(node.sio.manager._listener is None for node in (a, b))


async def test_a_broadcast_reaches_the_other_node(nodes):
    a, b, clients = nodes
    await a.sio.emit("news", "over LISTEN/NOTIFY")
    await b.sio.emit("news", "and back")
    delivery = await settle(a, b, clients)
    assert [sorted(row.counts) for row in delivery.rows] == [["alice", "bob"], ["alice", "bob"]]


async def test_rooms_and_sids_across_nodes(nodes):
    a, b, clients = nodes
    await b.sio.enter_room(b.sio.sid_of("bob"), "room1")
    await a.sio.emit("to room1", "x", to="room1")
    await a.sio.emit("private", "y", to=b.sio.sid_of("bob"))
    await a.sio.emit("local", "z", ignore_queue=True)
    delivery = await settle(a, b, clients)
    assert delivery.receivers("to room1") == ["bob"]
    assert delivery.receivers("private") == ["bob"]
    assert delivery.receivers("local") == ["alice"]


@pytest.mark.parametrize("size", [NOTIFY_LIMIT - 200, NOTIFY_LIMIT, 3 * NOTIFY_LIMIT + 17])
async def test_messages_near_and_over_the_notify_limit_arrive_whole(nodes, size):
    a, b, clients = nodes
    text = "x" * size
    await a.sio.emit("big", text)
    await settle(a, b, clients)
    assert clients[1].received("big") == [text]


async def test_non_ascii_text_over_the_limit_arrives_whole(nodes):
    a, b, clients = nodes
    text = "é€😀" * 3000  # about 27 000 bytes of UTF-8
    await a.sio.emit("big", text)
    await settle(a, b, clients)
    assert clients[1].received("big") == [text]


async def test_a_message_over_the_adapters_limit_fails_loudly(nodes, monkeypatch):
    a, b, clients = nodes
    monkeypatch.setattr(pgmanager, "MAX_MESSAGE_BYTES", 100_000)  # the real one is 16 MiB
    with pytest.raises(MessageTooLarge, match="over this adapter's limit"):
        await a.sio.emit("huge", "x" * 100_000)
    delivery = await settle(a, b, clients)
    assert delivery.receivers("huge") == ["alice"]  # its own node delivered before publishing


def test_chunks_stay_under_the_notify_limit():
    for payload in ["", "a", "x" * 7799, "x" * 7800, "x" * 7801, "ü" * 9000, "😀" * 5000]:
        chunks = split_payload(payload)
        assert all(len(chunk.encode()) < NOTIFY_LIMIT for chunk in chunks)
        assert "".join(chunk.split(":", 3)[3] for chunk in chunks) == payload


async def test_a_listener_that_loses_its_connection_comes_back(nodes):
    a, b, clients = nodes
    manager = b.sio.manager
    old = manager._listener
    async with asyncio.timeout(10):
        admin = await asyncpg.connect(DSN)
        try:
            await admin.execute("SELECT pg_terminate_backend($1)", old.get_server_pid())
        finally:
            await admin.close()
        while manager._listener is old or not manager._listening.is_set():
            await asyncio.sleep(0.05)
    assert any("Cannot receive from PostgreSQL" in line for line in b.log.lines("error"))
    await a.sio.emit("news", "after the reconnect")
    delivery = await settle(a, b, clients)
    assert delivery.receivers("news") == ["alice", "bob"]


def test_without_asyncpg_the_import_names_the_extra_to_install():
    """asyncpg is an extra (``chatlib[postgres]``): a learner without it is told what to run."""
    code = "import sys; sys.modules['asyncpg'] = None; import chatlib.scale.pgmanager"  # blocks it
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert done.returncode != 0
    assert "pip install 'chatlib[postgres]'" in done.stderr
