"""The exercises of the acknowledgements lesson, checked against the live cast.

Each check gives the clients handlers of its own for its own event, so that
the check decides who answers and who stays silent, and the learner's code
meets both cases: an answer that only works when everyone answers is caught.
The checks bound every wait: an answer that forgets its timeout is told so in
seconds, not after python-socketio's default minute.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Sequence
from typing import Any

from ..clients import ChatClient
from ..delivery import settle
from ..server import EmbeddedServer
from .emits import cast_problem
from .scaffold import CORRECT, INCORRECT, Exercise, Outcome, compare_receivers, errors_verdict

Answer = Callable[..., Awaitable[Any]]

TIMEOUT_EVENT, TIMEOUT_QUESTION, NO_ANSWER = "are you there?", "ping", "no answer"
ROOM_EVENT, ROOM_QUESTION = "question", "ready?"
PATIENCE = 3.0
"""Seconds a check waits for the learner's code before saying it forgot its timeout."""

TIMEOUT_SOLUTION = """\
async def answer(sio):
    try:
        return await sio.call("are you there?", "ping", to=sio.sid_of("erin"), timeout=0.5)
    except socketio.exceptions.TimeoutError:
        return "no answer\""""

ROOM_SOLUTION = """\
async def answer(sio):
    members = [s for s, _ in sio.manager.get_participants("/", "room2")]
    replies = await asyncio.gather(
        *(sio.call("question", "ready?", to=s, timeout=2) for s in members)
    )
    return {sio.name_of(s): reply for s, reply in zip(members, replies)}

# or, with chatlib's helper:
#     replies, missing = await call_each(sio, "question", "ready?", to="room2", timeout=2)
#     return {sio.name_of(s): reply for s, reply in replies.items()}"""


def _asked(client: ChatClient, event: str, since: int) -> list[Any]:
    return [m.data for m in client.inbox[since:] if m.event == event]


async def _bounded(answer: Answer, server: EmbeddedServer) -> Any:
    try:
        return await asyncio.wait_for(answer(server.sio), PATIENCE)
    except TimeoutError:
        raise TimeoutError(
            f"your code was still waiting after {PATIENCE:g} s: give call() a timeout"
        ) from None


def ack_exercises(
    server: EmbeddedServer, clients: Sequence[ChatClient]
) -> tuple[Exercise, Exercise]:
    """Two exercises on ``server``'s cast: a timeout, and acknowledgements from a room."""
    clients = list(clients)
    by_name = {c.name: c for c in clients}

    async def check_timeout(answer: Answer) -> Outcome:
        problem = cast_problem(server, clients, {"erin": set()})
        if problem is not None:
            return Outcome(INCORRECT, f"cannot check: {problem}")
        erin = by_name["erin"]
        release = asyncio.Event()

        async def erin_answers(text: Any) -> str:
            return f"erin: {text} back"

        async def erin_is_away(text: Any) -> str:
            await release.wait()
            return "too late"

        verdicts = []
        try:
            for handler, expected in ((erin_is_away, NO_ANSWER), (erin_answers, None)):
                erin.on(TIMEOUT_EVENT, handler)
                since = len(erin.inbox)
                got = await _bounded(answer, server)
                await settle(server, clients)
                asked = _asked(erin, TIMEOUT_EVENT, since)
                if asked != [(TIMEOUT_QUESTION,)]:
                    what = ", ".join(map(repr, asked)) or "nothing"
                    return Outcome(
                        INCORRECT,
                        f"erin was asked {what}: ask {TIMEOUT_EVENT!r} with {TIMEOUT_QUESTION!r}",
                    )
                want = expected or f"erin: {TIMEOUT_QUESTION} back"
                when = "away" if expected else "answering"
                if got != want:
                    return Outcome(
                        INCORRECT, f"with erin {when}, you returned {got!r}, not {want!r}"
                    )
                verdicts.append(f"erin {when}: {got!r}")
        finally:
            release.set()
            erin.on(TIMEOUT_EVENT, lambda text: None)
        return errors_verdict(server) or Outcome(CORRECT, "; ".join(verdicts))

    async def check_room_acks(answer: Answer) -> Outcome:
        needs = {name: {"room2"} for name in ("bob", "carol", "dave")}
        problem = cast_problem(server, clients, needs)
        if problem is not None:
            return Outcome(INCORRECT, f"cannot check: {problem}")
        for client in clients:
            client.on(ROOM_EVENT, lambda text, name=client.name: f"{name}: {text} yes")
        await settle(server, clients)
        replies = await _bounded(answer, server)
        delivery = await settle(server, clients)
        verdict = errors_verdict(server)
        if verdict is not None:
            return verdict
        expected = sorted(needs)
        if not isinstance(replies, dict):
            return Outcome(INCORRECT, f"return a dict name -> reply, not {type(replies).__name__}")
        asked = delivery.receivers(ROOM_EVENT)
        unasked = sorted(set(expected) - set(asked))
        if unasked:
            return Outcome(INCORRECT, f"{', '.join(unasked)} never received a {ROOM_EVENT!r}")
        outcome = compare_receivers(expected, asked)
        if not outcome.correct:
            return Outcome(INCORRECT, f"asked: {outcome.message}")
        wrong_data = [row.data for row in delivery.rows if row.event == ROOM_EVENT]
        if wrong_data != [repr(ROOM_QUESTION)]:
            return Outcome(INCORRECT, f"asked {', '.join(wrong_data)}: ask {ROOM_QUESTION!r}")
        if sorted(replies) != expected:
            return Outcome(INCORRECT, f"replies from {', '.join(sorted(replies)) or 'nobody'}")
        for name, reply in sorted(replies.items()):
            if reply != f"{name}: {ROOM_QUESTION} yes":
                return Outcome(INCORRECT, f"{name}'s reply is {reply!r}, not what {name} said")
        return Outcome(CORRECT, f"replies from {', '.join(expected)}")

    return (
        Exercise(
            "ask erin, with a timeout",
            check_timeout,
            "sio.call(event, data, to=sid, timeout=0.5) raises "
            "socketio.exceptions.TimeoutError when no acknowledgement comes in time; "
            "catch it and return 'no answer'. sio.sid_of('erin') gives her sid.",
            TIMEOUT_SOLUTION,
        ),
        Exercise(
            "an acknowledgement from every client in room2",
            check_room_acks,
            "call() asks one socket; ask each member of room2 at once and gather the answers "
            "(chatlib.emits.broadcast.call_each does exactly that).",
            ROOM_SOLUTION,
        ),
    )
