"""chatlib.exercises.acks: correct for each reference solution, incorrect for wrong answers."""

import asyncio
import contextlib

import pytest
import socketio

from chatlib import stop_all
from chatlib.emits.broadcast import call_each
from chatlib.exercises import acks
from chatlib.exercises.acks import ack_exercises
from chatlib.exercises.scaffold import CORRECT, INCORRECT
from tests.cast import connect_cast, start_cast_server
from tests.exercise_support import fixture_answer_tests, solution_of

SCOPE = {"asyncio": asyncio, "socketio": socketio, "call_each": call_each}
"""What the notebook has imported before its exercise cells."""


@pytest.fixture
async def exercises(monkeypatch):
    monkeypatch.setattr(acks, "PATIENCE", 1.5)  # a forgotten timeout fails faster in tests
    server = await start_cast_server()
    clients = await connect_cast(server.url)
    yield ack_exercises(server, clients)
    await stop_all()


test_the_shipped_stub_is_not_attempted, test_the_reference_solution_is_correct = (
    fixture_answer_tests(2, SCOPE)
)


async def test_timeout(exercises):
    q1 = exercises[0]
    outcome = await q1.check(solution_of(q1, SCOPE))
    assert outcome.status == CORRECT, outcome
    assert outcome.message == "erin away: 'no answer'; erin answering: 'erin: ping back'"

    async def never_asks(sio):
        return "no answer"

    outcome = await q1.check(never_asks)
    assert outcome.status == INCORRECT
    assert outcome.message == "erin was asked nothing: ask 'are you there?' with 'ping'"

    async def always_no_answer(sio):  # asks, but ignores what she says
        with contextlib.suppress(socketio.exceptions.TimeoutError):
            await sio.call("are you there?", "ping", to=sio.sid_of("erin"), timeout=0.3)
        return "no answer"

    outcome = await q1.check(always_no_answer)
    assert outcome.status == INCORRECT
    assert outcome.message == (
        "with erin answering, you returned 'no answer', not 'erin: ping back'"
    )

    async def no_timeout(sio):
        return await sio.call("are you there?", "ping", to=sio.sid_of("erin"))

    outcome = await q1.check(no_timeout)
    assert outcome.status == INCORRECT
    assert "still waiting after 1.5 s: give call() a timeout" in outcome.message


async def test_acks_from_room2(exercises):
    q2 = exercises[1]

    async def with_helper(sio):
        replies, _missing = await call_each(sio, "question", "ready?", to="room2", timeout=2)
        return {sio.name_of(s): reply for s, reply in replies.items()}

    assert (await q2.check(with_helper)).status == CORRECT

    async def made_up(sio):  # names the members but never asks them
        return {"bob": "bob: ready? yes", "carol": "carol: ready? yes", "dave": "dave: ready? yes"}

    outcome = await q2.check(made_up)
    assert outcome.status == INCORRECT
    assert outcome.message == "bob, carol, dave never received a 'question'"

    async def only_one(sio):
        sid = sio.sid_of("bob")
        return {"bob": await sio.call("question", "ready?", to=sid, timeout=2)}

    outcome = await q2.check(only_one)
    assert outcome.status == INCORRECT
    assert outcome.message == "carol, dave never received a 'question'"

    async def everyone(sio):  # asks the whole namespace
        sids = [s for s, _ in sio.manager.get_participants("/", None)]
        replies = await asyncio.gather(
            *(sio.call("question", "ready?", to=s, timeout=2) for s in sids)
        )
        return {
            sio.name_of(s): r
            for s, r in zip(sids, replies, strict=True)
            if sio.name_of(s) in ("bob", "carol", "dave")
        }

    outcome = await q2.check(everyone)
    assert outcome.status == INCORRECT
    assert outcome.message.startswith("asked: received by alice, bob, carol, dave, erin, frank")

    async def wrong_question(sio):
        members = [s for s, _ in sio.manager.get_participants("/", "room2")]
        replies = await asyncio.gather(
            *(sio.call("question", "ok?", to=s, timeout=2) for s in members)
        )
        return {sio.name_of(s): r for s, r in zip(members, replies, strict=True)}

    outcome = await q2.check(wrong_question)
    assert outcome.status == INCORRECT
    assert outcome.message == "asked 'ok?': ask 'ready?'"
