"""The classroom notebook's exercise: a breakout room, checked against live students."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING

from ..delivery import settle
from .scaffold import INCORRECT, Exercise, Outcome, compare_receivers

if TYPE_CHECKING:
    from ..classroom.session import Classroom
    from ..classroom.student import ClassroomPane

BREAKOUT = "our group only"


async def _check_breakout(
    answer: Callable[..., Awaitable[None]],
    classroom: Classroom,
    ada: ClassroomPane,
    bob: ClassroomPane,
    cy: ClassroomPane,
) -> Outcome:
    """Run the learner's ``answer(ada, bob, cy)``; correct when only ada and bob get the message."""
    await settle(classroom.server, ada.client, bob.client, cy.client)
    await answer(ada, bob, cy)
    delivery = await settle(classroom.server, ada.client, bob.client, cy.client)
    rows = [row for row in delivery.rows if BREAKOUT in row.data]
    if not rows:
        return Outcome(INCORRECT, f"nobody sent {BREAKOUT!r}: use ada.say({BREAKOUT!r}, room=...)")
    return compare_receivers(["ada", "bob"], (name for row in rows for name in row.counts))


breakout_room = Exercise(
    "Breakout room",
    _check_breakout,
    hint="Students join a room with `await pane.join_room(name)`; `say(text, room=name)` writes "
    "to that room only, and only its members may.",
    solution='await ada.join_room("group 1")\n'
    'await bob.join_room("group 1")\n'
    f'await ada.say("{BREAKOUT}", room="group 1")',
)
