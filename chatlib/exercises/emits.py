"""The emit cheatsheet's exercises, checked against the live cast of the notebook.

Each check runs the learner's code on the real server and compares who really
received something with who should have. "Who should have" is worked out from
each client's rooms as the server reports them (``EmbeddedServer.rooms_of``),
not by running a reference emit, so a mistaken helper cannot hide a mistaken
answer. A check also refuses to judge when the cast is not the one the
exercise describes (a client gone, a room emptied by an earlier cell): the
verdict would say nothing about the answer.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from typing import Any

from ..clients import ChatClient
from ..delivery import Delivery, settle
from ..log import describe
from ..server import EmbeddedServer
from .scaffold import INCORRECT, Exercise, Outcome, compare_receivers, errors_verdict

Answer = Callable[..., Awaitable[Any]]

EVENT, PAYLOAD = "hello", "hi"
"""What every answer emits: the check looks at this event and this payload only."""

EXCEPT_ROOM3_SOLUTION = """\
async def answer(sio, sid):
    in_room3 = [s for s, _ in sio.manager.get_participants("/", "room3")]
    await sio.emit("hello", "hi", to=["room1", "room2"], skip_sid=[sid, *in_room3])

# or, with chatlib's helper:
#     await emit_except(sio, "hello", "hi", to=["room1", "room2"],
#                       except_rooms="room3", skip_sid=sid)"""

EXCEPT_ROOM1_SOLUTION = """\
async def answer(sio, sid):
    in_room1 = [s for s, _ in sio.manager.get_participants("/", "room1")]
    await sio.emit("hello", "hi", skip_sid=in_room1)

# or, with chatlib's helper:
#     await emit_except(sio, "hello", "hi", except_rooms="room1")"""


def _rooms(server: EmbeddedServer, client: ChatClient) -> set[str]:
    """The client's rooms in the default namespace (``rooms_of`` prefixes the others)."""
    return {room for room in server.rooms_of(client) if " " not in room}


def cast_problem(
    server: EmbeddedServer, clients: Sequence[ChatClient], needs: dict[str, set[str]]
) -> str | None:
    """Why the cast cannot test the answer (``needs``: a name -> rooms it must be in), or None."""
    by_name = {c.name: c for c in clients}
    for name, rooms in needs.items():
        client = by_name.get(name)
        if client is None or not client.connected:
            return f"{name} is not connected: run the cast cell again"
        missing = rooms - _rooms(server, client)
        if missing:
            return f"{name} is not in {', '.join(sorted(missing))}: run the cast cell again"
    return None


def payload_problem(delivery: Delivery) -> Outcome | None:
    """Incorrect when a receiver got something other than one ``hello`` carrying ``"hi"``."""
    expected = describe(PAYLOAD)
    for row in delivery.rows:
        names = ", ".join(sorted(row.counts))
        if not row.counts:
            continue
        if row.event != EVENT:
            return Outcome(INCORRECT, f"{names} got the event {row.event!r}: emit {EVENT!r}")
        if row.data != expected:
            return Outcome(INCORRECT, f"{names} got {row.data}: send the text {expected}")
        twice = sorted(name for name, count in row.counts.items() if count > 1)
        if twice:
            return Outcome(INCORRECT, f"{', '.join(twice)} got it more than once: emit once")
    return None


def cheatsheet_exercises(
    server: EmbeddedServer, clients: Sequence[ChatClient], sender: str = "alice"
) -> tuple[Exercise, Exercise]:
    """Two addressing exercises on ``server``'s cast; ``sender``'s event is the one handled."""
    clients = list(clients)

    async def run_emit(answer: Answer, needs: dict[str, set[str]]) -> Outcome | Delivery:
        problem = cast_problem(server, clients, {sender: set(), **needs})
        if problem is not None:
            return Outcome(INCORRECT, f"cannot check: {problem}")
        await settle(server, clients)  # start from a clean record
        sid = server.sio.sid_of(sender)
        await answer(server.sio, sid)
        delivery = await settle(server, clients)
        return errors_verdict(server) or payload_problem(delivery) or delivery

    async def check_except_room3(answer: Answer) -> Outcome:
        result = await run_emit(answer, {"dave": {"room2", "room3"}, "bob": {"room1", "room2"}})
        if isinstance(result, Outcome):
            return result
        expected = [
            c.name
            for c in clients
            if _rooms(server, c) & {"room1", "room2"}
            and "room3" not in _rooms(server, c)
            and c.name != sender
        ]
        return compare_receivers(expected, result.receivers(EVENT))

    async def check_except_room1(answer: Answer) -> Outcome:
        result = await run_emit(answer, {"bob": {"room1"}})
        if isinstance(result, Outcome):
            return result
        expected = [c.name for c in clients if "room1" not in _rooms(server, c)]
        return compare_receivers(expected, result.receivers(EVENT))

    return (
        Exercise(
            "room1 or room2, except room3 and the sender",
            check_except_room3,
            "skip_sid accepts a list of socket ids: the sender's, plus everyone in room3 "
            "(sio.manager.get_participants('/', 'room3') yields (sid, eio_sid) pairs).",
            EXCEPT_ROOM3_SOLUTION,
        ),
        Exercise(
            "everyone except room1 (io.except('room1'))",
            check_except_room1,
            "No `to` means everyone; leave out room1's members with skip_sid, or use "
            "emit_except(..., except_rooms='room1').",
            EXCEPT_ROOM1_SOLUTION,
        ),
    )
