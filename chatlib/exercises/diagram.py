"""Exercises of notebook 08, "see delivery happen", checked against live clients.

Each checker first checks the cast it needs (a sender inside room1 with
company, somebody outside it; a client whose handler answers), so that a wrong
answer cannot pass by luck, then runs the answer and compares receivers and
payloads (or the value returned) with the truth.
"""

from __future__ import annotations

from typing import Any

from ..clients import ChatClient
from ..delivery import settle
from .scaffold import CORRECT, INCORRECT, Exercise, Outcome, compare_receivers

QUESTION = "what is 6 × 7?"
"""The quiz the first check hands to the answer; every receiver must get exactly this."""

SOLUTION = """\
async def answer(sio, sid, question):
    await sio.emit("quiz", question, to="room1", skip_sid=sid)
"""


async def _check_room_but_sender(
    answer: Any, server: Any, clients: list[ChatClient], sender: ChatClient
) -> Outcome:
    sio = server.sio
    members = {sio.name_of(sid) for sid, _ in sio.manager.get_participants("/", "room1")}
    names = {c.name for c in clients}
    if sender.name not in members or not (members - {sender.name}) or not (names - members):
        return Outcome(
            INCORRECT,
            f"cannot check: {sender.name} and one more client must be in room1, "
            "and someone outside it",
        )
    await settle(server, clients)  # start from a clean record
    await answer(sio, sender.get_sid(), QUESTION)
    delivery = await settle(server, clients)
    verdict = compare_receivers(members - {sender.name}, delivery.receivers("quiz"))
    if not verdict.correct:
        return verdict
    carried = sorted({row.data for row in delivery.rows if row.event == "quiz"})
    if carried != [repr(QUESTION)]:
        return Outcome(INCORRECT, f"'quiz' carried {', '.join(carried)}: send the question given")
    return verdict


room_but_sender = Exercise(
    "room1, except the sender",
    _check_room_but_sender,
    hint="A room is `to=`; leaving the sender out is `skip_sid=` (JavaScript: socket.to(room)).",
    solution=SOLUTION,
)
"""``await room_but_sender.check(answer, server, clients, sender)``: emit 'quiz' to room1
as ``socket.to('room1').emit`` would: every member but the sender."""


ASK_SOLUTION = """\
async def ask(sio, sid, n):
    return await sio.call("question", n, to=sid, timeout=1)
"""


async def _check_ask_and_wait(answer: Any, server: Any, client: ChatClient) -> Outcome:
    sio = server.sio
    try:
        sid = client.get_sid()
        expected = {n: await sio.call("question", n, to=sid, timeout=1) for n in (3, 8)}
    except Exception:
        expected = {}
    if not expected or expected[3] is None or expected[3] == expected[8]:
        return Outcome(INCORRECT, f"cannot check: {client.name} must answer 'question' (run above)")
    await settle(server, [client])
    for n, reply in expected.items():
        got = await answer(sio, client.get_sid(), n)
        await settle(server, [client])  # an emit that did not wait has arrived by now
        asked = [m.data for m in client.inbox if m.event == "question"][-1:]
        if asked != [(n,)]:
            return Outcome(INCORRECT, f"{client.name} was not asked 'question' {n}: ask the client")
        if got != reply:
            return Outcome(
                INCORRECT, f"for {n} you returned {got!r}; {client.name} answered {reply!r}"
            )
    return Outcome(CORRECT, f"{client.name}'s answers came back: {expected[3]}, {expected[8]}")


ask_and_wait = Exercise(
    "Ask and wait for the answer",
    _check_ask_and_wait,
    hint="emit() does not wait; call() does, and returns what the client's handler returned. "
    "It needs `to=` one sid and a `timeout=`.",
    solution=ASK_SOLUTION,
)
"""``await ask_and_wait.check(ask, server, client)``: return ``client``'s answer to 'question'."""
