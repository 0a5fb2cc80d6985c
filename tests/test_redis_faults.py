"""Redis stops while nodes run: local delivery goes on, cross-node failures are logged, and
delivery across nodes resumes when Redis is back. Uses a private redis-server, never 6379."""

import shutil

import pytest

from chatlib import add_chat_handlers, connect_clients, settle, stop_all
from chatlib.scale.cluster import Cluster, wait_for_log
from chatlib.scale.localredis import start_redis
from tests.support import require


@pytest.fixture
async def fragile():
    require(
        shutil.which("redis-server") is not None, "redis-server", "apt-get install redis-server"
    )
    redis = start_redis()
    cluster = Cluster(redis)
    c = await cluster.start_node("node-c")
    d = await cluster.start_node("node-d")
    for node in (c, d):
        add_chat_handlers(node.sio)
    on_c = await connect_clients(c.url, ["kim", "lea"])
    on_d = await connect_clients(d.url, ["mia"])
    state = {"redis": redis}
    yield cluster, c, d, on_c, on_d, state
    await stop_all()
    state["redis"].stop()


async def test_redis_going_away_and_coming_back(fragile):
    cluster, c, d, on_c, on_d, state = fragile
    everyone = on_c + on_d
    await on_c[0].chat("all is well")
    assert (await settle(c, d, everyone)).receivers("chat message") == ["kim", "lea", "mia"]

    port = state["redis"].port
    state["redis"].stop()
    assert not state["redis"].ping()

    # Each node still serves its own clients.
    await on_c[0].chat("is anybody out there?")
    assert (await settle(c, on_c)).receivers("chat message") == ["kim", "lea"]
    await on_d[0].chat("mia here")
    assert (await settle(d, on_d)).receivers("chat message") == ["mia"]
    # Nothing crossed, and both nodes say so in their logs.
    assert "is anybody out there?" not in on_d[0].received("chat message")
    assert "mia here" not in on_c[0].received("chat message")
    assert "Cannot publish to redis... giving up" in await wait_for_log(c, "giving up")
    assert "Cannot receive from redis" in await wait_for_log(d, "Cannot receive")

    # Redis is back on the same port: subscriptions are renewed, delivery crosses again.
    state["redis"] = start_redis(port)
    await cluster.wait_subscribed(timeout=10)
    await on_d[0].chat("back to normal?")
    delivery = await settle(c, d, everyone)
    assert delivery.receivers("chat message") == ["kim", "lea", "mia"]
    assert c.errors == [] and d.errors == []  # a lost queue is logged, not a handler error
