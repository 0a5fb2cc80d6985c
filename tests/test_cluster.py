"""chatlib.scale.cluster: nodes sharing a real Redis, settle() across them, the emitter process."""

import asyncio

import pytest
import socketio

from chatlib import EmbeddedServer, connect_clients, settle, stop_all
from chatlib.scale.cluster import Cluster, run_emitter


@pytest.fixture
async def cluster(redis):
    cluster = Cluster(redis)
    yield cluster
    await stop_all()


async def two_nodes(cluster):
    a = await cluster.start_node("node-a")
    b = await cluster.start_node("node-b")
    on_a = await connect_clients(a.url, ["alice", "bob"])
    on_b = await connect_clients(b.url, ["carol", "dave"])
    return a, b, on_a, on_b


async def test_without_a_queue_a_broadcast_stays_on_its_node():
    try:
        a = await EmbeddedServer("node-a").start()
        b = await EmbeddedServer("node-b").start()
        clients = await connect_clients(a.url, ["alice", "bob"])
        clients += await connect_clients(b.url, ["carol", "dave"])
        await a.sio.emit("news", "from a")
        delivery = await settle(a, b, clients)
        assert delivery.receivers("news") == ["alice", "bob"]
    finally:
        await stop_all()


async def test_with_redis_a_broadcast_reaches_every_node(cluster):
    a, b, on_a, on_b = await two_nodes(cluster)
    await a.sio.emit("news", "from a")
    await b.sio.emit("news", "from b")
    delivery = await settle(a, b, on_a, on_b)
    assert [row.data for row in delivery.rows] == ["'from a'", "'from b'"]
    assert all(sorted(row.counts) == ["alice", "bob", "carol", "dave"] for row in delivery.rows)
    assert all(set(row.counts.values()) == {1} for row in delivery.rows)


async def test_rooms_private_messages_and_local_emits_across_nodes(cluster):
    a, b, on_a, on_b = await two_nodes(cluster)
    carol_sid = b.sio.sid_of("carol")
    await b.sio.enter_room(carol_sid, "room1")
    await b.sio.enter_room(b.sio.sid_of("dave"), "room1")

    await a.sio.emit("to room1", "hi", to="room1")
    assert (await settle(a, b, on_a, on_b)).receivers() == ["carol", "dave"]

    await a.sio.emit("private", "just carol", to=carol_sid)  # a sid of the other node
    assert (await settle(a, b, on_a, on_b)).receivers() == ["carol"]

    await a.sio.emit("local", "node a only", ignore_queue=True)
    assert (await settle(a, b, on_a, on_b)).receivers() == ["alice", "bob"]

    # The trap: who is in a room is only known to the node the client is on.
    assert [sid for sid, _ in a.sio.manager.get_participants("/", "room1")] == []
    assert len(list(b.sio.manager.get_participants("/", "room1"))) == 2


async def test_a_node_with_no_client_of_its_own_still_reaches_the_others(cluster):
    a = await cluster.start_node("node-a")
    b = await cluster.start_node("node-b")
    on_b = await connect_clients(b.url, ["carol"])
    await a.sio.emit("news", "from a, which has no clients")
    assert (await settle(a, b, on_b)).receivers("news") == ["carol"]


class SlowQueue(socketio.AsyncRedisManager):
    """A Redis manager that hands on other nodes' messages late, as over a slow network."""

    async def _handle_emit(self, message):
        if message.get("host_id") != self.host_id:
            await asyncio.sleep(0.2)
        await super()._handle_emit(message)


async def test_settle_waits_for_messages_still_in_the_queue(redis):
    """A marker from the client's own node is not enough: the other node's must come too.

    The other node's messages are still in the queue when settle() starts;
    its own node's marker would arrive first, by the direct path.
    """
    cluster = Cluster(manager=lambda channel: SlowQueue(redis.url, channel=channel))
    try:
        a = await cluster.start_node("node-a")
        b = await cluster.start_node("node-b")
        await cluster_ready(a, b)
        on_b = await connect_clients(b.url, ["carol"])
        for n in range(5):
            await a.sio.emit("n", n)
        delivery = await settle(b, a, on_b)  # b first: its marker goes out first
        assert [row.data for row in delivery.rows] == ["0", "1", "2", "3", "4"]
    finally:
        await stop_all()


async def cluster_ready(*nodes):
    from chatlib.scale.cluster import wait_for_subscribers

    manager = nodes[0].sio.manager
    await wait_for_subscribers(manager.redis_url, manager.channel, len(nodes), 5)


async def test_settle_holds_across_nodes_round_after_round(cluster):
    a, b, on_a, on_b = await two_nodes(cluster)

    @a.sio.on("burst")
    async def burst(sid, n):
        for i in range(n):
            await a.sio.emit("n", i)

    for _ in range(10):
        await on_a[0].emit("burst", 20)
        delivery = await settle(a, b, on_a, on_b)
        rows = [row for row in delivery.rows if row.event == "n"]
        assert len(rows) == 20
        assert all(len(row.counts) == 4 for row in rows)


async def test_the_emitter_is_a_separate_process_that_reaches_every_node(cluster):
    a, b, on_a, on_b = await two_nodes(cluster)
    await a.sio.enter_room(a.sio.sid_of("bob"), "room1")
    await b.sio.enter_room(b.sio.sid_of("carol"), "room1")
    printed = await run_emitter(cluster, "announcement", "from a cron job", to="room1")
    assert printed == "emitted 'announcement' to room1 from a separate process"
    delivery = await settle(a, b, on_a, on_b)
    assert delivery.receivers("announcement") == ["bob", "carol"]


async def subscribers(redis, channel, expected):
    """The channel's subscriber count, once it equals ``expected`` or after 2 s."""
    from redis import asyncio as aioredis

    client = aioredis.Redis.from_url(redis.url)
    try:
        for _ in range(100):  # a closed connection leaves Redis a moment later
            [(_, count)] = await client.pubsub_numsub(channel)
            if count == expected:
                break
            await asyncio.sleep(0.02)
        return count
    finally:
        await client.aclose()


async def test_a_stopped_node_stops_listening(cluster, redis):
    """Re-running a cell restarts a node: the old one must not keep a subscription."""
    await cluster.start_node("node-a")
    await cluster.start_node("node-a")
    await cluster.start_node("node-b")
    assert [n.name for n in cluster.nodes] == ["node-a", "node-b"]
    assert await subscribers(redis, cluster.channel, 2) == 2
    await cluster.stop()
    assert await subscribers(redis, cluster.channel, 0) == 0
