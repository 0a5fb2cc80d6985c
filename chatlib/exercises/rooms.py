"""The rooms lesson's exercises, checked against live clients.

Each check starts its own small server (called "exercise") with its own cast,
whose names differ from the lesson's so the lesson's clients stay connected,
runs the learner's code for real and compares, client by client, what arrived
(event and payload) with what should have, and the room table afterwards with
what it should be: an answer that moves people between rooms to make the
delivery come out right is wrong, however right the receivers look. A handler
error caused by the learner's code becomes the verdict and is then cleared, so
the lesson's last cell still finds no unexplained error.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterable, Mapping
from typing import Any

from ..clients import ChatClient, connect_clients
from ..delivery import settle
from ..rooms import room_members, wait_until_gone
from ..server import EmbeddedServer
from .scaffold import CORRECT, INCORRECT, Exercise, Outcome, errors_verdict

ROOM_CAST = {"uma": ["music"], "vic": ["music", "art"], "wes": ["art"], "xia": []}
"""Who is in which room for the rooms exercises (xia is in none)."""

RoomAnswer = Callable[[Any, str], Awaitable[None]]


async def start_room_cast(
    server: EmbeddedServer, namespace: str, cast: Mapping[str, Iterable[str]]
) -> list[ChatClient]:
    """Connect one client per name of ``cast`` to ``namespace`` and put it in its rooms."""
    clients = await connect_clients(server.url, list(cast), namespaces=[namespace])
    for client, rooms in zip(clients, cast.values(), strict=True):
        sid = client.get_sid(namespace)
        if sid is None:
            raise RuntimeError(f"{client.name} is not connected to {namespace}")
        for room in rooms:
            await server.sio.enter_room(sid, room, namespace)
    return clients


def cast_rooms(cast: Mapping[str, Iterable[str]]) -> dict[str, list[str]]:
    """``{room: sorted names}`` of a cast, as ``room_members`` reports the server's table."""
    rooms: dict[str, list[str]] = {}
    for name, joined in cast.items():
        for room in joined:
            rooms.setdefault(room, []).append(name)
    return {room: sorted(names) for room, names in sorted(rooms.items())}


def compare_arrivals(
    clients: Iterable[ChatClient], event: str, expected: Mapping[str, list[Any]]
) -> Outcome:
    """Each client must have received exactly its ``expected`` payloads of ``event``, nothing else.

    A client not named in ``expected`` must have received nothing at all. The
    verdict says who got what, and what was expected instead.
    """
    wrong = []
    for client in clients:
        got = [(m.event, m.data[0] if len(m.data) == 1 else m.data) for m in client.inbox]
        want = [(event, payload) for payload in expected.get(client.name, [])]
        if got != want:
            wrong.append(f"{client.name} got {_show(got)}, expected {_show(want)}")
    if wrong:
        return Outcome(INCORRECT, "; ".join(wrong))
    reached = sorted(name for name, payloads in expected.items() if payloads)
    return Outcome(CORRECT, f"{event!r} reached {', '.join(reached) or 'nobody'}, as it should")


def compare_rooms(when: str, got: dict[str, list[str]], want: dict[str, list[str]]) -> Outcome:
    """The room table must be ``want``; say how it differs otherwise."""
    if got == want:
        return Outcome(CORRECT, "")
    return Outcome(
        INCORRECT, f"{when} the rooms were {_rooms_text(got)}, expected {_rooms_text(want)}"
    )


def _rooms_text(rooms: dict[str, list[str]]) -> str:
    return "; ".join(f"{room}: {', '.join(names)}" for room, names in rooms.items()) or "none"


def _show(arrivals: list[tuple[str, Any]]) -> str:
    if not arrivals:
        return "nothing"
    return " then ".join(f"{event!r} {payload!r}" for event, payload in arrivals)


def first_wrong(*outcomes: Outcome) -> Outcome | None:
    return next((outcome for outcome in outcomes if not outcome.correct), None)


async def _check_room_answer(
    answer: RoomAnswer,
    argument: str,
    *,
    event: str,
    arrivals: Mapping[str, list[Any]],
    rooms_after: dict[str, list[str]],
    when: str,
) -> Outcome:
    """Run ``answer(sio, argument)`` once against the room cast, and judge it.

    Correct when each client received exactly its ``arrivals`` of ``event`` and the
    room table is then ``rooms_after`` (``when`` names that moment in the verdict); a
    handler error the answer caused is the verdict before either.
    """
    async with EmbeddedServer("exercise") as server:
        clients = await start_room_cast(server, "/", ROOM_CAST)
        await settle(server, clients)
        await answer(server.sio, argument)
        await settle(server, clients)
        delivery = compare_arrivals(clients, event, arrivals)
        rooms = compare_rooms(when, room_members(server.sio), rooms_after)
        return errors_verdict(server) or first_wrong(delivery, rooms) or delivery


# --- 1 · a room emit ---------------------------------------------------------------------------
MUSIC_TEXT = "rehearsal moved to five"


async def _check_only_music(answer: RoomAnswer) -> Outcome:
    return await _check_room_answer(
        answer,
        MUSIC_TEXT,
        event="chat message",
        arrivals={"uma": [MUSIC_TEXT], "vic": [MUSIC_TEXT]},
        rooms_after=cast_rooms(ROOM_CAST),
        when="after your code",
    )


only_music = Exercise(
    "Only the music room",
    _check_only_music,
    hint=(
        "`await sio.emit(event, data, to=...)`: a room name as `to` sends to the members of "
        "that room only. Send `text` itself as the data."
    ),
    solution=(
        'async def tell_music(sio, text):\n    await sio.emit("chat message", text, to="music")'
    ),
)


# --- 2 · closing a topic -----------------------------------------------------------------------
async def _check_end_topic(answer: RoomAnswer) -> Outcome:
    return await _check_room_answer(
        answer,
        "art",
        event="topic closed",
        arrivals={"vic": ["art"], "wes": ["art"]},
        rooms_after={room: names for room, names in cast_rooms(ROOM_CAST).items() if room != "art"},
        when="afterwards",
    )


end_topic = Exercise(
    "Close a topic",
    _check_end_topic,
    hint=(
        "Two lines, in this order: tell the room (`to=room`), then `await sio.close_room(room)`. "
        "Closed first, the room has no members left to tell."
    ),
    solution=(
        "async def close_topic(sio, room):\n"
        '    await sio.emit("topic closed", room, to=room)\n'
        "    await sio.close_room(room)"
    ),
)


# --- 3 · telling the rooms who left --------------------------------------------------------------
async def _check_goodbye(answer: Callable[[Any, str], Awaitable[None]]) -> Outcome:
    async with EmbeddedServer("exercise") as server:
        sio = server.sio
        seen: dict[str, dict[str, list[str]]] = {}

        @sio.event
        async def connect(sid: str, environ: dict, auth: dict | None) -> None:
            await sio.save_session(sid, {"name": (auth or {}).get("name", "anonymous")})

        @sio.event
        async def disconnect(sid: str, reason: str) -> None:
            if (await sio.get_session(sid))["name"] == "vic":  # not for those the stop ends
                seen["before"] = room_members(sio)
                await answer(sio, sid)
                seen["after"] = room_members(sio)

        clients = await start_room_cast(server, "/", ROOM_CAST)
        await settle(server, clients)
        leaver = clients[1]  # vic: music and art
        await leaver.disconnect()
        await wait_until_gone(sio, leaver.name)
        stayed = [c for c in clients if c is not leaver]
        await settle(server, stayed)
        verdict = errors_verdict(server)
        if verdict:
            return verdict
        if seen.get("before") != cast_rooms(ROOM_CAST):  # the check's own set-up, not the answer
            raise RuntimeError(f"vic's rooms were not in place: {seen.get('before')}")
        arrivals = compare_arrivals(stayed, "left", {"uma": ["vic"], "wes": ["vic"]})
        rooms = compare_rooms("after your code", seen["after"], cast_rooms(ROOM_CAST))
        return first_wrong(arrivals, rooms) or arrivals


goodbye = Exercise(
    "Tell the rooms who left",
    _check_goodbye,
    hint=(
        "Inside the disconnect handler `sio.rooms(sid)` still lists the leaver's rooms (its own "
        "sid room too). `to=` takes a list of rooms; `skip_sid=sid` leaves the leaver out; "
        "`(await sio.get_session(sid))['name']` gives the name the connect handler saved."
    ),
    solution=(
        "async def goodbye_rooms(sio, sid):\n"
        "    name = (await sio.get_session(sid))['name']\n"
        "    rooms = [room for room in sio.rooms(sid) if room != sid]\n"
        "    if rooms:  # to=[] would mean everyone\n"
        '        await sio.emit("left", name, to=rooms, skip_sid=sid)'
    ),
)
