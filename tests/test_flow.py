"""The delivery diagram's model: real emits in, steps out; it agrees with the table."""

import asyncio

import pytest
from socketio import exceptions

from chatlib import connect_clients, settle
from chatlib.diagram.flow import DeliveryFlow


@pytest.fixture
async def cast(server):
    clients = await connect_clients(server.url, ["alice", "bob", "carol"])
    sio = server.sio

    @sio.on("chat message")
    async def chat(sid, msg):
        await sio.emit("chat message", msg, skip_sid=sid)
        return "ok"

    return server, clients


async def test_broadcast_step_names_sender_receivers_and_the_skipped(cast):
    server, clients = cast
    alice = clients[0]
    flow = DeliveryFlow([server], clients)
    await alice.chat("hi")
    delivery = await settle(server, clients)
    send, emit = list(flow.steps)
    assert (send.kind, send.sender, send.node, send.event) == (
        "send",
        "alice",
        "test",
        "chat message",
    )
    assert (emit.kind, emit.sender, emit.node) == ("emit", "alice", "test")
    assert emit.to == [] and emit.targets == ["bob", "carol"]
    assert emit.excluded == ["alice"] and emit.outside == []
    assert emit.received == delivery.receivers("chat message") == ["bob", "carol"]
    assert emit.summary() == (
        "test → 'chat message' 'hi' → everyone except alice; received by bob, carol"
    )


async def test_room_emit_marks_clients_outside_the_room(cast):
    server, clients = cast
    _alice, bob, carol = clients
    await server.sio.enter_room(bob.get_sid(), "room1")
    await server.sio.enter_room(carol.get_sid(), "room2")
    flow = DeliveryFlow([server], clients)
    await server.sio.emit("news", "x", to=["room1", "room2"], skip_sid=carol.get_sid())
    delivery = await settle(server, clients)
    (step,) = flow.steps
    assert step.to == ["room1", "room2"]
    assert step.received == delivery.receivers("news") == ["bob"]
    assert step.excluded == ["carol"] and step.outside == ["alice"]
    assert step.sender == ""  # not answering anyone's event


async def test_acks_both_ways_and_a_server_timeout(cast):
    server, clients = cast
    alice, bob, carol = clients
    stuck = asyncio.Event()

    @bob.on("question")
    async def answer(n):
        return n * 2

    @carol.on("question")
    async def never(n):
        await stuck.wait()  # released below, so the test leaves nothing running

    flow = DeliveryFlow([server], clients)
    assert await alice.call("chat message", "ack me", timeout=2) == "ok"
    assert await server.sio.call("question", 21, to=bob.get_sid(), timeout=2) == 42
    with pytest.raises(exceptions.TimeoutError):
        await server.sio.call("question", 1, to=carol.get_sid(), timeout=0.2)
    stuck.set()
    await settle(server, clients)
    send = next(s for s in flow.steps if s.kind == "send")
    asked_bob, asked_carol = (s for s in flow.steps if s.event == "question")
    assert send.acks == ["test"]
    assert asked_bob.wants_ack and asked_bob.acks == ["bob"] and asked_bob.timeouts == []
    assert asked_carol.timeouts == ["carol"]
    assert "timed out waiting for carol" in asked_carol.summary()


async def test_client_timeout_is_marked_on_its_send(server):
    (alice,) = await connect_clients(server.url, ["alice"])
    release = asyncio.Event()

    @server.sio.on("slow")
    async def slow(sid):
        await release.wait()

    flow = DeliveryFlow([server], [alice])
    with pytest.raises(exceptions.TimeoutError):
        await alice.call("slow", timeout=0.2)
    release.set()
    await settle(server, alice)
    (send,) = [s for s in flow.steps if s.kind == "send"]
    assert send.timeouts == ["test"]


async def test_pause_freezes_the_view_and_step_moves_through_it(cast):
    server, clients = cast
    alice = clients[0]
    flow = DeliveryFlow([server], clients, window=4)
    for n in range(3):
        await server.sio.emit("n", n)
    await settle(server, clients)
    flow.pause()
    await server.sio.emit("n", 99)
    await settle(server, clients)
    assert [s.data for s in flow.view()] == ["0", "1", "2"]
    assert flow.state()["waiting"] == 1 and flow.total == 4
    assert flow.step(-1).data == "1"
    assert flow.step(-5).data == "0"  # clamped at the oldest
    assert flow.step(+9).data == "2"
    flow.resume()
    assert flow.shown().data == "99" and flow.state()["shown"] == 3
    await alice.chat("more")
    await settle(server, clients)
    assert len(flow.view()) == 4  # the window: the last N steps


async def test_messages_the_flow_did_not_see_emitted_still_show_who_got_them(server):
    """An emit from another node (or none observed) still gets its receivers drawn."""
    alice, bob = await connect_clients(server.url, ["alice", "bob"])
    flow = DeliveryFlow([], [alice, bob])  # no server given: no emit facts
    await server.sio.emit("hello", "all")
    delivery = await settle(server, alice, bob)
    (step,) = flow.steps
    assert step.received == delivery.receivers("hello") == ["alice", "bob"]
    assert step.node == ""


async def test_identical_messages_are_matched_one_emit_each(cast):
    server, clients = cast
    flow = DeliveryFlow([server], clients)
    for _ in range(3):
        await server.sio.emit("ping")
    await settle(server, clients)
    assert [s.received for s in flow.steps] == [["alice", "bob", "carol"]] * 3
