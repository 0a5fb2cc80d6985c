"""The delivery lesson's exercises: greet a recovered client; send, and store, a retry once.

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

``add_dedup(sio)`` (step 8, the server's side, in memory) must send each
message on once per (sender, client offset): a retry is acknowledged as a
duplicate and sent to nobody, while another sender's message that happens to
use the same offset still goes out.
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


def _payloads(client: ChatClient, since: int, event: str) -> list[Any]:
    """The first argument of each ``event`` that ``client`` received after ``since``.

    Only the first: an event that reaches a client before its CONNECT reply
    may still carry its recovery offset as one more argument.
    """
    return [m.data[0] if m.data else None for m in client.inbox[since:] if m.event == event]


def _compare(step: str, expected: dict[str, list[str]], got: dict[str, list[Any]]) -> None:
    wrong = [
        f"{name} got {', '.join(map(repr, got[name])) or 'nothing'}, expected "
        f"{', '.join(map(repr, want)) or 'nothing'}"
        for name, want in expected.items()
        if got[name] != want
    ]
    if wrong:
        raise _Wrong(f"{step}: " + "; ".join(wrong))


class _Trial:
    """A check's story: its server, its clients, what each got since last asked."""

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

    async def expect(self, step: str, event: str, expected: dict[str, list[str]]) -> None:
        """After ``step``, each client got exactly these ``event`` payloads (unnamed: none)."""
        await settle(self.server, [c for c in self.clients.values() if c.connected])
        self.fail_on_handler_error()
        got = {}
        for name, client in self.clients.items():
            got[name] = _payloads(client, self._seen[name], event)
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


async def _welcome_story(trial: _Trial) -> str:
    server = trial.server
    await _welcome_from_a_client_without_auth(server)
    uma = await trial.join("uma")
    vic = await trial.join("vic")
    await trial.expect(
        "when uma and vic connected", "welcome", {"uma": ["welcome, uma"], "vic": ["welcome, vic"]}
    )

    connects = len(server.log.lines("connect"))
    vic_sid = vic.get_sid()
    drop_connection(server, vic)  # lost, not left: the server holds vic's session
    await trial.came_back(vic, connects)
    if not (vic.recovered and vic.get_sid() == vic_sid):
        raise _Wrong("vic's lost connection was not recovered: did the connect handler refuse it?")
    await trial.expect(
        "when vic's lost connection was recovered", "welcome", {"vic": ["welcome back, vic"]}
    )

    await uma.disconnect()  # left on purpose: the next connection is a new one
    await uma.connect(server.url, wait_timeout=WELCOME_WAIT)
    if uma.recovered:
        raise _Wrong("uma's second connection was recovered, but she had left on purpose")
    await trial.expect(
        "when uma left on purpose and connected again (her client still sent its pid)",
        "welcome",
        {"uma": ["welcome, uma"]},
    )
    return (
        "new connections got 'welcome, <name>' ('anonymous' without auth), the recovered "
        "one 'welcome back, vic', each to that client only"
    )


async def _run(
    story: Callable[[_Trial], Awaitable[str]],
    answer: Callable[[socketio.AsyncServer], Any],
    **server_options: Any,
) -> Outcome:
    """Install ``answer`` on a fresh server called "exercise"; play ``story`` against it."""
    server = EmbeddedServer("exercise", **server_options)
    try:
        async with server:
            installed = answer(server.sio)
            if inspect.isawaitable(installed):
                await installed
            try:
                return Outcome(CORRECT, await story(_Trial(server)))
            except _Wrong as wrong:
                return Outcome(INCORRECT, str(wrong))
    finally:
        server.errors.clear()  # the learner's mistakes are the verdict, not a lesson failure


async def _check_welcome_back(answer: Callable[[socketio.AsyncServer], Any]) -> Outcome:
    return await _run(_welcome_story, answer, recovery=Recovery(max_disconnection=5))


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


# --- stored once per sender: a handler that de-duplicates by (sender, client offset) --------
async def _acknowledged(client: Any, who: str, text: str, offset: str) -> Any:
    try:
        return await client.call("chat message", (text, offset), timeout=WELCOME_WAIT)
    except exceptions.TimeoutError:
        raise _Wrong(
            f"{who}'s ({text!r}, {offset!r}) got no acknowledgement: return the answer, "
            "for a repeat too (or the sender keeps retrying)"
        ) from None


def _expect_ack(step: str, ack: Any, duplicate: bool) -> None:
    want = {"ok": True, "duplicate": True} if duplicate else {"ok": True}
    if (
        not isinstance(ack, dict)
        or ack.get("ok") is not True
        or bool(ack.get("duplicate")) != duplicate
    ):
        raise _Wrong(f"{step}: the acknowledgement was {ack!r}, expected {want!r}")


async def _dedup_story(trial: _Trial) -> str:
    await trial.join("uma")
    await trial.join("vic")
    uma, vic = trial.clients["uma"], trial.clients["vic"]
    everyone = {"uma": ["hi"], "vic": ["hi"]}

    step = "when uma sent ('hi', 'm-1')"
    _expect_ack(step, await _acknowledged(uma, "uma", "hi", "m-1"), duplicate=False)
    await trial.expect(step, "chat message", everyone)

    step = "when uma sent ('hi', 'm-1') again, a retry"
    _expect_ack(step, await _acknowledged(uma, "uma", "hi", "m-1"), duplicate=True)
    await trial.expect(step, "chat message", {})

    step = "when vic sent ('hey', 'm-1'): the same offset from another sender"
    _expect_ack(step, await _acknowledged(vic, "vic", "hey", "m-1"), duplicate=False)
    await trial.expect(step, "chat message", {"uma": ["hey"], "vic": ["hey"]})

    nameless = socketio.AsyncClient(handle_sigint=False, reconnection=False)
    try:
        await nameless.connect(
            trial.server.url, transports=["websocket"], wait_timeout=WELCOME_WAIT
        )
    except exceptions.ConnectionError:
        trial.fail_on_handler_error()
        raise _Wrong("a client without auth could not connect: auth is None then") from None
    try:
        step = "when a client without auth sent ('psst', 'm-1')"
        ack = await _acknowledged(nameless, "a client without auth", "psst", "m-1")
        _expect_ack(step, ack, duplicate=False)
        await trial.expect(step, "chat message", {"uma": ["psst"], "vic": ["psst"]})
    finally:
        await nameless.disconnect()
    return (
        "each message went to everyone once; uma's retry was acknowledged as a duplicate and "
        "sent to nobody; vic's message with the same offset, another sender's, went out"
    )


async def _check_stored_once(answer: Callable[[socketio.AsyncServer], Any]) -> Outcome:
    return await _run(_dedup_story, answer)


DEDUP_SOLUTION = """\
def add_dedup(sio):
    seen = set()  # (sender, client offset) of every message sent on; a database column in step 8

    @sio.event
    async def connect(sid, environ, auth):
        await sio.save_session(sid, {"name": (auth or {}).get("name", "anonymous")})

    @sio.on("chat message")
    async def chat_message(sid, msg, client_offset):
        sender = (await sio.get_session(sid))["name"]
        if (sender, client_offset) in seen:
            return {"ok": True, "duplicate": True}   # acknowledged again, not sent again
        seen.add((sender, client_offset))
        await sio.emit("chat message", msg)
        return {"ok": True}
"""

stored_once = Exercise(
    "once per sender",
    _check_stored_once,
    hint=(
        "Keep a set of (sender's name, client offset) pairs. The name comes from `auth` in the "
        "connect handler (save it with `sio.save_session`; `auth` may be None). A pair already "
        "in the set is a retry: answer {'ok': True, 'duplicate': True} and emit nothing. Why "
        "the sender's name and not the offset alone?"
    ),
    solution=DEDUP_SOLUTION,
)
