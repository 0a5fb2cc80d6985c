"""The delivery lesson's exercise: send so that a retry is stored once.

The learner writes ``send_once(client, text)``. The check runs it for real
against a server that acknowledges late (so a first attempt always times
out), then counts how many copies of the message the store holds. One copy
and an acknowledgement: correct. Several copies: each attempt carried a new
client offset, so the server could not tell a retry from a new message.
"""

from __future__ import annotations

import asyncio
import itertools
from collections.abc import Awaitable, Callable
from typing import Any

from ..durable.faults import slow_acks
from ..durable.reliable import DurableClient
from .scaffold import CORRECT, INCORRECT, Exercise, Outcome

ACK_DELAY = 0.5
_rounds = itertools.count(1)


async def _check_send_once(
    answer: Callable[[DurableClient, str], Awaitable[Any]], server: Any, client: DurableClient
) -> Outcome:
    text = f"exercise message {next(_rounds)}"
    loop = asyncio.get_running_loop()
    started = loop.time()
    with slow_acks(server, ACK_DELAY):
        ack = await answer(client, text)
    waited = loop.time() - started
    copies = sum(1 for m in await server.store.all() if m.content == text)
    if copies > 1:
        return Outcome(
            INCORRECT,
            f"stored {copies} times: every attempt needs the same client offset, "
            "or the server cannot tell a retry from a new message",
        )
    if not (isinstance(ack, dict) and ack.get("ok")):
        return Outcome(INCORRECT, f"send_once returned {ack!r}, not the server's acknowledgement")
    if waited >= ACK_DELAY:
        return Outcome(
            INCORRECT,
            "it waited for the late acknowledgement; give up on an attempt after 0.2 s "
            "and send again",
        )
    return Outcome(CORRECT, "stored once, acknowledged although the first answer came late")


SOLUTION = """\
from socketio.exceptions import TimeoutError as AckTimeout


async def send_once(client, text):
    offset = client.next_client_offset()      # chosen once, before the first attempt
    for attempt in range(6):                  # the first try and 5 retries
        try:
            return await client.call("chat message", (text, offset), timeout=0.2)
        except AckTimeout:
            pass                              # no answer in time: send it again
    raise RuntimeError(f"no acknowledgement for {text!r}")
"""

send_once_exercise = Exercise(
    "send once, stored once",
    _check_send_once,
    hint=(
        "await client.call('chat message', (text, offset), timeout=0.2) waits for the "
        "acknowledgement and raises socketio.exceptions.TimeoutError when none comes. "
        "Where do you create the offset: once, or once per attempt?"
    ),
    solution=SOLUTION,
)
