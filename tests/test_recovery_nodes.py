"""Connection state recovery across nodes: sessions and missed events kept in a real Redis.

Two kinds of test. With two ``python -m chatlib serve --redis … --recovery …``
processes behind the shipped nginx config, the official client is moved from
one node to the other (its address changes, and nginx's ``ip_hash`` follows
the address). With two nodes in this process, a ``ChatClient`` is moved by
hand, and the nodes' state and Redis itself are inspected: what is kept, for
how long, how much, and that a session is given back once.
"""

from __future__ import annotations

import asyncio
import json
import logging
import random
from collections.abc import AsyncIterator
from pathlib import Path

import aiohttp
import pytest
from redis import asyncio as aioredis

from chatlib import ChatClient, Recovery, stop_all, wait_until
from chatlib._engine.shared_recovery import RecoveringRedisManager
from chatlib.durable.faults import drop_connection
from chatlib.observed import ObservedServer
from chatlib.recovery import HeldSession
from chatlib.scale.cluster import Cluster, run_emitter, wait_for_log
from chatlib.scale.localredis import LocalRedis, free_port
from chatlib.scale.processes import ChatProcess, start_chat_processes
from chatlib.server import EmbeddedServer

from .node_support import require_node_client, run_node
from .support import require
from .test_nginx import CONFIG, NGINX, Nginx, render
from .test_recovery_node import answer_join

WINDOW = 2.0
FAST_RECONNECT = {"reconnection_delay": 0.05, "reconnection_delay_max": 0.1}
SOURCE_ADDRESSES = [f"127.0.{third}.1" for third in range(16)]
"""Loopback addresses a client may come from; ip_hash hashes the first three numbers."""


# --- the official client, two processes, nginx -----------------------------------------------
@pytest.fixture
async def processes(redis: LocalRedis) -> AsyncIterator[list[ChatProcess]]:
    cluster = Cluster(redis)  # a fresh channel, so fresh Redis keys, per test
    options = ["--topics", "room1,room2", "--recovery", str(WINDOW)]
    started = await start_chat_processes(cluster, ["node-a", "node-b"], options)
    yield started
    for process in started:
        await process.stop()
    client = aioredis.Redis.from_url(str(redis.url))
    try:
        await client.delete(*[key async for key in client.scan_iter(f"{cluster.channel}:*")])
    except aioredis.ResponseError:  # nothing left to delete
        pass
    finally:
        await client.aclose()


@pytest.fixture
async def nginx(processes: list[ChatProcess], tmp_path: Path) -> AsyncIterator[Nginx]:
    require(NGINX is not None, "nginx", "apt-get install nginx (.ci/run does it)")
    port = free_port()
    nodes = [_Port(int(p.url.rsplit(":", 1)[1])) for p in processes]
    server = Nginx(render(CONFIG.read_text(), nodes, port), tmp_path, port)
    try:
        await server.ready()
        yield server
    finally:
        server.stop()


class _Port:
    """What ``render`` reads of a node: its port."""

    def __init__(self, port: int) -> None:
        self.port = port


async def node_reached_from(address: str, nginx: Nginx, processes: list[ChatProcess]) -> str:
    """Which node nginx sends a client at ``address`` to, asked of the nodes themselves.

    An Engine.IO session is opened through nginx from ``address``; then each
    node is asked directly to close it (POST "1"): only the node that holds
    the session answers 200, the other says "Invalid session" (400).
    """
    timeout = aiohttp.ClientTimeout(total=5)
    connector = aiohttp.TCPConnector(local_addr=(address, 0))
    async with aiohttp.ClientSession(timeout=timeout, connector=connector) as http:
        async with http.get(nginx.url + "/socket.io/?EIO=4&transport=polling") as answer:
            sid = json.loads((await answer.text())[1:])["sid"]
        for process in processes:
            query = f"/socket.io/?EIO=4&transport=polling&sid={sid}"
            async with http.post(process.url + query, data="1") as answer:
                if answer.status == 200:
                    return process.name
    raise AssertionError(f"no node holds the session opened from {address}")


async def addresses_to(nginx: Nginx, processes: list[ChatProcess]) -> dict[str, str]:
    """One source address for each node: node name → address nginx sends to it."""
    found: dict[str, str] = {}
    for address in SOURCE_ADDRESSES:
        found.setdefault(await node_reached_from(address, nginx, processes), address)
        if len(found) == len(processes):
            return found
    raise AssertionError(f"ip_hash sent every address in {SOURCE_ADDRESSES} to {list(found)}")


@pytest.mark.node
@pytest.mark.parametrize("transport", ["websocket", "polling"])
async def test_the_official_client_moved_to_the_other_node_behind_nginx_is_recovered(
    transport: str, processes: list[ChatProcess], nginx: Nginx
) -> None:
    require_node_client()
    to = await addresses_to(nginx, processes)
    node_b = processes[1]
    report = await run_node(
        "recovery-nodes.mjs",
        nginx.url,
        node_b.url,
        to["node-a"],
        to["node-b"],
        str(int(WINDOW * 1000)),
        transport,
        str(processes[0].pid),
        timeout=40,
    )
    assert report["joined"] == ["room1"]
    assert report["rounds"] == [
        {
            "label": "moved",
            "reason": "forced close",
            "recovered": True,
            "sameId": True,
            "rooms": ["room1"],
            "received": ["moved: to everyone", "moved: to room1", "moved: back"],
        },
        {
            "label": "too late",
            "reason": "forced close",
            "recovered": False,
            "sameId": False,
            "rooms": [],
            "received": ["too late: back"],
        },
        {
            "label": "A stopped",  # its connections cut: a pending poll fails, a WebSocket closes
            "reason": "transport close" if transport == "websocket" else "transport error",
            "recovered": True,
            "sameId": True,
            "rooms": [],
            "received": ["A stopped: to everyone", "A stopped: back"],
        },
    ]
    # Node A really went (after Ctrl+C): the subject came back through node B.
    await wait_until(lambda: not processes[0].running, timeout=15, what="node A ending")


# --- two nodes in this process, a ChatClient, Redis inspected ---------------------------------
@pytest.fixture
async def cluster(redis: LocalRedis) -> AsyncIterator[Cluster]:
    cluster = Cluster(redis)
    yield cluster
    await stop_all()
    client = aioredis.Redis.from_url(str(redis.url))
    try:
        keys = [key async for key in client.scan_iter(f"{cluster.channel}:*")]
        if keys:
            await client.delete(*keys)
    finally:
        await client.aclose()


async def recovering_node(cluster: Cluster, name: str, recovery: Recovery) -> EmbeddedServer:
    """A node with a ``join`` handler that also writes the room into the session."""
    node = await cluster.start_node(name, recovery=recovery)
    sio = node.sio
    node.connects = []  # type: ignore[attr-defined]  # (name, recovered) per connect call

    @sio.event
    async def connect(sid: str, environ: dict, auth: dict | None) -> None:
        node.connects.append(((auth or {}).get("name"), sio.recovered(sid)))  # type: ignore[attr-defined]

    answer_join(sio)

    return node


async def two_nodes(cluster: Cluster, recovery: Recovery) -> tuple[EmbeddedServer, ...]:
    return (
        await recovering_node(cluster, "node-a", recovery),
        await recovering_node(cluster, "node-b", recovery),
    )


async def joined_on(node: EmbeddedServer, name: str, room: str) -> ChatClient:
    """A client of ``node`` in ``room`` that has received one event: it holds an offset."""
    client = ChatClient(name, reconnection=False)
    await client.connect(node.url)
    assert await client.call("join", room, timeout=5) == room
    await node.sio.emit("news", "before")
    await wait_until(lambda: client.received("news") == ["before"], what="the first event")
    return client


async def lose(node: EmbeddedServer, client: ChatClient, timeout: float = 5.0) -> None:
    """Cut the client's connection; wait until the node has held its session in Redis.

    The node forgets the client's name when its disconnect is handled, which
    comes after the session has been written.
    """
    drop_connection(node, client)
    await wait_until(
        lambda: node.sio.sid_of(client.name) is None, timeout=timeout, what="the session held"
    )
    await wait_until(
        lambda: not client.connected, timeout=timeout, what=f"{client.name} noticing the cut"
    )


async def session_keys(cluster: Cluster, redis_url: str) -> list[str]:
    client = aioredis.Redis.from_url(redis_url)
    try:
        pattern = f"{cluster.channel}:recovery:session:*"
        return [key.decode() async for key in client.scan_iter(pattern)]
    finally:
        await client.aclose()


async def until_no_session_key(cluster: Cluster, redis_url: str, timeout: float = 5.0) -> None:
    """Wait (bounded) until Redis holds no session of ``cluster``: expired or claimed."""
    async with asyncio.timeout(timeout):
        while await session_keys(cluster, redis_url):
            await asyncio.sleep(0.02)


async def lost_on_the_first_of_two(
    cluster: Cluster, window: float
) -> tuple[EmbeddedServer, EmbeddedServer, ChatClient, str]:
    """Two recovering nodes; alice joined room1 on the first and lost her connection there."""
    a, b = await two_nodes(cluster, Recovery(max_disconnection=window))
    alice = await joined_on(a, "alice", "room1")
    sid = alice.get_sid()
    await lose(a, alice)
    return a, b, alice, sid


async def test_a_client_moved_to_the_other_node_gets_back_its_sid_rooms_session_and_events(
    cluster: Cluster, redis: LocalRedis
) -> None:
    a, b, alice, sid = await lost_on_the_first_of_two(cluster, window=5)
    assert len(await session_keys(cluster, str(redis.url))) == 1
    await b.sio.emit("news", "to everyone")
    await b.sio.emit("news", "to room1", to="room1")
    await a.sio.emit("news", "to room2", to="room2")
    await a.sio.emit("news", "to alice alone", to=sid)
    await b.sio.emit("news", "to all but alice", skip_sid=sid)
    await alice.connect(b.url)
    await wait_until(lambda: len(alice.inbox) == 4, what="the replay")

    assert (alice.recovered, alice.get_sid() == sid) == (True, True)
    assert b.rooms_of(alice) == ["room1"]
    assert await b.sio.get_session(sid) == {"room": "room1"}
    assert b.connects == [("alice", True)]  # type: ignore[attr-defined]
    assert await session_keys(cluster, str(redis.url)) == []  # given back: gone from Redis

    await a.sio.emit("news", "live, to room1", to="room1")  # from the node alice left
    await wait_until(lambda: len(alice.inbox) == 5, what="the live event")
    bob = ChatClient("bob")
    await bob.connect(a.url)  # a barrier: every event emitted above has reached b by now
    await a.sio.emit("news", "last")
    await wait_until(lambda: len(alice.inbox) == 6, what="the last event")
    assert alice.received("news") == [
        "before",
        "to everyone",
        "to room1",
        "to alice alone",
        "live, to room1",
        "last",
    ]
    assert a.errors == b.errors == []


async def test_past_the_window_it_is_a_fresh_connection_and_nothing_is_replayed(
    cluster: Cluster, redis: LocalRedis
) -> None:
    _a, b, alice, sid = await lost_on_the_first_of_two(cluster, window=0.5)
    await b.sio.emit("news", "while away", to="room1")
    await until_no_session_key(cluster, str(redis.url))  # Redis let it expire

    await alice.connect(b.url)
    assert (alice.recovered, alice.get_sid() == sid) == (False, False)
    assert b.rooms_of(alice) == []
    await b.sio.emit("news", "after")
    await wait_until(lambda: len(alice.inbox) == 2, what="the live event")
    assert alice.received("news") == ["before", "after"]
    assert b.connects == [("alice", False)]  # type: ignore[attr-defined]


async def test_both_nodes_deliver_one_order_and_a_client_moved_mid_burst_loses_none(
    cluster: Cluster,
) -> None:
    """Events emitted at once by two nodes reach every client in the stream's one order.

    That order is what makes an offset mean "everything before it": the client
    moved in the middle of the burst ends with exactly the list of the clients
    that never moved, each event once.
    """
    a, b = await two_nodes(cluster, Recovery(max_disconnection=10))
    on_a, on_b = ChatClient("ann"), ChatClient("ben")
    await on_a.connect(a.url)
    await on_b.connect(b.url)
    mover = await joined_on(a, "mover", "room1")
    count = 150

    async def burst(node: EmbeddedServer, label: str) -> None:
        for number in range(count):
            await node.sio.emit("news", f"{label}{number}")

    bursts = asyncio.gather(burst(a, "a"), burst(b, "b"))
    await wait_until(lambda: len(mover.inbox) >= 40, what="the burst under way")
    await lose(a, mover)
    await mover.connect(b.url)
    await bursts
    await a.sio.emit("news", "end")
    for client in (on_a, on_b, mover):
        await wait_until(lambda c=client: "end" in c.received("news"), what=f"{client.name} done")

    assert mover.recovered is True
    everything = on_a.received("news")
    assert len(everything) == len(set(everything)) == 2 * count + 2  # "before" and "end"
    assert on_b.received("news") == everything
    assert mover.received("news") == everything
    assert a.errors == b.errors == []


async def test_a_session_is_given_back_once_even_when_both_nodes_ask(cluster: Cluster) -> None:
    a, b = await two_nodes(cluster, Recovery(max_disconnection=5))
    alice = await joined_on(a, "alice", "room1")
    sid = alice.get_sid()
    await lose(a, alice)
    [key] = await session_keys(cluster, str(cluster.redis_url))
    client = aioredis.Redis.from_url(str(cluster.redis_url))
    try:
        [(last, _fields)] = await client.xrevrange(f"{cluster.channel}:recovery:events", count=1)
    finally:
        await client.aclose()
    auth = {"pid": key.rsplit(":", 1)[1], "offset": last.decode()}  # what alice would send

    managers = [node.sio.shared_recovery for node in (a, b)]
    results = await asyncio.gather(*[m.restore("/", auth) for m in managers if m is not None])
    given = [restored for restored in results if restored is not None]
    assert len(given) == 1
    assert (given[0].session.sid, given[0].session.rooms) == (sid, {sid, "room1"})
    assert given[0].missed == []  # "before" was its last event
    given[0].resume()
    assert await session_keys(cluster, str(cluster.redis_url)) == []

    garbage = [{"pid": auth["pid"]}, {"pid": 1, "offset": last}, {"pid": "x", "offset": "0-x"}]
    for auth in garbage:
        assert await managers[1].restore("/", auth) is None


async def test_redis_keeps_at_most_the_cap_and_nothing_older_than_the_window(
    cluster: Cluster,
) -> None:
    node = await recovering_node(cluster, "node-a", Recovery(max_disconnection=1, max_packets=20))
    manager = node.sio.shared_recovery
    assert manager is not None
    store = manager.store
    client = aioredis.Redis.from_url(str(cluster.redis_url))
    try:
        for number in range(50):
            await node.sio.emit("news", number)
        assert await store.kept_events() == 20
        assert store.cap_reached == 50 + 1 - 20  # 1: the node's position mark, also kept
        cap_lines = [line for line in node.log.lines("error") if "at most 20" in line]
        assert len(cap_lines) == 1  # said once, not once per dropped event
        assert 0 < await client.pttl(store.stream_key) <= 1000

        alice = await joined_on(node, "alice", "room1")
        await lose(node, alice)
        [key] = await session_keys(cluster, str(cluster.redis_url))
        assert 0 < await client.pttl(key) <= 1000

        # Events older than the window go as new ones come: the first "old" leaves the
        # stream while a new event is still added every 50 ms.
        await node.sio.emit("news", "old")
        [(old_id, _fields)] = await client.xrevrange(store.stream_key, count=1)
        async with asyncio.timeout(5):
            while (await client.xrange(store.stream_key, count=1))[0][0] <= old_id:
                await node.sio.emit("news", "new")
                await asyncio.sleep(0.05)
        assert await store.kept_events() <= 20
        assert await session_keys(cluster, str(cluster.redis_url)) == []  # expired as well
    finally:
        await client.aclose()


async def test_session_data_that_is_not_json_is_not_kept_and_says_why(cluster: Cluster) -> None:
    a, b = await two_nodes(cluster, Recovery(max_disconnection=5))
    alice = await joined_on(a, "alice", "room1")
    sid = alice.get_sid()
    async with a.sio.session(sid) as session:
        session["opened"] = {1, 2}  # a set: not JSON
    drop_connection(a, alice)
    line = await wait_for_log(a, "is not JSON")
    assert "not kept for another node" in line
    await wait_until(lambda: not alice.connected, what="alice noticing the cut")
    await alice.connect(b.url)
    assert (alice.recovered, alice.get_sid() == sid) == (False, False)


async def test_a_node_started_after_the_client_left_recovers_it_too(cluster: Cluster) -> None:
    """Node b never heard what alice missed (it was not running): it replays it from Redis."""
    recovery = Recovery(max_disconnection=5)
    a = await recovering_node(cluster, "node-a", recovery)
    alice = await joined_on(a, "alice", "room1")
    await lose(a, alice)
    await a.sio.emit("news", "while away", to="room1")
    b = await recovering_node(cluster, "node-b", recovery)
    await alice.connect(b.url)
    await wait_until(lambda: len(alice.inbox) == 2, what="the replay")
    assert alice.recovered is True
    assert alice.received("news") == ["before", "while away"]


async def test_five_clients_moved_at_random_during_1000_broadcasts_lose_and_repeat_nothing(
    cluster: Cluster,
) -> None:
    """Both nodes broadcast 1,000 events in turn; each of five clients is cut three times
    at random and comes back to the other node each time. Every client ends with all 1,000,
    in order, once."""
    nodes = await two_nodes(cluster, Recovery(max_disconnection=30))
    clients = [ChatClient(f"client{number}", reconnection=False) for number in range(5)]
    on = {client.name: number % 2 for number, client in enumerate(clients)}
    for client in clients:
        await client.connect(nodes[on[client.name]].url)
    await nodes[0].sio.emit("start", "go")  # each client holds an offset from here on
    for client in clients:
        await wait_until(lambda c=client: c.received("start") == ["go"], what="the start")
    total, generator = 1000, random.Random(17)
    recovered: list[bool] = []
    cut_after: list[int] = []  # how many events the client held when it was cut

    async def broadcast() -> None:
        for number in range(total):
            await nodes[number % 2].sio.emit("n", number)
            if number % 20 == 0:
                await asyncio.sleep(0.002)  # let the cuts and reconnections in

    async def move_around(client: ChatClient, pauses: list[float]) -> None:
        for pause in pauses:
            await asyncio.sleep(pause)
            cut_after.append(len(client.received("n")))
            await lose(nodes[on[client.name]], client, timeout=20)
            on[client.name] ^= 1
            await client.connect(nodes[on[client.name]].url)
            recovered.append(client.recovered)

    moves = [[generator.uniform(0.01, 0.2) for _ in range(3)] for _ in clients]
    await asyncio.gather(broadcast(), *map(move_around, clients, moves))
    await nodes[1].sio.emit("end", "stop")
    for client in clients:
        await wait_until(lambda c=client: c.received("end") == ["stop"], timeout=20, what="the end")

    print(f"cut after {sorted(cut_after)} of {total} events")
    assert sum(0 < held < total for held in cut_after) >= 10  # cut in the middle, mostly
    assert recovered == [True] * 15
    for client in clients:
        assert client.received("n") == list(range(total)), client.name
    assert nodes[0].errors == nodes[1].errors == []


async def test_while_redis_is_unreachable_each_step_says_so_in_one_line_and_goes_on(
    caplog: pytest.LogCaptureFixture,
) -> None:
    unreachable = f"redis://127.0.0.1:{free_port()}"  # nothing listens there
    manager = RecoveringRedisManager(unreachable, "nowhere", Recovery())
    sio = ObservedServer(async_mode="aiohttp", client_manager=manager, recovery=Recovery())
    session = HeldSession("pid", "sid", "/", frozenset({"sid"}), {}, 0)
    with caplog.at_level(logging.ERROR, logger="chatlib.recovery"):
        await sio.emit("news", "lost")
        assert await manager.store.hold(session) is False
        assert await manager.store.claim("/", "pid", "1-0") is None
        await manager.store.forget("pid")
    assert [r.getMessage().split(":")[0] for r in caplog.records] == [
        "cannot publish 'news' to Redis, not sent",
        "cannot keep the session of sid in Redis",
        "cannot read a session from Redis, so not recovered",
        "cannot drop a session from Redis",
    ]
    assert sio.errors == []
    await manager.aclose()


async def test_this_node_only_events_stay_on_their_node_and_replay_to_its_own_clients(
    cluster: Cluster,
) -> None:
    """``ignore_queue=True`` is for one node's clients: a client lost from node a gets a's
    such events again on node b, never b's; once on b, it gets b's live."""
    a, b = await two_nodes(cluster, Recovery(max_disconnection=5))
    stays_on_a, stays_on_b = ChatClient("ann"), ChatClient("ben")
    await stays_on_a.connect(a.url)
    await stays_on_b.connect(b.url)
    mover = await joined_on(a, "mover", "room1")
    await lose(a, mover)
    await a.sio.emit("news", "a only", ignore_queue=True)
    await b.sio.emit("news", "b only", ignore_queue=True)
    await mover.connect(b.url)
    await b.sio.emit("news", "b only, live", ignore_queue=True)
    await a.sio.emit("news", "everyone")
    for client in (stays_on_a, stays_on_b, mover):
        await wait_until(lambda c=client: "everyone" in c.received("news"), what=client.name)
    assert mover.recovered is True
    assert stays_on_a.received("news") == ["before", "a only", "everyone"]
    assert stays_on_b.received("news") == ["before", "b only", "b only, live", "everyone"]
    assert mover.received("news") == ["before", "a only", "b only, live", "everyone"]


async def test_an_emitter_process_keeps_its_events_for_clients_that_come_back(
    cluster: Cluster,
) -> None:
    """A background job's event (``python -m chatlib.scale.emitter``) carries an offset too."""
    a, b = await two_nodes(cluster, Recovery(max_disconnection=10))
    stays = ChatClient("ann")
    await stays.connect(b.url)
    mover = await joined_on(a, "mover", "room1")
    await lose(a, mover)
    printed = await run_emitter(cluster, "news", "from the job", to="room1")
    assert printed == "emitted 'news' to room1 from a separate process"
    await mover.connect(b.url)
    await run_emitter(cluster, "news", "from the job, live")
    await wait_until(lambda: len(mover.inbox) == 3, what="the replay and the live event")
    assert mover.recovered is True
    assert mover.received("news") == ["before", "from the job", "from the job, live"]
    await wait_until(lambda: len(stays.inbox) == 2, what="ann's events")
    assert stays.received("news") == ["before", "from the job, live"]  # not in room1


async def test_a_node_that_stops_hands_its_clients_over_to_the_other(cluster: Cluster) -> None:
    """``stop()`` on a recovering node keeps its clients' sessions, as ``io.close()`` does."""
    a, b = await two_nodes(cluster, Recovery(max_disconnection=5))
    alice = await joined_on(a, "alice", "room1")
    sid = alice.get_sid()
    await a.stop()
    assert "1 session(s) kept in Redis, for another node" in a.log.lines("server")
    await wait_until(lambda: not alice.connected, what="alice losing node a")
    await b.sio.emit("news", "after a stopped", to="room1")
    await alice.connect(b.url)
    await wait_until(lambda: len(alice.inbox) == 2, what="the replay")
    assert (alice.recovered, alice.get_sid() == sid) == (True, True)
    assert b.rooms_of(alice) == ["room1"]
    assert alice.received("news") == ["before", "after a stopped"]
