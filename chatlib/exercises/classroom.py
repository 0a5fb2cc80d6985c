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
ROOM = "group 1"


async def _check_breakout(
    answer: Callable[..., Awaitable[None]],
    classroom: Classroom,
    ada: ClassroomPane,
    bob: ClassroomPane,
    cy: ClassroomPane,
) -> Outcome:
    """Run the learner's ``answer(ada, bob, cy)`` from an empty ``ROOM``.

    Correct when ada and bob (and not cy) are in the room afterwards, only they
    received the message, and it is ada's, to that room. The room is emptied
    first, so an earlier cell or attempt cannot do the joining for the answer.
    """
    students = [ada.client, bob.client, cy.client]
    for name in classroom.rooms().get(ROOM, []):
        sid = classroom.sio.sid_of(name)
        if sid is not None:
            await classroom.sio.leave_room(sid, ROOM)
    await settle(classroom.server, *students)
    heard_before = {s.name: len(s.received("chat message")) for s in students}
    await answer(ada, bob, cy)
    delivery = await settle(classroom.server, *students)
    rows = [row for row in delivery.rows if BREAKOUT in row.data]
    if not rows:
        return Outcome(INCORRECT, f"nobody sent {BREAKOUT!r}: use ada.say({BREAKOUT!r}, room=...)")
    verdict = compare_receivers(["ada", "bob"], (name for row in rows for name in row.counts))
    if not verdict.correct:
        return verdict
    members = classroom.rooms().get(ROOM, [])
    if members != ["ada", "bob"]:
        return Outcome(
            INCORRECT,
            f"{ROOM!r} holds {', '.join(members) or 'nobody'}: ada and bob should join it",
        )
    expected = ("ada", BREAKOUT, ROOM)
    for student in students[:2]:
        heard = student.received("chat message")[heard_before[student.name] :]
        wrong = [m for m in heard if BREAKOUT in str(m) and m != expected]
        if wrong:
            return Outcome(
                INCORRECT, f"{student.name} got {wrong[0]!r}, expected {expected!r}: ada writes it"
            )
    return verdict


breakout_room = Exercise(
    "Breakout room",
    _check_breakout,
    hint="Students join a room with `await pane.join_room(name)`; `say(text, room=name)` writes "
    "to that room only, and only its members may.",
    solution='await ada.join_room("group 1")\n'
    'await bob.join_room("group 1")\n'
    f'await ada.say("{BREAKOUT}", room="group 1")',
)
