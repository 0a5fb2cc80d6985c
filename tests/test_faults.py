"""Nothing lost, nothing shown twice: 1,000 messages through restarts, drops and slow acks.

Real server, real SQLite file, real clients on loopback. Five clients each
send 200 messages, one after another, waiting for each acknowledgement; a
chaos task, seeded, cuts connections at random moments, makes the server slow
to acknowledge for a while and restarts the whole server twice on the same
port and database file. Afterwards every message must be stored exactly once
and every client must show the store's list, in its order, with no repeats.
"""

from __future__ import annotations

import asyncio
import random
from collections import Counter

import pytest

from chatlib import settle, stop_all
from chatlib.durable.faults import drop_connection
from chatlib.durable.ledger import ledger
from chatlib.durable.reliable import DurableClient, connect_durable_clients, wait_connected
from chatlib.durable.server import DurableChatServer

SEED = 20240605
CLIENTS = 5
PER_CLIENT = 200
TOTAL = CLIENTS * PER_CLIENT


class Progress:
    """How many messages have been acknowledged so far, and a way to wait for a number."""

    def __init__(self) -> None:
        self.acked = 0
        self._changed = asyncio.Condition()

    async def add(self) -> None:
        async with self._changed:
            self.acked += 1
            self._changed.notify_all()

    async def reach(self, count: int, timeout: float = 20) -> None:
        async with self._changed:
            await asyncio.wait_for(self._changed.wait_for(lambda: self.acked >= count), timeout)


def plan(rng: random.Random) -> list[tuple[int, str]]:
    """When (after how many acknowledgements) to do what, in order."""
    events = [(rng.randrange(20, TOTAL - 20), "drop") for _ in range(10)]
    events += [(330, "restart"), (660, "restart"), (500, "slow acks"), (515, "fast acks")]
    return sorted(events)


async def talk(client: DurableClient, progress: Progress) -> None:
    for n in range(PER_CLIENT):
        answer = await client.send(f"{client.name} says {n}")
        assert answer["ok"], answer
        await progress.add()


async def chaos(
    server: DurableChatServer, clients: list[DurableClient], progress: Progress, rng: random.Random
) -> Counter[str]:
    done: Counter[str] = Counter()
    for at, action in plan(rng):
        await progress.reach(at)
        if action == "drop":
            victim = rng.choice(clients)
            if victim.connected and server.sio.sid_of(victim.name) is not None:
                drop_connection(server, victim)
                done["drop"] += 1
        elif action == "restart":
            await server.restart()
            done["restart"] += 1
        elif action == "slow acks":
            server.ack_delay = 1.2  # longer than the clients' ack timeout
        else:
            server.ack_delay = 0
    return done


async def test_every_message_stored_once_and_shown_once_in_order(tmp_path):
    rng = random.Random(SEED)
    server = await DurableChatServer("faults", tmp_path / "chat.db", chat_page=False).start()
    names = [f"client{i}" for i in range(CLIENTS)]
    clients = await connect_durable_clients(server.url, names, ack_timeout=1.0, retries=30)
    progress = Progress()
    try:
        *_talkers, done = await asyncio.wait_for(
            asyncio.gather(
                *(talk(c, progress) for c in clients), chaos(server, clients, progress, rng)
            ),
            timeout=90,
        )
        await wait_connected(clients, timeout=10)
        await settle(server, clients, timeout=10)

        stored = await server.store.all()
        assert len(stored) == TOTAL
        assert Counter(m.content for m in stored) == Counter(
            f"{name} says {n}" for name in names for n in range(PER_CLIENT)
        )
        for name in names:  # each sender's messages are stored in the order it sent them
            mine = [m.content for m in stored if m.sender == name]
            assert mine == [f"{name} says {n}" for n in range(PER_CLIENT)]

        report = await ledger(server, clients)
        assert report.problems() == []
        shown = [[m.id for m in c.shown] for c in clients]
        assert all(s == [m.id for m in stored] for s in shown)

        # the faults really happened, and really made clients send again
        assert done["restart"] == 2 and server.starts == 3
        assert done["drop"] >= 5
        assert sum(c.attempts for c in clients) > TOTAL
        assert server.duplicates >= 1  # a retry of a stored message was recognised
        assert server.errors == []
    finally:
        await server.stop()
        await stop_all()


@pytest.fixture(autouse=True)
def _quiet_reconnect_logs(caplog):
    """Reconnection attempts against a restarting server log warnings; they are expected."""
    caplog.set_level("ERROR")
