"""An emit fact names its audience sorted; the sorted names are remembered between emits
(``ClientNames``) and must follow every connect and disconnect."""

import asyncio

from chatlib import connect_clients
from chatlib.facts import ClientNames


async def wait_for(condition, what: str) -> None:
    """Wait, bounded, until ``condition()`` holds."""
    async with asyncio.timeout(20):
        while not condition():
            await asyncio.sleep(0.01)
    assert condition(), what


def test_sorted_names_are_forgotten_when_a_name_changes():
    names = ClientNames()
    names[("/", "s1")] = "zoe"
    names[("/", "s2")] = "adam"
    assert names.sorted_names("/", {"s1", "s2", "unnamed"}) == ("adam", "zoe")
    names[("/", "s3")] = "mia"  # a new name, the same audience: not the remembered answer
    assert names.sorted_names("/", {"s1", "s2", "s3"}) == ("adam", "mia", "zoe")
    names[("/", "s1")] = "bea"
    assert names.sorted_names("/", {"s1", "s2", "s3"}) == ("adam", "bea", "mia")
    names.pop(("/", "s3"))
    assert names.sorted_names("/", {"s1", "s2", "s3"}) == ("adam", "bea")
    del names[("/", "s2")]
    assert names.sorted_names("/", {"s1", "s2", "s3"}) == ("bea",)
    assert names.sorted_names("/chat", {"s1"}) == ()  # names are per namespace
    assert names.sorted_names("/", set()) == ()


async def test_emit_facts_follow_who_connects_and_leaves(server):
    alice, bob = await connect_clients(server.url, ["alice", "bob"])
    await server.sio.emit("news", 1)
    (carol,) = await connect_clients(server.url, ["carol"])
    await server.sio.emit("news", 2)
    await server.sio.enter_room(bob.get_sid(), "desk")
    await server.sio.emit("news", 3, to="desk")
    carol_sid = carol.get_sid()
    await carol.disconnect()
    await wait_for(lambda: server.sio.name_of(carol_sid) != "carol", "the server to see carol go")
    await server.sio.emit("news", 4)
    facts = [f for f in server.sio.facts.of("emit") if f.event == "news"]
    assert [f.targets for f in facts] == [
        ("alice", "bob"),
        ("alice", "bob", "carol"),
        ("bob",),
        ("alice", "bob"),
    ]
    assert facts[2].outside == ("alice", "carol")
    for client in (alice, bob):
        await client.disconnect()
