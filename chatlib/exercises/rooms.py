"""The exercises of the rooms and namespaces lessons, checked against live clients.

Each check starts its own small server (called "exercise") with its own cast,
whose names differ from the lesson's so the lesson's clients stay connected,
runs the learner's code for real and reports who received what. A handler
error caused by the learner's code becomes the verdict and is then cleared,
so the lesson's last cell still finds no unexplained error.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from socketio import exceptions

from ..clients import ChatClient, connect_clients
from ..delivery import settle
from ..rooms import wait_until_gone
from ..server import EmbeddedServer
from .scaffold import CORRECT, INCORRECT, Exercise, Outcome, compare_receivers, errors_verdict

TEACHER_TOKEN = "apple"
"""The token the /teachers middleware exercise expects."""

ROOM_CAST = {"uma": ["music"], "vic": ["music", "art"], "wes": ["art"], "xia": []}
"""Who is in which room for the rooms exercises (xia is in none)."""

STUDENT_CAST = {"ari": ["music"], "bea": ["art"], "cal": ["sports"]}
"""Students of /students and their study rooms; dan, a parent, is in /parents' music room."""


async def _start_room_cast(
    server: EmbeddedServer, namespace: str, cast: dict[str, list[str]]
) -> list[ChatClient]:
    clients = await connect_clients(server.url, list(cast), namespaces=[namespace])
    for name, rooms in cast.items():
        sid = server.sio.sid_of(name, namespace)
        if sid is None:
            raise RuntimeError(f"{name} is not connected to {namespace}")
        for room in rooms:
            await server.sio.enter_room(sid, room, namespace)
    return clients


# --- 02 · rooms ------------------------------------------------------------------------------
async def _check_only_music(answer: Callable[[Any, str], Awaitable[None]]) -> Outcome:
    async with EmbeddedServer("exercise") as server:
        clients = await _start_room_cast(server, "/", ROOM_CAST)
        await settle(server, clients)
        await answer(server.sio, "rehearsal moved to five")
        delivery = await settle(server, clients)
        return errors_verdict(server) or compare_receivers(
            ["uma", "vic"], delivery.receivers("chat message")
        )


only_music = Exercise(
    "Only the music room",
    _check_only_music,
    hint="`sio.emit` takes `to=`: a room name sends to the members of that room only.",
    solution=(
        'async def tell_music(sio, text):\n    await sio.emit("chat message", text, to="music")'
    ),
)


async def _check_goodbye(answer: Callable[[Any, str], Awaitable[None]]) -> Outcome:
    async with EmbeddedServer("exercise") as server:
        sio = server.sio

        @sio.event
        async def connect(sid: str, environ: dict, auth: dict | None) -> None:
            # the name is in the session too, for answers that read it the public way
            await sio.save_session(sid, {"name": (auth or {}).get("name")})

        @sio.event
        async def disconnect(sid: str, reason: str) -> None:
            if sio.name_of(sid) == "vic":  # not again for the others when the server stops
                await answer(sio, sid)

        clients = await _start_room_cast(server, "/", ROOM_CAST)
        await settle(server, clients)
        leaver = clients[1]  # vic: music and art
        await leaver.disconnect()
        await wait_until_gone(sio, leaver.name)
        delivery = await settle(server, clients)
        verdict = errors_verdict(server) or compare_receivers(
            ["uma", "wes"], delivery.receivers("left")
        )
        if not verdict.correct:
            return verdict
        wrong = [c for c in clients if c.name in ("uma", "wes") and c.received("left") != ["vic"]]
        if wrong:
            got = "; ".join(
                f"{c.name} got {' then '.join(map(repr, c.received('left')))}" for c in wrong
            )
            return Outcome(INCORRECT, f"{got}: expected the leaver's name, 'vic', once")
        return verdict


goodbye = Exercise(
    "Tell the rooms who left",
    _check_goodbye,
    hint=(
        "Inside the disconnect handler `sio.rooms(sid)` still lists the leaver's rooms (its own "
        "sid room too). `to=` takes a list of rooms; `skip_sid=sid` leaves the leaver out; "
        "`sio.name_of(sid)` (or `(await sio.get_session(sid))['name']`) gives the name."
    ),
    solution=(
        "async def goodbye_rooms(sio, sid):\n"
        "    rooms = [room for room in sio.rooms(sid) if room != sid]\n"
        "    if rooms:\n"
        '        await sio.emit("left", sio.name_of(sid), to=rooms, skip_sid=sid)'
    ),
)


# --- 03 · namespaces -------------------------------------------------------------------------
async def _check_rehearsal(answer: Callable[[Any, str], Awaitable[None]]) -> Outcome:
    async with EmbeddedServer("exercise") as server:
        sio = server.sio
        for ns in ("/students", "/parents"):
            sio.on("connect", lambda sid, environ, auth: None, namespace=ns)
        clients = await _start_room_cast(server, "/students", STUDENT_CAST)
        clients += await _start_room_cast(server, "/parents", {"dan": ["music"]})
        await settle(server, clients)
        await answer(sio, "rehearsal moved to five")
        delivery = await settle(server, clients)
        return errors_verdict(server) or compare_receivers(
            ["ari", "bea"], delivery.receivers("announcement")
        )


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


async def _check_teachers_gate(answer: Callable[..., Any]) -> Outcome:
    async with EmbeddedServer("exercise") as server:
        server.sio.on("connect", answer, namespace="/teachers")
        visitors = {"tia": {"token": TEACHER_TOKEN}, "dan": {"token": "banana"}, "ari": {}}
        admitted, reasons = [], {}
        for name, auth in visitors.items():
            client = ChatClient(name, reconnection=False)
            try:
                await client.connect(server.url, namespaces=["/teachers"], auth=auth)
                admitted.append(name)
            except exceptions.ConnectionError:
                reasons[name] = _message(client.connect_errors)
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


def _message(errors: list[Any]) -> str:
    last = errors[-1] if errors else ""
    return str(last.get("message", "")) if isinstance(last, dict) else str(last)


teachers_gate = Exercise(
    "The /teachers middleware",
    _check_teachers_gate,
    hint=(
        "The connect handler is the namespace's middleware: it receives `auth` (a dict, or "
        "None). Raise `socketio.exceptions.ConnectionRefusedError(message, data)` to refuse."
    ),
    solution=(
        "from socketio.exceptions import ConnectionRefusedError\n\n"
        "async def teachers_connect(sid, environ, auth):\n"
        f'    if (auth or {{}}).get("token") != "{TEACHER_TOKEN}":\n'
        '        raise ConnectionRefusedError("teachers only", {"hint": "ask the office"})'
    ),
)
