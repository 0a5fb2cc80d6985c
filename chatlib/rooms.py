"""Rooms as the server sees them, and the "topics" chat built on them.

Rooms exist only on the server: a client can ask to join one, but it never
holds a list of its rooms. Everything here therefore reads the server's room
manager. ``room_members`` turns its socket ids into the names clients gave in
``auth``, so a lesson can print who is where and get the same text every run.

``add_room_handlers`` is the chat app with topics: a client joins and leaves
rooms by emitting ``join`` / ``leave`` with an acknowledgement, and its chat
messages go to the rooms it is in (to everyone while it is in none).
"""

from __future__ import annotations

import asyncio
from typing import Any

from ._engine.managers import room_table
from .chat import check_message
from .observed import ObservedServer

MAX_ROOM_NAME = 40


def room_members(sio: ObservedServer, namespace: str = "/") -> dict[str, list[str]]:
    """``{room: sorted member names}`` for ``namespace``, without each socket's own sid room.

    Reads python-socketio's in-memory room table, which is local to this
    server process, like ``rooms(sid)`` itself.
    """
    table = room_table(sio.manager, namespace)
    connected = table.get(None, {})
    members = {}
    for room, sids in table.items():
        if room is None or room in connected:  # None: everyone; a sid: its own room
            continue
        members[room] = sorted(sio.name_of(sid, namespace) for sid in sids)
    return dict(sorted(members.items()))


def connected_names(sio: ObservedServer, namespace: str = "/") -> list[str]:
    """Sorted names of every client connected to ``namespace`` on this server."""
    connected = room_table(sio.manager, namespace).get(None, {})
    return sorted(sio.name_of(sid, namespace) for sid in connected)


def rooms_of_name(sio: ObservedServer, name: str, namespace: str = "/") -> list[str]:
    """The rooms of the client called ``name`` (sid room left out); [] when not connected."""
    sid = sio.sid_of(name, namespace)
    if sid is None:
        return []
    return sorted(room for room in sio.rooms(sid, namespace) if room != sid)


def check_room_name(room: object) -> str:
    """Return ``room`` if a client may ask for it; else raise ``ValueError``."""
    if not isinstance(room, str) or not room.strip():
        raise ValueError("a room name must be non-empty text")
    if len(room) > MAX_ROOM_NAME:
        raise ValueError(f"a room name is at most {MAX_ROOM_NAME} characters")
    return room


def add_room_handlers(sio: ObservedServer, namespace: str = "/") -> None:
    """Let clients of ``namespace`` join and leave rooms, and chat within them.

    ``join`` and ``leave`` take a room name and answer in the acknowledgement
    with ``{"ok": True, "rooms": [...]}`` or ``{"ok": False, "error": ...}``.
    ``chat message`` goes to every room the sender is in, the sender
    included; a sender in no room talks to everyone, as in the plain chat.
    """

    async def join(sid: str, room: Any) -> dict[str, Any]:
        try:
            await sio.enter_room(sid, check_room_name(room), namespace=namespace)
        except ValueError as error:  # also: python-socketio refuses another socket's sid room
            return {"ok": False, "error": str(error)}
        return {"ok": True, "rooms": _own_rooms(sio, sid, namespace)}

    async def leave(sid: str, room: Any) -> dict[str, Any]:
        try:
            await sio.leave_room(sid, check_room_name(room), namespace=namespace)
        except ValueError as error:
            return {"ok": False, "error": str(error)}
        return {"ok": True, "rooms": _own_rooms(sio, sid, namespace)}

    async def chat_message(sid: str, message: Any = None, *_more: Any) -> dict[str, Any]:
        # _more: the chat page also sends a client offset, which only a durable server uses
        try:
            text = check_message(message)
        except ValueError as error:
            return {"ok": False, "error": str(error)}
        rooms = _own_rooms(sio, sid, namespace)
        await sio.emit("chat message", text, to=rooms or None, namespace=namespace)
        return {"ok": True, "rooms": rooms}

    sio.on("join", join, namespace=namespace)
    sio.on("leave", leave, namespace=namespace)
    sio.on("chat message", chat_message, namespace=namespace)


def _own_rooms(sio: ObservedServer, sid: str, namespace: str) -> list[str]:
    return sorted(room for room in sio.rooms(sid, namespace) if room != sid)


async def wait_until_gone(
    sio: ObservedServer, name: str, namespace: str = "/", timeout: float = 5.0
) -> None:
    """Wait until the server has finished handling ``name``'s disconnect from ``namespace``.

    A client's ``disconnect()`` returns before the server has run its
    ``disconnect`` handler; whatever that handler emits is only certain to be
    on its way once this returns (then ``settle()`` sees it). Bounded by ``timeout``.
    """
    loop = asyncio.get_running_loop()
    gone = asyncio.Event()

    def check(_entry: object = None) -> None:
        if sio.sid_of(name, namespace) is None:
            gone.set()

    # The log line is written just before the name is forgotten: look again right after it.
    def soon(_entry: object) -> None:
        loop.call_soon(check)

    sio.log.subscribe(soon)
    try:
        check()
        await asyncio.wait_for(gone.wait(), timeout)
    except TimeoutError:
        raise TimeoutError(f"{name} is still connected to {namespace} after {timeout} s") from None
    finally:
        sio.log.unsubscribe(soon)
