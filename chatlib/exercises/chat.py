"""The chat lesson's exercises: the tutorial's homework, checked against live clients.

Each answer is an installer, ``add_something(sio)``, that registers handlers
on the python-socketio server it is given: the shape a learner's own app
takes (one function per feature, called once at start-up). A check starts its
own server (called "exercise") with its own cast, installs the answer, drives
real clients through the homework's story and compares, step by step, what
each client received (event and payload) and what the server kept (sessions,
acknowledgements) with what it should be. The first difference is the verdict,
told as "who got what, and what was expected".
"""

from __future__ import annotations

import inspect
from collections.abc import Callable, Sequence
from typing import Any, NoReturn

import socketio
from socketio import exceptions

from ..clients import ChatClient, Message
from ..delivery import settle
from ..rooms import wait_until_gone
from ..server import EmbeddedServer
from .scaffold import CORRECT, INCORRECT, Exercise, Outcome, errors_verdict

ANONYMOUS = "anonymous"
"""The name a client that sends no ``auth`` goes by, in every exercise."""

ANSWER_TIMEOUT = 2.0
"""Seconds a check waits for an acknowledgement; a handler that raised never sends one."""

Installer = Callable[[socketio.AsyncServer], Any]


class _Verdict(Exception):
    """Ends a check early with its outcome: the first thing that went wrong."""

    def __init__(self, outcome: Outcome) -> None:
        super().__init__(str(outcome))
        self.outcome = outcome


class _Shown(str):
    """A received event already written out: shown as is, not quoted again."""

    def __repr__(self) -> str:
        return str(self)


def _show(payloads: Sequence[Any]) -> str:
    if not payloads:
        return "nothing"
    return " then ".join(repr(p) for p in payloads)


def _payload(message: Message) -> Any:
    """One value per event, a tuple when it carried several (as ``ChatClient.received``)."""
    return message.data[0] if len(message.data) == 1 else message.data


class _Trial:
    """One check: its server, its clients, and what each client received since the last step."""

    def __init__(self, server: EmbeddedServer) -> None:
        self.server = server
        self.sio = server.sio
        self.clients: dict[str, ChatClient] = {}
        self.nameless: list[socketio.AsyncClient] = []
        self._marks: dict[str, int] = {}

    async def install(self, installer: Installer) -> None:
        """Let ``installer`` register its handlers (a learner may write it ``async``)."""
        result = installer(self.sio)
        if inspect.isawaitable(result):
            await result

    def fail(self, message: str) -> NoReturn:
        """End the check as incorrect; a handler error, when there was one, says more."""
        raise _Verdict(errors_verdict(self.server) or Outcome(INCORRECT, message))

    def check_errors(self) -> None:
        verdict = errors_verdict(self.server)
        if verdict:
            raise _Verdict(verdict)

    async def join(self, *names: str) -> list[ChatClient]:
        """Connect one named client per name (its name travels in ``auth``)."""
        joined = []
        for name in names:
            client = ChatClient(name, reconnection=False)
            try:
                await client.connect(self.server.url, wait_timeout=ANSWER_TIMEOUT)
            except exceptions.ConnectionError:
                self.fail(f"{name} could not connect: {_refusal(client.connect_errors)}")
            self.clients[name] = client
            self._marks[name] = 0  # what reached it while connecting counts too
            joined.append(client)
        return joined

    async def start(self, *names: str) -> list[ChatClient]:
        """Connect ``names`` and judge only what happens after: their arrival is set-up."""
        joined = await self.join(*names)
        await self.forget()
        return joined

    async def join_nameless(self) -> socketio.AsyncClient:
        """Connect a plain client that sends no ``auth``: the server's handler gets None."""
        client = socketio.AsyncClient(handle_sigint=False, reconnection=False)
        errors: list[Any] = []
        client.on("connect_error", errors.append)
        self.nameless.append(client)
        try:
            await client.connect(
                self.server.url, transports=["websocket"], wait_timeout=ANSWER_TIMEOUT
            )
        except exceptions.ConnectionError:
            self.fail(
                f"a client without a name was refused: {_refusal(errors)}; `auth` is None "
                "when a client sends none"
            )
        return client

    async def leave(self, name: str) -> None:
        """Disconnect ``name`` and wait until the server has run its disconnect handler."""
        await self.clients[name].disconnect()
        await wait_until_gone(self.sio, name)

    async def settle(self) -> None:
        await settle(self.server, [c for c in self.clients.values() if c.connected])

    async def forget(self) -> None:
        """Let everything land, then start the next step from here (the set-up is not judged)."""
        await self.settle()
        self.check_errors()
        self._marks = {name: len(client.inbox) for name, client in self.clients.items()}

    async def ask(self, client: Any, event: str, data: Any = None) -> Any:
        """Emit ``event`` and return the acknowledgement; no answer in time is a verdict."""
        try:
            return await client.call(event, data, timeout=ANSWER_TIMEOUT)
        except exceptions.TimeoutError:
            self.fail(f"{event!r} got no acknowledgement: the handler must return the answer")

    async def expect(self, step: str, event: str | None, expected: dict[str, list[Any]]) -> None:
        """After ``step``, each named client must have received exactly these ``event`` payloads.

        Clients not named must have received no ``event`` at all; ``event=None``
        means any event (with ``{}``: nobody may have received anything).
        """
        await self.settle()
        self.check_errors()
        got: dict[str, list[Any]] = {}
        others: dict[str, list[str]] = {}
        for name, client in self.clients.items():
            fresh = client.inbox[self._marks[name] :]
            self._marks[name] = len(client.inbox)
            if event is None:
                got[name] = [_Shown(f"{m.event!r} {_payload(m)!r}") for m in fresh]
                others[name] = []
            else:
                got[name] = [_payload(m) for m in fresh if m.event == event]
                others[name] = [f"{m.event!r} {_payload(m)!r}" for m in fresh if m.event != event]
        wrong = [name for name in self.clients if got[name] != expected.get(name, [])]
        if not wrong:
            return
        parts = [
            f"{name} got {_show(got[name])}, expected {_show(expected.get(name, []))}"
            for name in wrong
        ]
        strays = [f"{name} got {', '.join(others[name])}" for name in wrong if others[name]]
        if strays:
            parts.append("other events: " + "; ".join(strays))
        label = step if event is None else f"{step}, {event!r}"
        self.fail(f"{label}: " + "; ".join(parts))

    async def close(self) -> None:
        for client in self.nameless:
            if client.connected:
                await client.disconnect()


def _refusal(errors: list[Any]) -> str:
    """The server's reason for refusing a connection, as the client was told it."""
    last = errors[-1] if errors else None
    message = last.get("message") if isinstance(last, dict) else last
    return str(message) if message else "the server never answered (did the connect handler fail?)"


async def _run(story: Callable[[_Trial], Any], *installers: Installer) -> Outcome:
    """Install each of ``installers`` on a fresh exercise server, in order; play ``story``."""
    server = EmbeddedServer("exercise")
    try:
        async with server:
            trial = _Trial(server)
            try:
                for installer in installers:
                    await trial.install(installer)
                message = await story(trial)
                trial.check_errors()
                return Outcome(CORRECT, message)
            except _Verdict as verdict:
                return verdict.outcome
            finally:
                await trial.close()
    finally:
        # A learner's mistake is the verdict, not a lesson failure; their disconnect
        # handler runs once more while the server stops, so forget errors only after.
        server.errors.clear()


def save_name_in_session(sio: socketio.AsyncServer) -> None:
    """The lesson's connect handler: keep each client's name in its session."""

    @sio.event
    async def connect(sid: str, environ: dict[str, Any], auth: dict[str, Any] | None) -> None:
        await sio.save_session(sid, {"name": (auth or {}).get("name", ANONYMOUS)})


# --- nicknames -------------------------------------------------------------------------------
async def _nicknames_story(trial: _Trial) -> str:
    _uma, vic = await trial.join("uma", "vic")
    nameless = await trial.join_nameless()
    await trial.forget()
    for sid, name in ((vic.get_sid(), "vic"), (nameless.get_sid(), ANONYMOUS)):
        session = await trial.sio.get_session(sid)
        if not isinstance(session, dict) or session.get("name") != name:
            trial.fail(
                f"{name}'s session holds {session!r}, expected {{'name': {name!r}}}: "
                "save it in the connect handler"
            )
    await vic.emit("chat message", "hello")
    said = {"name": "vic", "text": "hello"}
    await trial.expect("when vic said 'hello'", "chat message", {"uma": [said], "vic": [said]})
    await trial.ask(nameless, "chat message", "hi")
    said = {"name": ANONYMOUS, "text": "hi"}
    await trial.expect(
        "when a client without a name said 'hi'", "chat message", {"uma": [said], "vic": [said]}
    )
    return "sessions hold vic and anonymous; every message went out with its sender's name"


NICKNAMES_SOLUTION = f"""\
def add_nicknames(sio):
    @sio.event
    async def connect(sid, environ, auth):
        name = (auth or {{}}).get("name", "{ANONYMOUS}")
        await sio.save_session(sid, {{"name": name}})

    @sio.on("chat message")
    async def chat_message(sid, msg):
        session = await sio.get_session(sid)
        await sio.emit("chat message", {{"name": session["name"], "text": msg}})"""


nicknames = Exercise(
    "Nicknames",
    lambda answer: _run(_nicknames_story, answer),
    hint=(
        "In `connect(sid, environ, auth)` save `{'name': ...}` with `await sio.save_session(sid, "
        "...)`; `auth` is None when a client sends none, so read it as `(auth or {})`. In the "
        "'chat message' handler `(await sio.get_session(sid))['name']` gives the name back."
    ),
    solution=NICKNAMES_SOLUTION,
)


# --- who is online ---------------------------------------------------------------------------
async def _ask_who_is_online(trial: _Trial, asker: ChatClient, when: str, expected: list) -> None:
    answer = await trial.ask(asker, "who is online")
    if answer != expected:
        why = " (return the list: a handler's return value is the answer)" if answer is None else ""
        trial.fail(
            f"{when}, {asker.name} asked who is online: the answer was {answer!r}, "
            f"expected {expected!r}{why}"
        )
    await trial.expect(f"when {asker.name} asked who is online", None, {})


async def _online_story(trial: _Trial) -> str:
    uma, _vic = await trial.join("uma", "vic")
    await trial.join_nameless()
    (wes,) = await trial.join("wes")
    await trial.forget()
    everyone = sorted([ANONYMOUS, "uma", "vic", "wes"])
    await _ask_who_is_online(trial, wes, "with four connected", everyone)
    await trial.leave("vic")
    after = sorted([ANONYMOUS, "uma", "wes"])
    await _ask_who_is_online(trial, uma, "after vic left", after)
    return f"wes was told {everyone}; after vic left, uma was told {after}"


ONLINE_SOLUTION = f"""\
def add_online(sio):
    names = {{}}

    @sio.event
    async def connect(sid, environ, auth):
        names[sid] = (auth or {{}}).get("name", "{ANONYMOUS}")

    @sio.event
    async def disconnect(sid, reason):
        names.pop(sid, None)

    @sio.on("who is online")
    async def who_is_online(sid):
        return sorted(names.values())"""


online = Exercise(
    "Who is online",
    lambda answer: _run(_online_story, answer),
    hint=(
        "Keep a dict `{sid: name}` next to the handlers: add to it in `connect`, remove in "
        "`disconnect`. The 'who is online' handler returns `sorted(names.values())`: a "
        "handler's return value is the acknowledgement, sent to the asker only."
    ),
    solution=ONLINE_SOLUTION,
)


# --- who joined, who left --------------------------------------------------------------------
async def _presence_story(trial: _Trial) -> str:
    await trial.start("uma", "vic")
    await trial.join("wes")
    await trial.expect("when wes connected", "user joined", {"uma": ["wes"], "vic": ["wes"]})
    await trial.join_nameless()
    everyone = {name: [ANONYMOUS] for name in ("uma", "vic", "wes")}
    await trial.expect("when a client without a name connected", "user joined", everyone)
    await trial.leave("vic")
    await trial.expect("when vic left", "user left", {"uma": ["vic"], "wes": ["vic"]})
    return "uma, vic heard that wes joined; all three that anonymous did; uma, wes that vic left"


PRESENCE_SOLUTION = f"""\
def add_presence(sio):
    @sio.event
    async def connect(sid, environ, auth):
        name = (auth or {{}}).get("name", "{ANONYMOUS}")
        await sio.save_session(sid, {{"name": name}})
        await sio.emit("user joined", name, skip_sid=sid)

    @sio.event
    async def disconnect(sid, reason):
        session = await sio.get_session(sid)
        await sio.emit("user left", session["name"], skip_sid=sid)"""


presence = Exercise(
    "Who joined, who left",
    lambda answer: _run(_presence_story, answer),
    hint=(
        "In `connect`, save the name in the session and emit 'user joined' with it, "
        "`skip_sid=sid` (the newcomer knows it has joined). In `disconnect(sid, reason)` the "
        "session is still there: emit 'user left' with the name."
    ),
    solution=PRESENCE_SOLUTION,
)


# --- no echo, a receipt instead --------------------------------------------------------------
async def _receipt_story(trial: _Trial) -> str:
    _uma, vic, _wes = await trial.start("uma", "vic", "wes")
    receipt = await trial.ask(vic, "chat message", "hello")
    if not (isinstance(receipt, dict) and receipt.get("ok") is True):
        trial.fail(f"vic sent 'hello' and got {receipt!r} back, expected {{'ok': True}}")
    others = {"uma": ["hello"], "wes": ["hello"]}
    await trial.expect("when vic said 'hello'", "chat message", others)
    for bad in (42, "   "):
        receipt = await trial.ask(vic, "chat message", bad)
        if not (isinstance(receipt, dict) and receipt.get("ok") is False and receipt.get("error")):
            trial.fail(
                f"vic sent {bad!r} and got {receipt!r} back, expected "
                "{'ok': False, 'error': 'why'}"
            )
        await trial.expect(f"when vic sent {bad!r}", "chat message", {})
    return "uma and wes got 'hello', vic its receipt; 42 and '   ' were refused and sent to nobody"


RECEIPT_SOLUTION = """\
def add_chat(sio):
    @sio.on("chat message")
    async def chat_message(sid, msg):
        if not isinstance(msg, str) or not msg.strip():
            return {"ok": False, "error": "send some text"}
        await sio.emit("chat message", msg, skip_sid=sid)
        return {"ok": True}"""


receipt = Exercise(
    "No echo, a receipt instead",
    lambda answer: _run(_receipt_story, answer),
    hint=(
        "Check the message first: `isinstance(msg, str) and msg.strip()`. Refuse with "
        "`return {'ok': False, 'error': ...}` before any emit. Otherwise emit with "
        "`skip_sid=sid` and `return {'ok': True}`: the return value is the sender's receipt."
    ),
    solution=RECEIPT_SOLUTION,
)


# --- is typing -------------------------------------------------------------------------------
async def _typing_story(trial: _Trial) -> str:
    _uma, vic, _wes = await trial.start("uma", "vic", "wes")
    for flag in (True, False):
        await vic.emit("typing", flag)
        told = {"name": "vic", "typing": flag}
        await trial.expect(f"when vic sent typing {flag}", "typing", {"uma": [told], "wes": [told]})
    return "uma and wes saw vic start and stop typing; vic was not told about itself"


TYPING_SOLUTION = """\
def add_typing(sio):
    @sio.on("typing")
    async def typing(sid, flag):
        session = await sio.get_session(sid)
        who = {"name": session["name"], "typing": flag}
        await sio.emit("typing", who, skip_sid=sid)"""


is_typing = Exercise(
    "Is typing",
    # the lesson's connect handler first, as in step 3: the answer reads the name it saved
    lambda answer: _run(_typing_story, save_name_in_session, answer),
    hint=(
        "The connect handler already saved `{'name': ...}` in each session. In the 'typing' "
        "handler `(sid, flag)`, read the name with `await sio.get_session(sid)` and emit "
        "'typing' with `{'name': name, 'typing': flag}` and `skip_sid=sid`."
    ),
    solution=TYPING_SOLUTION,
)
