"""What every exercise module's tests share: the shipped stub, the printed solution, and the
two checks each exercise must pass (the stub is "not attempted", the solution is correct)."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

import pytest

from chatlib import assert_no_handler_errors
from chatlib.exercises.scaffold import CORRECT, NOT_ATTEMPTED, Exercise


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


async def expect_not_attempted(exercise: Exercise, capsys: Any) -> None:
    """The untouched stub gets "not attempted", printed, and no handler raised."""
    outcome = await exercise.check(stub)
    assert outcome.status == NOT_ATTEMPTED
    assert "not attempted" in capsys.readouterr().out
    assert assert_no_handler_errors() == "no handler raised"


async def expect_correct(exercise: Exercise, scope: Mapping[str, Any] | None = None) -> None:
    """The printed solution gets "correct", and no handler raised."""
    outcome = await exercise.check(solution_of(exercise, scope))
    assert outcome.status == CORRECT, outcome
    assert assert_no_handler_errors() == "no handler raised"


def shipped_answer_tests(exercises: Sequence[Exercise]) -> tuple[Any, Any]:
    """The stub and the reference solution checked for each of ``exercises``.

    Assign the result to two ``test_…`` names in the test module.
    """

    @pytest.mark.parametrize("exercise", exercises)
    async def stub_is_not_attempted(exercise: Exercise, capsys: Any) -> None:
        await expect_not_attempted(exercise, capsys)

    @pytest.mark.parametrize("exercise", exercises)
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
        await expect_correct(exercises[index], scope)

    return stub_is_not_attempted, solution_is_correct
