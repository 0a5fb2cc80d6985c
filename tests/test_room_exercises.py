"""Each exercise checker: the reference solution is correct, a wrong answer is not."""

import pytest
from socketio.exceptions import ConnectionRefusedError

from chatlib import assert_no_handler_errors
from chatlib.exercises.rooms import TEACHER_TOKEN, goodbye, only_music, rehearsal, teachers_gate
from chatlib.exercises.scaffold import CORRECT, INCORRECT, NOT_ATTEMPTED


async def stub(*args):
    raise NotImplementedError


def solution_of(exercise):
    """Run the exercise's printed solution, as a learner would paste it."""
    namespace = {}
    exec(exercise._solution, namespace)
    return next(v for k, v in namespace.items() if callable(v) and not k[0].isupper())


@pytest.mark.parametrize("exercise", [only_music, goodbye, rehearsal, teachers_gate])
async def test_the_shipped_stub_is_not_attempted(exercise, capsys):
    outcome = await exercise.check(stub)
    assert outcome.status == NOT_ATTEMPTED
    assert "not attempted" in capsys.readouterr().out
    assert assert_no_handler_errors() == "no handler raised"


@pytest.mark.parametrize("exercise", [only_music, goodbye, rehearsal, teachers_gate])
async def test_the_reference_solution_is_correct(exercise):
    outcome = await exercise.check(solution_of(exercise))
    assert outcome.status == CORRECT, outcome
    assert assert_no_handler_errors() == "no handler raised"


async def test_only_music_wrong_answer_names_who_received():
    async def everyone(sio, text):
        await sio.emit("chat message", text)

    outcome = await only_music.check(everyone)
    assert outcome.status == INCORRECT
    assert outcome.message == "received by uma, vic, wes, xia; should not reach wes, xia"


async def test_goodbye_wrong_answers():
    async def to_everyone(sio, sid):
        await sio.emit("left", sio.name_of(sid), skip_sid=sid)

    async def broken(sio, sid):
        raise KeyError("oops")

    outcome = await goodbye.check(to_everyone)
    assert (outcome.status, outcome.message) == (
        INCORRECT,
        "received by uma, wes, xia; should not reach xia",
    )
    outcome = await goodbye.check(broken)
    assert outcome.status == INCORRECT
    assert "KeyError" in outcome.message
    assert assert_no_handler_errors() == "no handler raised"


async def test_goodbye_checks_the_payload():
    """Right rooms, wrong payload: the old check passed these."""

    async def rooms_of(sio, sid):
        return [room for room in sio.rooms(sid) if room != sid]

    async def socket_id(sio, sid):
        await sio.emit("left", sid, to=await rooms_of(sio, sid), skip_sid=sid)

    async def twice(sio, sid):
        for room in await rooms_of(sio, sid):
            await sio.emit("left", sio.name_of(sid), to=room, skip_sid=sid)
        await sio.emit("left", sio.name_of(sid), to="music", skip_sid=sid)

    outcome = await goodbye.check(socket_id)
    assert outcome.status == INCORRECT
    assert outcome.message.startswith("uma got '") and "wes got '" in outcome.message
    assert outcome.message.endswith(": expected the leaver's name, 'vic', once")
    outcome = await goodbye.check(twice)
    assert (outcome.status, outcome.message) == (
        INCORRECT,
        "uma got 'vic' then 'vic': expected the leaver's name, 'vic', once",
    )


async def test_goodbye_accepts_the_name_from_the_session():
    async def from_session(sio, sid):
        name = (await sio.get_session(sid))["name"]
        rooms = [room for room in sio.rooms(sid) if room != sid]
        await sio.emit("left", name, to=rooms, skip_sid=sid)

    assert (await goodbye.check(from_session)).correct


async def test_rehearsal_wrong_namespace():
    async def default_namespace(sio, text):
        await sio.emit("announcement", text, to=["music", "art"])

    async def parents(sio, text):
        await sio.emit("announcement", text, to=["music", "art"], namespace="/parents")

    outcome = await rehearsal.check(default_namespace)
    assert outcome.message == "received by nobody; missing ari, bea"
    outcome = await rehearsal.check(parents)
    assert outcome.message == "received by dan; missing ari, bea; should not reach dan"


async def test_teachers_gate_wrong_answers():
    async def admit_all(sid, environ, auth):
        return None

    async def silent_refusal(sid, environ, auth):
        return (auth or {}).get("token") == TEACHER_TOKEN

    async def refuse_all(sid, environ, auth):
        raise ConnectionRefusedError("closed")

    outcome = await teachers_gate.check(admit_all)
    assert (outcome.status, outcome.message) == (
        INCORRECT,
        "admitted ari, dan, tia; should have refused ari, dan",
    )
    outcome = await teachers_gate.check(silent_refusal)
    assert outcome.message == (
        "ari, dan refused without a reason: raise ConnectionRefusedError(message)"
    )
    outcome = await teachers_gate.check(refuse_all)
    assert outcome.message == "admitted nobody; tia has the right token and should be admitted"
