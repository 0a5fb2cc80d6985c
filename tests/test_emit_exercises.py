"""chatlib.exercises.emits: correct for each reference solution, incorrect for wrong answers."""

import pytest

from chatlib import stop_all
from chatlib.exercises.emits import cheatsheet_exercises
from chatlib.exercises.scaffold import CORRECT, INCORRECT
from tests.cast import connect_cast, start_cast_server
from tests.exercise_support import fixture_answer_tests, solution_of


@pytest.fixture
async def cast():
    server = await start_cast_server()
    clients = await connect_cast(server.url)
    yield server, clients
    await stop_all()


@pytest.fixture
def exercises(cast):
    server, clients = cast
    return cheatsheet_exercises(server, clients, sender="alice")


test_the_shipped_stub_is_not_attempted, test_the_reference_solution_is_correct = (
    fixture_answer_tests(2)
)


async def test_except_room3(exercises):
    q1 = exercises[0]

    async def forgot_room3(sio, sid):
        await sio.emit("hello", "hi", to=["room1", "room2"], skip_sid=sid)

    outcome = await q1.check(forgot_room3)
    assert outcome.status == INCORRECT
    assert outcome.message == "received by bob, carol, dave; should not reach dave"

    async def wrong_text(sio, sid):
        in_room3 = [s for s, _ in sio.manager.get_participants("/", "room3")]
        await sio.emit("hello", "hello", to=["room1", "room2"], skip_sid=[sid, *in_room3])

    outcome = await q1.check(wrong_text)
    assert outcome.status == INCORRECT
    assert outcome.message == "bob, carol got 'hello': send the text 'hi'"

    async def one_room_at_a_time(sio, sid):  # bob, in both rooms, gets it twice
        in_room3 = [s for s, _ in sio.manager.get_participants("/", "room3")]
        for room in ("room1", "room2"):
            await sio.emit("hello", "hi", to=room, skip_sid=[sid, *in_room3])

    outcome = await q1.check(one_room_at_a_time)
    assert outcome.status == INCORRECT
    assert outcome.message == "bob got it more than once: emit once"


async def test_except_room3_with_the_helper(exercises):
    async def with_helper(sio, sid):
        from chatlib.emits.broadcast import emit_except

        await emit_except(
            sio, "hello", "hi", to=["room1", "room2"], except_rooms="room3", skip_sid=sid
        )

    assert (await exercises[0].check(with_helper)).status == CORRECT


async def test_except_room1(exercises):
    q2 = exercises[1]

    async def broadcast(sio, sid):  # leaves out the sender, not room1
        await sio.emit("hello", "hi", skip_sid=sid)

    outcome = await q2.check(broadcast)
    assert outcome.status == INCORRECT
    assert "should not reach bob" in outcome.message

    async def other_event(sio, sid):
        in_room1 = [s for s, _ in sio.manager.get_participants("/", "room1")]
        await sio.emit("greeting", "hi", skip_sid=in_room1)

    outcome = await q2.check(other_event)
    assert outcome.status == INCORRECT
    assert outcome.message == "carol, dave, erin, frank got the event 'greeting': emit 'hello'"


async def test_a_changed_cast_is_reported_not_judged(cast, exercises):
    server, clients = cast
    dave = next(c for c in clients if c.name == "dave")
    await server.sio.leave_room(dave.get_sid(), "room3")
    outcome = await exercises[0].check(solution_of(exercises[0]))
    assert outcome.status == INCORRECT
    assert outcome.message == "cannot check: dave is not in room3: run the cast cell again"
