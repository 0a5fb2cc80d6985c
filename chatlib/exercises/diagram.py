"""Exercises of notebook 07, "see delivery happen", checked against live clients."""

from __future__ import annotations

from typing import Any

from ..clients import ChatClient
from ..delivery import settle
from .scaffold import Exercise, Outcome, compare_receivers

SOLUTION = """\
async def answer(sio, sid):
    await sio.emit("quiz", "what is 6 × 7?", to="room1", skip_sid=sid)
"""


async def _check_room_but_sender(
    answer: Any, server: Any, clients: list[ChatClient], sender: ChatClient
) -> Outcome:
    sio = server.sio
    members = {sio.name_of(sid) for sid, _ in sio.manager.get_participants("/", "room1")}
    await answer(sio, sender.get_sid())
    delivery = await settle(server, clients)
    return compare_receivers(members - {sender.name}, delivery.receivers("quiz"))


room_but_sender = Exercise(
    "room1, except the sender",
    _check_room_but_sender,
    hint="A room is `to=`; leaving the sender out is `skip_sid=` (JavaScript: socket.to(room)).",
    solution=SOLUTION,
)
"""``await room_but_sender.check(answer, server, clients, sender)``: emit 'quiz' to room1
as ``socket.to('room1').emit`` would: every member but the sender."""
