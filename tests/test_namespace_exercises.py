"""The namespaces lesson's checkers: the reference answer is correct, wrong answers are not.

Each wrong answer below is code a learner might write; the table beside it holds
the verdict the check must give, word for word, so that the learner can fix it.
"""

import pytest
from socketio.exceptions import ConnectionRefusedError

from chatlib.exercises.namespaces import TEACHER_TOKEN, rehearsal, teachers_gate
from tests.exercise_support import incorrect, shipped_answer_tests, solution_of

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


# --- the rehearsal announcement: answers (sio, text) -------------------------------------------
async def default_namespace(sio, text):
    await sio.emit("announcement", text, to=["music", "art"])


async def parents(sio, text):
    await sio.emit("announcement", text, to=["music", "art"], namespace="/parents")


async def shouted(sio, text):
    await sio.emit("announcement", text.upper(), to=["music", "art"], namespace="/students")


async def cal_joins_music(sio, text):
    """Moves students between rooms to make the delivery come out right."""
    for sid in list(sio.manager.rooms["/students"]["sports"]):
        await sio.leave_room(sid, "sports", namespace="/students")
    await sio.emit("announcement", text, to=["music", "art"], namespace="/students")


# --- the teachers' gate: connect handlers (sid, environ, auth) ---------------------------------
async def admit_all(sid, environ, auth):
    return None


async def silent_refusal(sid, environ, auth):
    return (auth or {}).get("token") == TEACHER_TOKEN


async def refuse_all(sid, environ, auth):
    raise ConnectionRefusedError("closed")


async def trusting(sid, environ, auth):
    """Right for every client with an auth dict; a check without such a client passed it."""
    if auth.get("token") != TEACHER_TOKEN:
        raise ConnectionRefusedError("teachers only")


async def token_required(sid, environ, auth):
    if auth["token"] != TEACHER_TOKEN:
        raise ConnectionRefusedError("teachers only")


ANNOUNCED = "'announcement' 'rehearsal moved to five'"

WRONG_ANSWERS = [
    (
        rehearsal,
        default_namespace,
        f"ari got nothing, expected {ANNOUNCED}; bea got nothing, expected {ANNOUNCED}",
    ),
    (
        rehearsal,
        parents,
        f"ari got nothing, expected {ANNOUNCED}; bea got nothing, expected {ANNOUNCED}; "
        f"dan got {ANNOUNCED}, expected nothing",
    ),
    (
        rehearsal,
        shouted,
        f"ari got 'announcement' 'REHEARSAL MOVED TO FIVE', expected {ANNOUNCED}; "
        f"bea got 'announcement' 'REHEARSAL MOVED TO FIVE', expected {ANNOUNCED}",
    ),
    (
        rehearsal,
        cal_joins_music,
        "in /students, after your code the rooms were art: bea; music: ari, expected "
        "art: bea; music: ari; sports: cal",
    ),
    (
        teachers_gate,
        admit_all,
        "admitted a client without auth, ari, dan, tia; should have refused a client without "
        "auth, ari, dan",
    ),
    (
        teachers_gate,
        silent_refusal,
        "a client without auth, ari, dan refused without a reason: "
        "raise ConnectionRefusedError(message)",
    ),
    (
        teachers_gate,
        refuse_all,
        "admitted nobody; tia has the right token and should be admitted",
    ),
    (
        teachers_gate,
        trusting,
        "your handler crashed on a client that sent no auth: `auth` is None then, so read it "
        "as `(auth or {})` (your code raised in the server: AttributeError: 'NoneType' object "
        "has no attribute 'get')",
    ),
    (
        teachers_gate,
        token_required,  # the verdict names the visitor it crashed on
        "when ari connected, your code raised in the server: KeyError: 'token'",
    ),
]


@pytest.mark.parametrize(
    ("exercise", "answer", "says"), WRONG_ANSWERS, ids=[a.__name__ for _, a, _ in WRONG_ANSWERS]
)
async def test_a_wrong_answer_is_incorrect_and_says_why(exercise, answer, says):
    assert await incorrect(exercise, answer) == says
