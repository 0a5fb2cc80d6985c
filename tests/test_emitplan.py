"""chatlib.emits.plan: the two spellings of a plan, and the Python one performed for real."""

import ast

import pytest

from chatlib import settle, stop_all
from chatlib.emits.broadcast import emit_except
from chatlib.emits.plan import EmitPlan
from tests.cast import connect_cast, start_cast_server

SPELLINGS = [
    (
        EmitPlan("alice", socket="alice"),
        'socket.emit("hello", "hi");',
        'await sio.emit("hello", "hi", to=sio.sid_of("alice"))',
    ),
    (
        EmitPlan("alice", include_sender=False),
        'socket.broadcast.emit("hello", "hi");',
        'await sio.emit("hello", "hi", skip_sid=sid)',
    ),
    (
        EmitPlan("alice", rooms=("room1", "room2"), include_sender=False),
        'socket.to(["room1", "room2"]).emit("hello", "hi");',
        'await sio.emit("hello", "hi", to=["room1", "room2"], skip_sid=sid)',
    ),
    (
        EmitPlan("alice", rooms=("room1", "room2"), except_rooms=("room3",)),
        'io.to(["room1", "room2"]).except("room3").emit("hello", "hi");',
        'await emit_except(sio, "hello", "hi", to=["room1", "room2"], except_rooms="room3")',
    ),
    (
        EmitPlan("alice", rooms=("room1",), namespace="/myNamespace"),
        'io.of("/myNamespace").to("room1").emit("hello", "hi");',
        'await sio.emit("hello", "hi", to="room1", namespace="/myNamespace")',
    ),
    (
        EmitPlan("alice", local=True),
        'io.local.emit("hello", "hi");',
        'await sio.emit("hello", "hi", ignore_queue=True)',
    ),
    (
        EmitPlan("alice", socket="alice", include_sender=False),
        'socket.to(idOf("alice")).emit("hello", "hi");',
        'await sio.emit("hello", "hi", to=sio.sid_of("alice"), skip_sid=sid)',
    ),
    (
        EmitPlan("bob", socket="dave", data='say "hi"'),
        'io.to(idOf("dave")).emit("hello", "say \\"hi\\"");',
        'await sio.emit("hello", "say \\"hi\\"", to=sio.sid_of("dave"))',
    ),
]


@pytest.mark.parametrize(("plan", "javascript", "python"), SPELLINGS)
def test_spellings(plan, javascript, python):
    assert plan.javascript() == javascript
    assert plan.python() == python


def test_describe():
    plan = EmitPlan("bob", rooms=("room1", "room2"), except_rooms=("room3",), include_sender=False)
    assert plan.describe() == (
        "to room1 and/or room2, except those in room3, except the sender (bob)"
    )
    assert EmitPlan("bob", local=True, namespace="/x").describe() == (
        "to everyone, in /x, on this node only"
    )


@pytest.fixture
async def cast():
    server = await start_cast_server()
    clients = await connect_cast(server.url)
    yield server, clients
    await stop_all()


async def run_text(server, sender: str, plan: EmitPlan) -> None:
    """Execute the plan's printed Python line, as a learner would paste it."""
    scope = {
        "sio": server.sio,
        "sid": server.sio.sid_of(sender, plan.namespace),
        "emit_except": emit_except,
    }
    code = compile(plan.python(), "<plan>", "exec", flags=ast.PyCF_ALLOW_TOP_LEVEL_AWAIT)
    await eval(code, scope)


@pytest.mark.parametrize("plan", [s[0] for s in SPELLINGS])
async def test_the_printed_python_does_what_send_does(cast, plan):
    server, clients = cast
    await plan.send(server.sio)
    by_send = (await settle(server, clients)).receivers("hello")
    await run_text(server, plan.sender, plan)
    by_text = (await settle(server, clients)).receivers("hello")
    assert by_send == by_text


async def test_send_reaches_the_plans_audience(cast):
    server, clients = cast
    plan = EmitPlan("bob", rooms=("room1", "room2"), except_rooms=("room3",), include_sender=False)
    await plan.send(server.sio)
    assert (await settle(server, clients)).receivers("hello") == ["alice", "carol"]


async def test_a_sender_outside_the_namespace_cannot_be_left_out(cast):
    server, _clients = cast
    plan = EmitPlan("bob", namespace="/myNamespace", include_sender=False)
    with pytest.raises(LookupError, match="bob has no socket in /myNamespace"):
        await plan.send(server.sio)
