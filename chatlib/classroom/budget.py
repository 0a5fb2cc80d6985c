"""The room-wide message budget: what the whole class may send, together, per second.

Per-client limits (``limits.RateLimit``) stop one student from flooding the
room, but they do not add up to something the server can carry: a chat
message to everyone costs one delivery per student, so 1,000 students each at
their own modest rate ask for 1,000 times 1,000 deliveries. Past what the
server can send, messages pile up in memory, every message arrives later than
the one before, and the instructor's event loop stops answering.

The budget counts the cost where it arises, in deliveries: a message to
everyone costs as many deliveries as there are people online; a message to
a room, as many as are in it. A message the budget cannot pay for now is
refused in its acknowledgement with a sentence the student can act on, and
never half-sent: what is accepted is delivered. A second bound caps the
messages accepted but still waiting for their turn to go out, so that a
server slower than its budget (a busy machine) still says no instead of
queueing.

With several nodes each node keeps its own budget but counts everyone online
in the whole class: every node sends every accepted message to its own
share of the class, so with the students spread evenly each node sends at
most its budget.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field

DELIVERIES_PER_SECOND = 20_000.0
"""A default a 2-core machine sustains with room to spare (the load tests measure it)."""

BURST_SECONDS = 2.0
"""How many seconds' worth of deliveries may go out at once after a quiet spell."""

MAX_WAITING = 64
"""Accepted messages that may wait for their turn to be sent before new ones are refused."""

LONGEST_WAIT = 30
"""The longest wait (seconds) a refusal asks for, however busy the class."""


@dataclass
class MessageBudget:
    """A token bucket of deliveries shared by the whole room.

    ``ask(receivers)`` takes that many deliveries from the bucket and returns
    None, or leaves the bucket untouched and returns the reason for the
    refusal. An accepted message counts as waiting until ``finished()``
    (its broadcast is done); while ``max_waiting`` messages wait, ``ask``
    refuses too.
    """

    deliveries_per_second: float = DELIVERIES_PER_SECOND
    burst_seconds: float = BURST_SECONDS
    max_waiting: int = MAX_WAITING
    clock: Callable[[], float] = field(default=time.monotonic, repr=False)
    refused: int = 0
    accepted: int = 0
    waiting: int = 0
    _tokens: float = field(default=-1.0, repr=False)
    _updated: float = field(default=0.0, repr=False)
    _demand: float = field(default=0.0, repr=False)  # refused deliveries, halving each second

    def __post_init__(self) -> None:
        if self.deliveries_per_second <= 0 or self.burst_seconds <= 0 or self.max_waiting < 1:
            raise ValueError("a message budget needs a positive rate, burst and waiting room")

    @property
    def capacity(self) -> float:
        return self.deliveries_per_second * self.burst_seconds

    def ask(self, receivers: int) -> str | None:
        """Pay for a message to ``receivers`` people, or say why it cannot go now."""
        now = self.clock()
        if self._tokens < 0:
            self._tokens, self._updated = self.capacity, now
        elapsed = now - self._updated
        self._tokens = min(self.capacity, self._tokens + elapsed * self.deliveries_per_second)
        self._demand *= 0.5**elapsed
        self._updated = now
        # A message bigger than the whole bucket (a huge class) may go when the bucket is full.
        cost = min(float(max(receivers, 1)), self.capacity)
        if self.waiting >= self.max_waiting or self._tokens < cost:
            self.refused += 1
            self._demand += cost
            return self.explain(receivers)
        self._tokens -= cost
        self.accepted += 1
        self.waiting += 1
        return None

    def finished(self) -> None:
        self.waiting -= 1

    def explain(self, receivers: int) -> str:
        """The refusal, with a wait that grows with how many were refused lately.

        Asking everyone to try again in one second would bring every refused
        message back each second, a storm of retries that costs the server as
        much as it saves. The wait is the time the budget needs for what it
        refused recently, so the retries spread out as the crowd grows.
        """
        wanted = max(self._demand, float(max(receivers, 1)))
        wait = min(LONGEST_WAIT, max(1, round(wanted / self.deliveries_per_second)))
        return (
            "the class is busy: together everyone is sending more than the server can pass on "
            f"to {receivers:,} people. Your message was not sent; send it again in "
            f"{wait} second{'s' if wait > 1 else ''}."
        )
