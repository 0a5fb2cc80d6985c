"""chatlib.exercises.emits: correct for each reference solution, incorrect for a wrong answer."""

import asyncio

import pytest

from chatlib import stop_all
from chatlib.exercises.emits import (
    ACKS_SOLUTION,
    EXCEPT_ROOM1_SOLUTION,
    EXCEPT_ROOM3_SOLUTION,
    cheatsheet_exercises,
)
from chatlib.exercises.scaffold import CORRECT, INCORRECT, NOT_ATTEMPTED
from tests.cast import connect_cast, start_cast_server


@pytest.fixture
async def exercises():
    server = await start_cast_server()
    clients = await connect_cast(server.url)
    for client in clients:

        async def answer(text, name=client.name):
            return f"{name}: yes"

        client.on("question", answer)
    yield cheatsheet_exercises(server, clients, sender="alice")
    await stop_all()


def solution(source: str):
    """The reference solution as the learner would type it in the notebook."""
    from chatlib.emits.broadcast import emit_except

    scope = {"asyncio": asyncio, "emit_except": emit_except}
    exec(source, scope)
    return scope["answer"]


async def stub(*_args):
    raise NotImplementedError


async def test_not_attempted(exercises, capsys):
    for exercise in exercises:
        assert (await exercise.check(stub)).status == NOT_ATTEMPTED
    assert capsys.readouterr().out.count("not attempted") == 3


async def test_except_room3(exercises):
    q1 = exercises[0]
    assert (await q1.check(solution(EXCEPT_ROOM3_SOLUTION))).status == CORRECT

    async def forgot_room3(sio, sid):
        await sio.emit("hello", "hi", to=["room1", "room2"], skip_sid=sid)

    outcome = await q1.check(forgot_room3)
    assert outcome.status == INCORRECT
    assert outcome.message == "received by bob, carol, dave; should not reach dave"


async def test_except_room3_with_the_helper(exercises):
    async def with_helper(sio, sid):
        from chatlib.emits.broadcast import emit_except

        await emit_except(
            sio, "hello", "hi", to=["room1", "room2"], except_rooms="room3", skip_sid=sid
        )

    assert (await exercises[0].check(with_helper)).status == CORRECT


async def test_except_room1(exercises):
    q2 = exercises[1]
    assert (await q2.check(solution(EXCEPT_ROOM1_SOLUTION))).status == CORRECT

    async def broadcast(sio, sid):  # leaves out the sender, not room1
        await sio.emit("hello", "hi", skip_sid=sid)

    outcome = await q2.check(broadcast)
    assert outcome.status == INCORRECT
    assert "should not reach bob" in outcome.message


async def test_acks_from_room2(exercises):
    q3 = exercises[2]
    outcome = await q3.check(solution(ACKS_SOLUTION))
    assert outcome.status == CORRECT, outcome

    async def made_up(sio):  # names the members but never asks them
        return {"bob": "yes", "carol": "yes", "dave": "yes"}

    outcome = await q3.check(made_up)
    assert outcome.status == INCORRECT
    assert outcome.message == "bob, carol, dave never received a 'question'"

    async def only_one(sio):
        sid = sio.sid_of("bob")
        return {"bob": await sio.call("question", "ready?", to=sid, timeout=2)}

    outcome = await q3.check(only_one)
    assert outcome.status == INCORRECT
    assert outcome.message == "replies from bob"
