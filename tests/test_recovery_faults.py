"""Connection state recovery under faults: random cuts during 1,000 broadcasts, and memory.

Cuts abort a client's TCP connection on the server's side (``chatlib.durable.faults``);
the client reconnects by itself well within the window. Every client must end
with the same ordered list: nothing lost, nothing twice.
"""

from __future__ import annotations

import asyncio
import gc
import random
import time
import tracemalloc
from collections import Counter

import pytest

from chatlib import ChatClient, EmbeddedServer, Recovery, stop_all, wait_until
from chatlib.durable.faults import drop_connection

BROADCASTS = 1_000
CLIENTS = 5


@pytest.fixture(autouse=True)
async def teardown():
    yield
    await stop_all()


def lost_and_twice(received: list[int], expected: list[int]) -> tuple[int, int]:
    counts = Counter(received)
    lost = sum(1 for n in expected if counts[n] == 0)
    twice = sum(c - 1 for c in counts.values() if c > 1)
    return lost, twice


async def test_random_cuts_during_a_thousand_broadcasts_lose_nothing_and_repeat_nothing():
    server = await EmbeddedServer("faults", recovery=Recovery(max_disconnection=10)).start()
    sio = server.sio
    clients = [
        ChatClient(f"client{i}", reconnection_delay=0.05, reconnection_delay_max=0.2)
        for i in range(CLIENTS)
    ]
    reconnections: dict[str, list[bool]] = {c.name: [] for c in clients}
    for client in clients:
        await client.connect(server.url)
        client.on("connect", lambda c=client: reconnections[c.name].append(c.recovered))
    await sio.emit("n", -1)  # every client holds an offset before the first cut
    await wait_until(lambda: all(c.received("n") == [-1] for c in clients), what="the start")

    rng = random.Random(17)
    cuts = Counter()

    async def cut_at_random() -> None:
        while True:
            await asyncio.sleep(rng.uniform(0.01, 0.08))
            connected = [c for c in clients if sio.sid_of(c.name) is not None]
            if not connected:
                continue
            client = rng.choice(connected)
            try:
                drop_connection(server, client)
            except ValueError:  # its connection is already going
                continue
            cuts[client.name] += 1

    started = time.monotonic()
    cutter = asyncio.create_task(cut_at_random())
    try:
        for n in range(BROADCASTS):
            await sio.emit("n", n)
            await asyncio.sleep(0.003)  # about 4 s of broadcasts, cut and reconnected meanwhile
    finally:
        cutter.cancel()
    emitted_in = time.monotonic() - started
    expected = [-1, *range(BROADCASTS)]
    try:
        await wait_until(
            lambda: all(c.connected and len(c.inbox) >= len(expected) for c in clients),
            timeout=30,
            what="every client catching up",
        )
    except TimeoutError:
        state = {c.name: (c.connected, len(c.inbox), cuts[c.name]) for c in clients}
        raise AssertionError(f"(connected, received, cuts) per client: {state}") from None
    await sio.emit("n", BROADCASTS)  # a last live event: anything replayed late would follow it
    expected.append(BROADCASTS)
    await wait_until(
        lambda: all(c.received("n")[-1:] == [BROADCASTS] for c in clients), what="the last event"
    )

    figures = {
        c.name: (
            cuts[c.name],
            len(reconnections[c.name]),
            sum(reconnections[c.name]),
            *lost_and_twice(c.received("n"), expected),
        )
        for c in clients
    }
    print(f"\n{BROADCASTS} broadcasts in {emitted_in:.1f} s")
    print("per client: (cuts, reconnections, recovered, events lost, received twice)")
    for name, figure in figures.items():
        print(f"  {name}: {figure}")
    assert sum(len(r) for r in reconnections.values()) >= 20, "too few cuts to prove anything"
    for client in clients:
        assert client.received("n") == expected, client.name
        assert all(reconnections[client.name]), (client.name, reconnections[client.name])
    assert server.errors == []


async def test_a_cut_longer_than_the_window_is_not_recovered_and_repeats_nothing():
    window = 0.5
    server = await EmbeddedServer("faults", recovery=Recovery(max_disconnection=window)).start()
    sio = server.sio
    late = ChatClient("late", reconnection=False)
    steady = ChatClient("steady")
    await late.connect(server.url)
    await steady.connect(server.url)
    for n in range(100):
        await sio.emit("n", n)
    await wait_until(lambda: len(late.inbox) == 100, what="the first hundred")
    sid = late.get_sid()
    drop_connection(server, late)
    await wait_until(lambda: not late.connected, what="the cut")
    cut_at = time.monotonic()
    for n in range(100, 200):
        await sio.emit("n", n)
    await wait_until(lambda: time.monotonic() - cut_at > window + 0.2, what="the window passing")
    await late.connect(server.url)
    for n in range(200, 300):
        await sio.emit("n", n)
    await wait_until(lambda: late.received("n")[-1:] == [299], what="the last event")

    received = late.received("n")
    assert late.recovered is False and late.get_sid() != sid
    assert len(received) == len(set(received)) == 200  # the missed hundred are not replayed
    assert received == [*range(100), *range(200, 300)]
    assert steady.received("n") == list(range(300))


async def emit_traced(server: EmbeddedServer, count: int) -> int:
    """Bytes still allocated after ``count`` chat events are emitted (to nobody connected)."""
    gc.collect()
    tracemalloc.start()
    try:
        before = tracemalloc.get_traced_memory()[0]
        for n in range(count):
            await server.sio.emit("chat message", {"name": "bob", "text": chat_line(n)})
        gc.collect()
        return tracemalloc.get_traced_memory()[0] - before
    finally:
        tracemalloc.stop()


def chat_line(n: int) -> str:
    return f"message {n:05d}: a line of chat about as long as most"  # 47 characters


async def test_memory_held_for_ten_thousand_missed_events_is_measured_and_bounded():
    count = 10_000
    # the baseline: the same emits without recovery (the server's own bounded log and facts)
    plain = await EmbeddedServer("faults-plain").start()
    baseline = await emit_traced(plain, count)
    await plain.stop()

    server = await EmbeddedServer(
        "faults", recovery=Recovery(max_disconnection=60, max_packets=count + 1)
    ).start()
    sio = server.sio
    away = ChatClient("away", reconnection=False)
    await away.connect(server.url)
    await sio.emit("chat message", {"name": "bob", "text": "before"})
    await wait_until(lambda: len(away.inbox) == 1, what="the first event")
    drop_connection(server, away)
    await wait_until(lambda: sio.recovery_log.held_sessions == 1, what="the session held")
    held = await emit_traced(server, count) - baseline
    per_event = held / count
    print(f"\n{count} missed events held: {held / 1e6:.2f} MB ({per_event:.0f} bytes each)")
    assert len(sio.recovery_log) == count + 1 and sio.recovery_log.cap_reached == 0
    assert 100 < per_event < 800, per_event

    # as on Node, the missed events come before the CONNECT reply: give the client time to read
    started = time.monotonic()
    await away.connect(server.url, wait_timeout=60)
    print(f"their replay to a Python client took {time.monotonic() - started:.1f} s")
    assert away.recovered is True and len(away.inbox) == count + 1
    texts = [m["text"] for m in away.received("chat message")]
    assert texts == ["before", *(chat_line(n) for n in range(count))]
