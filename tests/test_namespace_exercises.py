"""The namespaces lesson's checkers: the reference answer is correct, wrong answers are not."""

from socketio.exceptions import ConnectionRefusedError

from chatlib import assert_no_handler_errors
from chatlib.exercises.namespaces import TEACHER_TOKEN, rehearsal, teachers_gate
from chatlib.exercises.scaffold import INCORRECT
from tests.exercise_support import shipped_answer_tests, solution_of

EXERCISES = [rehearsal, teachers_gate]


test_the_shipped_stub_is_not_attempted, test_the_reference_solution_is_correct = (
    shipped_answer_tests(EXERCISES)
)


async def test_the_gate_admits_tia_and_says_why_the_others_were_refused():
    outcome = await teachers_gate.check(solution_of(teachers_gate))
    assert outcome.message == (
        "admitted tia; refused a client without auth: teachers only; ari: teachers only; "
        "dan: teachers only"
    )


async def test_rehearsal_wrong_namespace_or_payload():
    async def default_namespace(sio, text):
        await sio.emit("announcement", text, to=["music", "art"])

    async def parents(sio, text):
        await sio.emit("announcement", text, to=["music", "art"], namespace="/parents")

    async def shouted(sio, text):
        await sio.emit("announcement", text.upper(), to=["music", "art"], namespace="/students")

    outcome = await rehearsal.check(default_namespace)
    assert (outcome.status, outcome.message) == (
        INCORRECT,
        "ari got nothing, expected 'announcement' 'rehearsal moved to five'; "
        "bea got nothing, expected 'announcement' 'rehearsal moved to five'",
    )
    outcome = await rehearsal.check(parents)
    assert outcome.message.endswith(
        "dan got 'announcement' 'rehearsal moved to five', expected nothing"
    )
    outcome = await rehearsal.check(shouted)
    assert outcome.message.startswith(
        "ari got 'announcement' 'REHEARSAL MOVED TO FIVE', expected 'announcement' 'rehearsal"
    )


async def test_rehearsal_refuses_moving_students_between_rooms():
    async def cal_joins_music(sio, text):
        for sid in list(sio.manager.rooms["/students"]["sports"]):
            await sio.leave_room(sid, "sports", namespace="/students")
        await sio.emit("announcement", text, to=["music", "art"], namespace="/students")

    outcome = await rehearsal.check(cal_joins_music)
    assert (outcome.status, outcome.message) == (
        INCORRECT,
        "in /students, after your code the rooms were art: bea; music: ari, expected "
        "art: bea; music: ari; sports: cal",
    )


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
        "admitted a client without auth, ari, dan, tia; should have refused a client without "
        "auth, ari, dan",
    )
    outcome = await teachers_gate.check(silent_refusal)
    assert outcome.message == (
        "a client without auth, ari, dan refused without a reason: "
        "raise ConnectionRefusedError(message)"
    )
    outcome = await teachers_gate.check(refuse_all)
    assert outcome.message == "admitted nobody; tia has the right token and should be admitted"
    assert assert_no_handler_errors() == "no handler raised"


async def test_teachers_gate_catches_a_handler_that_crashes_without_auth():
    """Right for every client with an auth dict; the old check, with no such client, passed it."""

    async def trusting(sid, environ, auth):
        if auth.get("token") != TEACHER_TOKEN:
            raise ConnectionRefusedError("teachers only")

    outcome = await teachers_gate.check(trusting)
    assert (outcome.status, outcome.message) == (
        INCORRECT,
        "your handler crashed on a client that sent no auth: `auth` is None then, so read it "
        "as `(auth or {})` (your code raised in the server: AttributeError: 'NoneType' object "
        "has no attribute 'get')",
    )
    assert assert_no_handler_errors() == "no handler raised"


async def test_teachers_gate_names_the_visitor_a_handler_crashed_on():
    async def token_required(sid, environ, auth):
        if auth["token"] != TEACHER_TOKEN:
            raise ConnectionRefusedError("teachers only")

    outcome = await teachers_gate.check(token_required)
    assert (outcome.status, outcome.message) == (
        INCORRECT,
        "when ari connected, your code raised in the server: KeyError: 'token'",
    )
