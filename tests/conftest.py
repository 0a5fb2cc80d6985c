"""Fixtures: a real server on loopback, stopped after each test with every client;
a real Redis (found or started) and two nodes sharing it."""

import pytest

from chatlib import EmbeddedServer, stop_all


@pytest.fixture
async def server():
    server = EmbeddedServer("test")
    await server.start()
    yield server
    await stop_all()
    server.errors.clear()  # checked by the test that caused them; later tests start clean


@pytest.fixture
async def chat_server():
    from chatlib import add_chat_handlers

    server = EmbeddedServer("test-chat", chat_page=True)
    add_chat_handlers(server.sio)
    await server.start()
    yield server
    await stop_all()


@pytest.fixture
async def room_cast():
    """A server with the topics handlers (join, leave, chat) and alice, bob and carol on it."""
    from chatlib import connect_clients
    from chatlib.rooms import add_room_handlers

    async with EmbeddedServer("test-rooms") as server:
        add_room_handlers(server.sio)
        clients = await connect_clients(server.url, ["alice", "bob", "carol"])
        yield server, clients


@pytest.fixture(scope="module")
def redis():
    """The Redis at REDIS_URL or 127.0.0.1:6379, or one started for these tests."""
    from chatlib.scale.localredis import RedisUnavailable, find_redis
    from tests.support import require

    try:
        found = find_redis()
    except RedisUnavailable as error:
        require(False, "Redis", str(error))
    yield found
    found.stop()


@pytest.fixture
async def nodes(redis):
    """Two cluster nodes, node-a and node-b, sharing ``redis``."""
    from chatlib.scale.cluster import Cluster

    cluster = Cluster(redis)
    yield [await cluster.start_node("node-a"), await cluster.start_node("node-b")]
    await stop_all()
