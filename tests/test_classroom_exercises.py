"""Notebook 09's token exercise: a plain connect handler, checked against live clients."""

import builtins

import pytest
from socketio.exceptions import ConnectionRefusedError

from chatlib.exercises.classroom import token_guard
from tests.exercise_support import (
    connect_answer,
    incorrect,
    shipped_answer_tests,
    solution_of,
)

test_the_shipped_stub_is_not_attempted, test_the_reference_solution_is_correct = (
    shipped_answer_tests([token_guard])
)


async def test_the_reference_guard_says_what_it_checked():
    outcome = await token_guard.check(solution_of(token_guard))
    assert str(outcome) == "correct: no auth and a wrong token refused; ada let in, her name kept"


async def lets_everyone_in(sio, token, sid, auth):
    await sio.save_session(sid, {"name": (auth or {}).get("name")})


async def returns_false(sio, token, sid, auth):
    if (auth or {}).get("token") != token:
        return False
    await sio.save_session(sid, {"name": auth["name"]})
    return None


async def forgets_the_name(sio, token, sid, auth):
    if (auth or {}).get("token") != token:
        raise ConnectionRefusedError("bad token")


async def crashes_on_missing_auth(sio, token, sid, auth):
    if auth.get("token") != token:  # auth is None when the client sends none
        raise ConnectionRefusedError("bad token")
    await sio.save_session(sid, {"name": auth["name"]})


async def raises_the_builtin_connection_refused_error(sio, token, sid, auth):
    if (auth or {}).get("token") != token:  # a crash, not a refusal
        raise builtins.ConnectionRefusedError("bad token")
    await sio.save_session(sid, {"name": auth["name"]})


WRONG_GUARDS = [
    (lets_everyone_in, "a client with no auth got in: refuse it"),
    (
        returns_false,
        "no auth was refused with 'Connection rejected by server': say it is the token",
    ),
    (forgets_the_name, "ada's session holds the name None: save_session it"),
    (
        crashes_on_missing_auth,
        "your code raised in the server: AttributeError: 'NoneType' object has no attribute 'get'",
    ),
    (
        raises_the_builtin_connection_refused_error,
        "your code raised in the server: ConnectionRefusedError: bad token",
    ),
]


@pytest.mark.parametrize(
    ("connect", "says"), WRONG_GUARDS, ids=[c.__name__ for c, _ in WRONG_GUARDS]
)
async def test_a_wrong_guard_is_incorrect_and_says_why(connect, says):
    message = await incorrect(token_guard, connect_answer(connect))
    assert message == says
