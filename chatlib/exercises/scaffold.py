"""Exercises a learner solves by writing code that runs against live clients.

Three outcomes, as in Kaggle's learntools: *correct*, *incorrect* (with what
happened instead) and *not attempted*. A shipped exercise stub raises
``NotImplementedError``, so an untouched notebook prints "not attempted" and
still passes nbval; the tests run each check against the reference solution
and against a wrong answer.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal

if TYPE_CHECKING:
    from ..server import EmbeddedServer

Status = Literal["correct", "incorrect", "not attempted"]
CORRECT: Status = "correct"
INCORRECT: Status = "incorrect"
NOT_ATTEMPTED: Status = "not attempted"

Checker = Callable[..., Awaitable["Outcome"]]


@dataclass(frozen=True)
class Outcome:
    """The verdict of one check; its text is what the notebook prints."""

    status: Status
    message: str = ""

    def __str__(self) -> str:
        return f"{self.status}: {self.message}" if self.message else self.status

    __repr__ = __str__

    @property
    def correct(self) -> bool:
        return self.status == CORRECT


def compare_receivers(expected: Iterable[str], received: Iterable[str]) -> Outcome:
    """Correct when exactly ``expected`` received; otherwise say who is missing or extra."""
    want, got = sorted(set(expected)), sorted(set(received))
    if want == got:
        return Outcome(CORRECT, f"received by {', '.join(got) or 'nobody'}")
    missing = sorted(set(want) - set(got))
    extra = sorted(set(got) - set(want))
    parts = [f"received by {', '.join(got) or 'nobody'}"]
    if missing:
        parts.append(f"missing {', '.join(missing)}")
    if extra:
        parts.append(f"should not reach {', '.join(extra)}")
    return Outcome(INCORRECT, "; ".join(parts))


class Exercise:
    """One exercise: ``await ex.check(answer)``, ``ex.hint()``, ``ex.solution()``.

    ``checker(answer, *args)`` runs the learner's ``answer`` for real and
    returns an ``Outcome``. An ``answer`` that raises ``NotImplementedError``
    (the shipped stub) is *not attempted*; any other exception is *incorrect*
    and its message is shown.
    """

    def __init__(self, title: str, checker: Checker, hint: str, solution: str) -> None:
        self.title = title
        self._checker = checker
        self._hint = hint
        self._solution = solution

    def __repr__(self) -> str:
        return f"Exercise({self.title!r})"

    async def check(self, answer: Callable[..., Any], *args: Any) -> Outcome:
        try:
            outcome = await self._checker(answer, *args)
        except NotImplementedError:
            outcome = Outcome(NOT_ATTEMPTED, "replace `raise NotImplementedError` with your code")
        except Exception as error:
            outcome = Outcome(INCORRECT, f"your code raised {type(error).__name__}: {error}")
        print(f"{self.title}: {outcome}")
        return outcome

    def hint(self) -> None:
        print(f"Hint: {self._hint}")

    def solution(self) -> None:
        print(f"Solution:\n{self._solution}")


def errors_verdict(server: EmbeddedServer) -> Outcome | None:
    """Turn a handler error into the verdict (and forget it); None when there was none."""
    errors, server.errors[:] = list(server.errors), []
    if not errors:
        return None
    if any(e.error.startswith("NotImplementedError") for e in errors):
        raise NotImplementedError
    return Outcome(INCORRECT, "your code raised in the server: " + errors[0].error)
