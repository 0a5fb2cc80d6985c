"""The delivery lesson's exercises: greet a recovered client, send so a retry is stored once.

``add_welcome(sio)`` (step 6) registers a connect handler. The check runs it
on a server of its own with connection state recovery on: a client without
``auth``, then uma and vic connect; vic's connection is cut and recovered;
uma leaves on purpose and connects again. Each must get the right ``welcome``
(its text, to it alone), and the recovered connection must really be one.

``send_once(client, text)`` (step 8) runs for real against a server that
acknowledges late (so a first attempt always times out); the check then
counts how many copies of the message the store holds. One copy and an
acknowledgement: correct. Several copies: each attempt carried a new client
offset, so the server could not tell a retry from a new message.
"""

from __future__ import annotations

import asyncio
import contextlib
import inspect
import itertools
from collections.abc import Awaitable, Callable
from typing import Any

import socketio
from socketio import exceptions

from ..clients import ChatClient
from ..delivery import settle, wait_until
from ..durable.faults import drop_connection, slow_acks
from ..durable.reliable import DurableClient
from ..recovery import Recovery
from ..server import EmbeddedServer
from .scaffold import CORRECT, INCORRECT, Exercise, Outcome, errors_verdict

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


# --- welcome back: a connect handler that tells a recovered connection from a new one ------
ANONYMOUS = "anonymous"
"""The name a client that sends no ``auth`` goes by."""

WELCOME_WAIT = 2.0
"""Seconds the check waits for a welcome, or for a connection to come back."""

_QUICK_RETURN = {"reconnection_delay": 0.05, "reconnection_delay_max": 0.1}


class _Wrong(Exception):
    """Ends the welcome check early: what went wrong, told as who got what."""


def _welcomes(client: ChatClient, since: int) -> list[Any]:
    """The first argument of each ``welcome`` event ``client`` received after ``since``.

    Only the first: an event that reaches a client before its CONNECT reply
    may still carry its recovery offset as one more argument.
    """
    return [m.data[0] if m.data else None for m in client.inbox[since:] if m.event == "welcome"]


def _compare(step: str, expected: dict[str, list[str]], got: dict[str, list[Any]]) -> None:
    wrong = [
        f"{name} got {', '.join(map(repr, got[name])) or 'nothing'}, expected "
        f"{', '.join(map(repr, want)) or 'nothing'}"
        for name, want in expected.items()
        if got[name] != want
    ]
    if wrong:
        raise _Wrong(f"{step}: " + "; ".join(wrong))


class _WelcomeTrial:
    """The check's story: its recovering server, its clients, what each got since last asked."""

    def __init__(self, server: EmbeddedServer) -> None:
        self.server = server
        self.clients: dict[str, ChatClient] = {}
        self._seen: dict[str, int] = {}

    def fail_on_handler_error(self) -> None:
        verdict = errors_verdict(self.server)
        if verdict is not None:
            raise _Wrong(verdict.message)

    async def join(self, name: str) -> ChatClient:
        client = ChatClient(name, **_QUICK_RETURN)
        try:
            await client.connect(self.server.url, wait_timeout=WELCOME_WAIT)
        except exceptions.ConnectionError:
            self.fail_on_handler_error()
            raise _Wrong(f"{name} could not connect: the connect handler refused it") from None
        self.clients[name] = client
        self._seen[name] = 0
        return client

    async def came_back(self, client: ChatClient, connects_before: int) -> None:
        """Wait until the server has logged ``client``'s next connection and it is connected."""
        try:
            await wait_until(
                lambda: (
                    len(self.server.log.lines("connect")) > connects_before and client.connected
                ),
                timeout=WELCOME_WAIT,
                what=f"{client.name} coming back",
            )
        except TimeoutError:
            self.fail_on_handler_error()
            raise _Wrong(f"{client.name} could not come back: was it refused?") from None

    async def expect(self, step: str, expected: dict[str, list[str]]) -> None:
        """After ``step``, each client got exactly these welcomes (and nothing else named)."""
        await settle(self.server, [c for c in self.clients.values() if c.connected])
        self.fail_on_handler_error()
        got = {}
        for name, client in self.clients.items():
            got[name] = _welcomes(client, self._seen[name])
            self._seen[name] = len(client.inbox)
        _compare(step, {name: expected.get(name, []) for name in self.clients}, got)


async def _welcome_from_a_client_without_auth(server: EmbeddedServer) -> None:
    """A plain python-socketio client sends no ``auth``: the handler gets None."""
    nameless = socketio.AsyncClient(handle_sigint=False, reconnection=False)
    got: list[Any] = []
    nameless.on("welcome", lambda *args: got.append(args[0] if args else None))
    try:
        await nameless.connect(server.url, transports=["websocket"], wait_timeout=WELCOME_WAIT)
    except exceptions.ConnectionError:
        verdict = errors_verdict(server)
        reason = verdict.message if verdict else "its connect handler refused it or failed"
        raise _Wrong(
            f"a client without auth could not connect ({reason}): auth is None when a "
            "client sends none"
        ) from None
    try:
        with contextlib.suppress(TimeoutError):
            await wait_until(lambda: bool(got), timeout=WELCOME_WAIT)
        verdict = errors_verdict(server)
        if verdict is not None:
            raise _Wrong(verdict.message)
        if got != [f"welcome, {ANONYMOUS}"]:
            shown = ", ".join(map(repr, got)) or "nothing"
            raise _Wrong(f"a client without auth got {shown}, expected 'welcome, {ANONYMOUS}'")
    finally:
        await nameless.disconnect()


async def _welcome_story(trial: _WelcomeTrial) -> str:
    server = trial.server
    await _welcome_from_a_client_without_auth(server)
    uma = await trial.join("uma")
    vic = await trial.join("vic")
    await trial.expect(
        "when uma and vic connected", {"uma": ["welcome, uma"], "vic": ["welcome, vic"]}
    )

    connects = len(server.log.lines("connect"))
    vic_sid = vic.get_sid()
    drop_connection(server, vic)  # lost, not left: the server holds vic's session
    await trial.came_back(vic, connects)
    if not (vic.recovered and vic.get_sid() == vic_sid):
        raise _Wrong("vic's lost connection was not recovered: did the connect handler refuse it?")
    await trial.expect("when vic's lost connection was recovered", {"vic": ["welcome back, vic"]})

    await uma.disconnect()  # left on purpose: the next connection is a new one
    await uma.connect(server.url, wait_timeout=WELCOME_WAIT)
    if uma.recovered:
        raise _Wrong("uma's second connection was recovered, but she had left on purpose")
    await trial.expect(
        "when uma left on purpose and connected again (her client still sent its pid)",
        {"uma": ["welcome, uma"]},
    )
    return (
        "new connections got 'welcome, <name>' ('anonymous' without auth), the recovered "
        "one 'welcome back, vic', each to that client only"
    )


async def _check_welcome_back(answer: Callable[[socketio.AsyncServer], Any]) -> Outcome:
    server = EmbeddedServer("exercise", recovery=Recovery(max_disconnection=5))
    try:
        async with server:
            installed = answer(server.sio)
            if inspect.isawaitable(installed):
                await installed
            try:
                return Outcome(CORRECT, await _welcome_story(_WelcomeTrial(server)))
            except _Wrong as wrong:
                return Outcome(INCORRECT, str(wrong))
    finally:
        server.errors.clear()  # the learner's mistakes are the verdict, not a lesson failure


WELCOME_SOLUTION = """\
def add_welcome(sio):
    @sio.event
    async def connect(sid, environ, auth):
        name = (auth or {}).get("name", "anonymous")   # auth is None without one
        if sio.recovered(sid):                         # socket.recovered on Node
            await sio.emit("welcome", f"welcome back, {name}", to=sid)
        else:
            await sio.emit("welcome", f"welcome, {name}", to=sid)
"""

welcome_back = Exercise(
    "welcome back",
    _check_welcome_back,
    hint=(
        "In `connect(sid, environ, auth)`, `sio.recovered(sid)` is True only for a connection "
        "put back after a loss. A client sends its pid and offset on every reconnection, "
        "recovered or not, so what is in `auth` does not tell. Send with `to=sid`, and read "
        "the name as `(auth or {}).get('name', 'anonymous')`."
    ),
    solution=WELCOME_SOLUTION,
)
