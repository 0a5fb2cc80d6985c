"""The emit cheatsheet's exercises, checked against the live cast of the notebook.

Each check runs the learner's code on the real server and compares who really
received something with who should have. "Who should have" is worked out from
each client's rooms as the server reports them (``EmbeddedServer.rooms_of``),
not by running a reference emit, so a mistaken helper cannot hide a mistaken
answer.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from typing import Any

from ..clients import ChatClient
from ..delivery import settle
from ..server import EmbeddedServer
from .scaffold import INCORRECT, Exercise, Outcome, compare_receivers

Answer = Callable[..., Awaitable[Any]]

EXCEPT_ROOM3_SOLUTION = """\
async def answer(sio, sid):
    in_room3 = [s for s, _ in sio.manager.get_participants("/", "room3")]
    await sio.emit("hello", "hi", to=["room1", "room2"], skip_sid=[sid, *in_room3])

# or, with chatlib's helper:
#     await emit_except(sio, "hello", "hi", to=["room1", "room2"],
#                       except_rooms="room3", skip_sid=sid)"""

EXCEPT_ROOM1_SOLUTION = """\
async def answer(sio, sid):
    await emit_except(sio, "hello", "hi", except_rooms="room1")"""

ACKS_SOLUTION = """\
async def answer(sio):
    members = [s for s, _ in sio.manager.get_participants("/", "room2")]
    replies = await asyncio.gather(
        *(sio.call("question", "ready?", to=s, timeout=2) for s in members)
    )
    return {sio.name_of(s): reply for s, reply in zip(members, replies)}"""


def _rooms(server: EmbeddedServer, client: ChatClient) -> set[str]:
    """The client's rooms in the default namespace (``rooms_of`` prefixes the others)."""
    return {room for room in server.rooms_of(client) if " " not in room}


def cheatsheet_exercises(
    server: EmbeddedServer, clients: Sequence[ChatClient], sender: str = "alice"
) -> tuple[Exercise, Exercise, Exercise]:
    """Three exercises on ``server``'s cast; ``sender`` plays the socket whose event is handled."""
    clients = list(clients)

    async def run_emit(answer: Answer) -> list[str]:
        await settle(server, clients)  # start from a clean record
        sid = server.sio.sid_of(sender)
        if sid is None:
            raise LookupError(f"{sender} is not connected")
        await answer(server.sio, sid)
        return (await settle(server, clients)).receivers()

    async def check_except_room3(answer: Answer) -> Outcome:
        received = await run_emit(answer)
        expected = [
            c.name
            for c in clients
            if _rooms(server, c) & {"room1", "room2"}
            and "room3" not in _rooms(server, c)
            and c.name != sender
        ]
        return compare_receivers(expected, received)

    async def check_except_room1(answer: Answer) -> Outcome:
        received = await run_emit(answer)
        expected = [c.name for c in clients if "room1" not in _rooms(server, c)]
        return compare_receivers(expected, received)

    async def check_acks(answer: Answer) -> Outcome:
        await settle(server, clients)
        replies = await answer(server.sio)
        asked = (await settle(server, clients)).receivers("question")
        expected = [c.name for c in clients if "room2" in _rooms(server, c)]
        if not isinstance(replies, dict):
            return Outcome(INCORRECT, f"return a dict name -> reply, not {type(replies).__name__}")
        outcome = compare_receivers(expected, replies)
        if not outcome.correct:
            return Outcome(INCORRECT, f"replies from {', '.join(sorted(replies)) or 'nobody'}")
        unasked = sorted(set(expected) - set(asked))
        if unasked:
            return Outcome(INCORRECT, f"{', '.join(unasked)} never received a 'question'")
        silent = sorted(name for name, reply in replies.items() if reply is None)
        if silent:
            return Outcome(INCORRECT, f"no reply recorded for {', '.join(silent)}")
        return Outcome(outcome.status, f"replies from {', '.join(sorted(replies))}")

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
        Exercise(
            "an acknowledgement from every client in room2",
            check_acks,
            "call() asks one socket; ask each member of room2 and gather the answers "
            "(chatlib.emits.broadcast.call_each does exactly that).",
            ACKS_SOLUTION,
        ),
    )
