"""The classroom notebook's exercises, checked against live students and a live server.

A breakout room (students' own calls) and the access token as a plain
python-socketio connect handler (what classroom mode does for you).
"""

from __future__ import annotations

import inspect
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any

import socketio

from ..delivery import settle
from ..server import EmbeddedServer
from .scaffold import CORRECT, INCORRECT, Exercise, Outcome, compare_receivers, errors_verdict

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
        return Outcome(
            INCORRECT,
            f"nobody sent {BREAKOUT!r}: ada.client.call('chat message', ({BREAKOUT!r}, room))",
        )
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
    hint="`ada.client` is a plain python-socketio `AsyncClient`: `await client.call(event, data)` "
    "emits and waits for the server's acknowledgement. The class server joins a room on "
    '`"join room"` (data: the room\'s name) and writes to one room on `"chat message"` with '
    "(text, room) as data; only the room's members may.",
    solution='await ada.client.call("join room", "group 1")\n'
    'await bob.client.call("join room", "group 1")\n'
    f'await ada.client.call("chat message", ("{BREAKOUT}", "group 1"))',
)


TOKEN = "class-token"
"""The access token the guard check hands to the answer."""

GUARD_SOLUTION = """\
from socketio.exceptions import ConnectionRefusedError


def guard(sio, token):
    @sio.event
    async def connect(sid, environ, auth):
        auth = auth or {}
        if auth.get("token") != token:
            raise ConnectionRefusedError("wrong or missing access token")
        await sio.save_session(sid, {"name": auth.get("name", "anonymous")})
"""


async def _try_to_join(url: str, auth: dict[str, str] | None) -> tuple[str | None, Any]:
    """Connect a plain python-socketio client; (refusal message or None, the client)."""
    client = socketio.AsyncClient(handle_sigint=False, reconnection=False)
    refusals: list[Any] = []
    client.on("connect_error", refusals.append)
    try:
        await client.connect(url, auth=auth, transports=["websocket"], wait_timeout=3)
    except socketio.exceptions.ConnectionError:
        why = refusals[-1] if refusals else None
        message = why.get("message") if isinstance(why, dict) else str(why)
        return message or "refused", client
    return None, client


async def _check_guard(answer: Callable[..., Any], *_lesson: Any) -> Outcome:
    """Install the learner's ``guard(sio, token)`` on a fresh server and knock three times.

    No auth and a wrong token must be refused with a message that mentions the
    token (the student reads it); the right token must be let in, with the name
    the student sent kept in the session (a handler reads it there later).
    """
    server = await EmbeddedServer("guard-exercise").start()
    try:
        result = answer(server.sio, TOKEN)
        if inspect.isawaitable(result):
            await result

        @server.sio.on("whoami")
        async def whoami(sid: str) -> Any:
            return (await server.sio.get_session(sid)).get("name")

        knocks = [("no auth", None), ("a wrong token", {"name": "eve", "token": "guess"})]
        for label, auth in knocks:
            refused, client = await _try_to_join(server.url, auth)
            if refused is None:
                await client.disconnect()
                return Outcome(INCORRECT, f"a client with {label} got in: refuse it")
            verdict = errors_verdict(server)
            if verdict is not None:
                return verdict
            if "token" not in refused:
                return Outcome(
                    INCORRECT, f"{label} was refused with {refused!r}: say it is the token"
                )
        refused, client = await _try_to_join(server.url, {"name": "ada", "token": TOKEN})
        if refused is not None:
            return Outcome(INCORRECT, f"ada, with the right token, was refused: {refused!r}")
        try:
            name = await client.call("whoami", timeout=2)
        except socketio.exceptions.TimeoutError:
            name = None
        finally:
            await client.disconnect()
        verdict = errors_verdict(server)
        if verdict is not None:
            return verdict
        if name != "ada":
            return Outcome(INCORRECT, f"ada's session holds the name {name!r}: save_session it")
        return Outcome(CORRECT, "no auth and a wrong token refused; ada let in, her name kept")
    finally:
        await server.stop()


token_guard = Exercise(
    "The access token, in a connect handler",
    _check_guard,
    hint="python-socketio has no io.use(): the connect handler (sid, environ, auth) is the "
    "middleware. `raise ConnectionRefusedError('why')` refuses (the client's connect_error gets "
    "the message): import it from socketio.exceptions, Python's built-in one of the same name "
    "is only an error in your handler. `await sio.save_session(sid, {...})` keeps the name.",
    solution=GUARD_SOLUTION,
)
"""``await token_guard.check(guard)``: ``guard(sio, token)`` registers a connect handler."""
