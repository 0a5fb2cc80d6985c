"""What every exercise module's tests share: the shipped stub, the printed solution, and the
two checks each exercise must pass (the stub is "not attempted", the solution is correct)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import pytest

from chatlib import assert_no_handler_errors
from chatlib.exercises.scaffold import CORRECT, NOT_ATTEMPTED, Exercise


async def stub(*args: Any) -> None:
    """What the notebook ships in an exercise cell before the learner writes anything."""
    raise NotImplementedError


def solution_of(exercise: Exercise) -> Callable[..., Any]:
    """Run the exercise's printed solution, as a learner would paste it."""
    namespace: dict[str, Any] = {}
    exec(exercise._solution, namespace)
    return next(v for k, v in namespace.items() if callable(v) and not k[0].isupper())


def shipped_answer_tests(exercises: Sequence[Exercise]) -> tuple[Any, Any]:
    """The stub and the reference solution checked for each of ``exercises``.

    Assign the result to two ``test_…`` names in the test module.
    """

    @pytest.mark.parametrize("exercise", exercises)
    async def stub_is_not_attempted(exercise: Exercise, capsys: Any) -> None:
        outcome = await exercise.check(stub)
        assert outcome.status == NOT_ATTEMPTED
        assert "not attempted" in capsys.readouterr().out
        assert assert_no_handler_errors() == "no handler raised"

    @pytest.mark.parametrize("exercise", exercises)
    async def solution_is_correct(exercise: Exercise) -> None:
        outcome = await exercise.check(solution_of(exercise))
        assert outcome.status == CORRECT, outcome
        assert assert_no_handler_errors() == "no handler raised"

    return stub_is_not_attempted, solution_is_correct
