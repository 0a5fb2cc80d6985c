"""The namespaces lesson's exercises, checked against live clients.

Each check starts its own small server (called "exercise") with a cast whose
names differ from the lesson's, runs the learner's code for real and says who
received what, or who got in and why the others did not. The middleware check
also sends a client with no ``auth`` at all: a connect handler that reads
``auth["token"]`` or ``auth.get(...)`` crashes on it, which is the mistake to
catch before a real app meets such a client.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

import socketio
from socketio import exceptions

from ..clients import ChatClient
from ..delivery import settle
from ..rooms import room_members
from ..server import EmbeddedServer
from .rooms import cast_rooms, compare_arrivals, compare_rooms, first_wrong, start_room_cast
from .scaffold import CORRECT, INCORRECT, Exercise, Outcome, errors_verdict

TEACHER_TOKEN = "apple"
"""The token the /teachers middleware exercise expects."""

STUDENT_CAST = {"ari": ["music"], "bea": ["art"], "cal": ["sports"]}
"""Students of /students and their interest rooms; dan, a parent, is in /parents' music room."""

PARENT_CAST = {"dan": ["music"]}

CONNECT_TIMEOUT = 2.0


# --- rooms of one namespace ---------------------------------------------------------------------
REHEARSAL_TEXT = "rehearsal moved to five"


async def _check_rehearsal(answer: Callable[[Any, str], Awaitable[None]]) -> Outcome:
    async with EmbeddedServer("exercise") as server:
        sio = server.sio
        for ns in ("/students", "/parents"):
            sio.on("connect", lambda sid, environ, auth: None, namespace=ns)
        clients = await start_room_cast(server, "/students", STUDENT_CAST)
        clients += await start_room_cast(server, "/parents", PARENT_CAST)
        await settle(server, clients)
        await answer(sio, REHEARSAL_TEXT)
        await settle(server, clients)
        arrivals = compare_arrivals(
            clients, "announcement", {"ari": [REHEARSAL_TEXT], "bea": [REHEARSAL_TEXT]}
        )
        students = compare_rooms(
            "in /students, after your code",
            room_members(sio, "/students"),
            cast_rooms(STUDENT_CAST),
        )
        parents = compare_rooms(
            "in /parents, after your code", room_members(sio, "/parents"), cast_rooms(PARENT_CAST)
        )
        return errors_verdict(server) or first_wrong(arrivals, students, parents) or arrivals


rehearsal = Exercise(
    "Music and art rooms of /students",
    _check_rehearsal,
    hint=(
        "Rooms belong to a namespace: without `namespace=` an emit goes to the rooms of '/', "
        "where these students are not. `to=` takes a list of rooms."
    ),
    solution=(
        "async def tell_rehearsal(sio, text):\n"
        '    await sio.emit("announcement", text, to=["music", "art"], namespace="/students")'
    ),
)


# --- the /teachers middleware ------------------------------------------------------------------
async def _visit(server: EmbeddedServer, client: socketio.AsyncClient, auth: Any) -> str | None:
    """Connect ``client`` to /teachers; None when admitted, else the reason it was told."""
    errors: list[Any] = []
    client.on("connect_error", errors.append, namespace="/teachers")
    try:
        await client.connect(
            server.url,
            namespaces=["/teachers"],
            auth=auth,
            transports=["websocket"],
            wait_timeout=CONNECT_TIMEOUT,
        )
    except exceptions.ConnectionError:
        last = errors[-1] if errors else None
        message = last.get("message") if isinstance(last, dict) else last
        return str(message or "")
    return None


async def _check_teachers_gate(answer: Callable[..., Any]) -> Outcome:
    async with EmbeddedServer("exercise") as server:
        server.sio.on("connect", answer, namespace="/teachers")
        plain = socketio.AsyncClient(handle_sigint=False, reconnection=False)
        visitors: dict[str, tuple[socketio.AsyncClient, Any]] = {
            "tia": (ChatClient("tia", reconnection=False), {"token": TEACHER_TOKEN}),
            "dan": (ChatClient("dan", reconnection=False), {"token": "banana"}),
            "ari": (ChatClient("ari", reconnection=False), None),  # her name only
            "a client without auth": (plain, None),
        }
        admitted, reasons = [], {}
        try:
            for name, (client, auth) in visitors.items():
                why = await _visit(server, client, auth)
                if why is None:
                    admitted.append(name)
                else:
                    reasons[name] = why
                if server.errors and name == "a client without auth":
                    crash = errors_verdict(server)  # the stub's NotImplementedError raises here
                    return Outcome(
                        INCORRECT,
                        "your handler crashed on a client that sent no auth: `auth` is None "
                        f"then, so read it as `(auth or {{}})` ({crash.message if crash else ''})",
                    )
                if server.errors:
                    crash = errors_verdict(server)
                    return Outcome(
                        INCORRECT, f"when {name} connected, {crash.message if crash else ''}"
                    )
        finally:
            if plain.connected:
                await plain.disconnect()
        verdict = errors_verdict(server)
    if verdict:
        return verdict
    if admitted != ["tia"]:
        wrong = [f"admitted {', '.join(sorted(admitted)) or 'nobody'}"]
        if "tia" not in admitted:
            wrong.append("tia has the right token and should be admitted")
        if intruders := sorted(name for name in admitted if name != "tia"):
            wrong.append(f"should have refused {', '.join(intruders)}")
        return Outcome(INCORRECT, "; ".join(wrong))
    generic = sorted(
        n for n, why in reasons.items() if why in ("", "Connection rejected by server")
    )
    if generic:
        return Outcome(
            INCORRECT,
            f"{', '.join(generic)} refused without a reason: raise ConnectionRefusedError(message)",
        )
    why = "; ".join(f"{name}: {reasons[name]}" for name in sorted(reasons))
    return Outcome(CORRECT, f"admitted tia; refused {why}")


teachers_gate = Exercise(
    "The /teachers middleware",
    _check_teachers_gate,
    hint=(
        "The connect handler is the namespace's middleware: it receives `auth` (a dict, or "
        "None when the client sent none). Raise "
        "`socketio.exceptions.ConnectionRefusedError(message, data)` to refuse."
    ),
    solution=(
        "from socketio.exceptions import ConnectionRefusedError\n\n"
        "async def teachers_connect(sid, environ, auth):\n"
        f'    if (auth or {{}}).get("token") != "{TEACHER_TOKEN}":\n'
        '        raise ConnectionRefusedError("teachers only", {"hint": "ask the office"})'
    ),
)
