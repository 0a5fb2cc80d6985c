"""What every exercise module's tests share: the shipped stub, the printed solution, and the
two checks each exercise must pass (the stub is "not attempted", the solution is correct)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping, Sequence
from typing import Any

import pytest

from chatlib import assert_no_handler_errors
from chatlib.exercises.scaffold import CORRECT, INCORRECT, NOT_ATTEMPTED, Exercise


async def stub(*args: Any) -> None:
    """What the notebook ships in an exercise cell before the learner writes anything."""
    raise NotImplementedError


def solution_of(exercise: Exercise, scope: Mapping[str, Any] | None = None) -> Callable[..., Any]:
    """Run the exercise's printed solution, as a learner would paste it.

    ``scope`` holds what the notebook has imported before the exercise cell (``asyncio``,
    ``socketio``, …); the answer is the function the solution itself defines, never one of those.
    """
    given = dict(scope or {})
    namespace = dict(given)
    exec(exercise._solution, namespace)
    return next(
        v for k, v in namespace.items() if k not in given and callable(v) and not k[0].isupper()
    )


async def expect_not_attempted(exercise: Exercise, capsys: Any, *args: Any) -> None:
    """The untouched stub gets "not attempted", printed, and no handler raised.

    ``args`` go to the check after the answer, for exercises that take the lesson's clients.
    """
    outcome = await exercise.check(stub, *args)
    assert outcome.status == NOT_ATTEMPTED
    assert f"{exercise.title}: not attempted" in capsys.readouterr().out
    assert assert_no_handler_errors() == "no handler raised"


async def expect_correct(
    exercise: Exercise, *args: Any, scope: Mapping[str, Any] | None = None
) -> None:
    """The printed solution gets "correct", and no handler raised (``args`` as above)."""
    outcome = await exercise.check(solution_of(exercise, scope), *args)
    assert outcome.status == CORRECT, outcome
    assert assert_no_handler_errors() == "no handler raised"


async def incorrect(exercise: Exercise, answer: Callable[..., Any], *args: Any) -> str:
    """Check a wrong ``answer``: it must be incorrect, and a handler error it caused must have
    become the verdict rather than stay behind for the lesson's last cell. Return the why."""
    outcome = await exercise.check(answer, *args)
    assert outcome.status == INCORRECT, outcome
    assert assert_no_handler_errors() == "no handler raised"
    return outcome.message


def connect_answer(connect: Callable[..., Awaitable[Any]]) -> Callable[..., None]:
    """A learner's installer, ``answer(sio, *given)``, whose one connect handler is
    ``connect(sio, *given, sid, auth)``: a wrong answer written as that handler alone."""

    def answer(sio: Any, *given: Any) -> None:
        async def on_connect(sid: str, environ: dict[str, Any], auth: Any) -> Any:
            return await connect(sio, *given, sid, auth)

        sio.on("connect", on_connect)

    return answer


def shipped_answer_tests(exercises: Sequence[Exercise]) -> tuple[Any, Any]:
    """The stub and the reference solution checked for each of ``exercises``.

    Assign the result to two ``test_…`` names in the test module.
    """

    @pytest.mark.parametrize("exercise", exercises, ids=lambda e: e.title)
    async def stub_is_not_attempted(exercise: Exercise, capsys: Any) -> None:
        await expect_not_attempted(exercise, capsys)

    @pytest.mark.parametrize("exercise", exercises, ids=lambda e: e.title)
    async def solution_is_correct(exercise: Exercise) -> None:
        await expect_correct(exercise)

    return stub_is_not_attempted, solution_is_correct


def fixture_answer_tests(count: int, scope: Mapping[str, Any] | None = None) -> tuple[Any, Any]:
    """The same two tests for exercises that the module's ``exercises`` fixture builds per test,
    because they need that fixture's server and clients.

    ``count`` is how many exercises the fixture returns; ``scope`` as in ``solution_of``.
    """

    @pytest.mark.parametrize("index", range(count))
    async def stub_is_not_attempted(index: int, exercises: Any, capsys: Any) -> None:
        await expect_not_attempted(exercises[index], capsys)

    @pytest.mark.parametrize("index", range(count))
    async def solution_is_correct(index: int, exercises: Any) -> None:
        await expect_correct(exercises[index], scope=scope)

    return stub_is_not_attempted, solution_is_correct
