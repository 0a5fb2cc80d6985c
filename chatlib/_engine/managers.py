"""What chatlib reads and does to python-socketio's managers beyond their documented API.

python-socketio documents a manager's constructor and ``emit``; ``rooms(sid)``
and ``get_participants`` answer for one socket or one room. Nothing public
lists every room of a namespace, starts a pub/sub manager's listener before
the first client connects, or closes its connections to the queue. These
functions do, with the attributes python-socketio 5.12 to 5.18 keep them in;
``tests/test_engine_contract.py`` pins each one.
"""

from __future__ import annotations

import asyncio
import contextlib
import inspect
from typing import Any

import socketio

RoomTable = dict[str | None, dict[str, str]]
"""``{room: {sid: eio_sid}}`` of one namespace; room ``None`` holds every connected socket,
and each socket also has a room named by its own sid."""


def room_table(manager: socketio.AsyncManager, namespace: str) -> RoomTable:
    """The in-memory room table of ``namespace`` on this node (empty when unused).

    A live view: copy it before awaiting anything.
    """
    rooms: dict[str, RoomTable] = manager.rooms
    return rooms.get(namespace, {})


def participants(manager: socketio.AsyncManager, namespace: str, room: object) -> dict[str, str]:
    """``{sid: eio_sid}`` of ``room`` on this node: ``get_participants`` as a new dict.

    ``room`` is what an emit's ``to`` is: ``None`` for everyone, one room, or a
    list of rooms (their union). python-socketio builds this dict from each
    room's bidict (``_fwdm``, its forward ``dict``) and then yields a tuple per
    participant; the copy alone is made in C, which matters once per emit with
    hundreds of receivers (and leaves no tuples for the garbage collector).
    """
    table = room_table(manager, namespace)
    several = hasattr(room, "__len__") and not isinstance(room, str)  # as python-socketio reads it
    rooms: Any = room if several else [room]
    found: dict[str, str] = {}
    for name in rooms:
        members = table.get(name)
        if members is not None:
            found.update(members._fwdm)  # type: ignore[attr-defined]
    return found


def namespaces_in_use(manager: socketio.AsyncManager) -> list[str]:
    """Every namespace that has (or had) a socket on this node, sorted."""
    return sorted(manager.rooms)


def start_listening(sio: socketio.AsyncServer) -> None:
    """Start the manager's queue listener now, as python-socketio does on a first connect.

    A node that has no client yet must still receive what the other nodes emit
    (and be counted as a subscriber); python-socketio would only start
    listening when its first client connects.
    """
    if not sio.manager_initialized:
        sio.manager_initialized = True
        sio.manager.initialize()


async def close_queue(manager: socketio.AsyncManager) -> None:
    """Cancel a pub/sub manager's listening task and close its connections to the queue.

    python-socketio has no ``close`` for a manager: its listener task
    (``thread``) outlives the web server, and its Redis (``pubsub``, ``redis``)
    or aio-pika (``publisher_connection``) connections stay open.
    """
    task = getattr(manager, "thread", None)
    if isinstance(task, asyncio.Task) and not task.done():
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)
    aclose = getattr(manager, "aclose", None)
    if aclose is not None:  # chatlib's own managers
        await aclose()
    for attribute in ("pubsub", "redis", "publisher_connection"):  # Redis, then aio-pika
        connection = getattr(manager, attribute, None)
        if connection is not None:
            with contextlib.suppress(Exception):
                closing = connection.aclose() if hasattr(connection, "aclose") else None
                closing = closing or connection.close()
                if inspect.isawaitable(closing):
                    await closing
