"""Two things JavaScript's broadcast operator does that python-socketio's ``emit`` does not.

``io.to([...]).except("room3")`` has no Python spelling: ``emit`` takes rooms
to reach (``to``) and socket ids to skip (``skip_sid``), never rooms to skip.
``io.to("room1").timeout(5000).emitWithAck(...)`` has none either: ``call``
addresses one socket. Both are rebuilt here from what python-socketio has.

Both read room membership from ``sio.manager.get_participants``, which only
knows the sockets connected to *this* server process. With several nodes
behind a message queue (Redis, RabbitMQ), a member of an excluded room who is
connected to another node is NOT skipped, and is not asked for an
acknowledgement. JavaScript's adapters resolve ``except`` on every node;
this helper cannot.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterable
from typing import Any

import socketio
from socketio import exceptions


def _as_list(value: str | Iterable[str] | None) -> list[str]:
    if value is None:
        return []
    return [value] if isinstance(value, str) else list(value)


def members(
    sio: socketio.AsyncServer, rooms: str | Iterable[str], namespace: str = "/"
) -> list[str]:
    """Socket ids in any of ``rooms`` of ``namespace``, as this node knows them (sorted)."""
    found: set[str] = set()
    for room in _as_list(rooms):
        found.update(sid for sid, _eio_sid in sio.manager.get_participants(namespace, room))
    return sorted(found)


async def emit_except(
    sio: socketio.AsyncServer,
    event: str,
    data: Any = None,
    *,
    except_rooms: str | Iterable[str],
    to: str | Iterable[str] | None = None,
    skip_sid: str | Iterable[str] | None = None,
    namespace: str | None = None,
    ignore_queue: bool = False,
) -> list[str]:
    """``io.to(to).except(except_rooms).emit(event, data)``, node-local.

    The members of ``except_rooms`` that this node knows are added to
    ``skip_sid``. Returns the socket ids that were skipped, so a lesson can
    show who was left out. "Everyone except" is spelled ``to=None`` (or
    leaving ``to`` out) or ``to=[]``: an empty list means everyone in
    socket.io (``io.to([]).except(...)``) as it does in python-socketio's
    ``emit``, so this helper reads it the same way.
    """
    if to is not None and not isinstance(to, str):
        to = list(to) or None
    ns = namespace or "/"
    skipped = sorted(set(members(sio, except_rooms, ns)) | set(_as_list(skip_sid)))
    await sio.emit(
        event,
        data,
        to=to,
        skip_sid=skipped,
        namespace=namespace,
        ignore_queue=ignore_queue,
    )
    return skipped


async def call_each(
    sio: socketio.AsyncServer,
    event: str,
    data: Any = None,
    *,
    to: str | Iterable[str],
    namespace: str | None = None,
    timeout: float = 5,
) -> tuple[dict[str, Any], list[str]]:
    """Ask every socket in ``to`` for an acknowledgement, all at once.

    The nearest Python form of ``io.to(room).timeout(ms).emitWithAck(...)``:
    one ``call()`` per member, gathered. Returns ``(replies, missing)``:
    each answering sid's reply, and the sids that did not answer within
    ``timeout`` (JavaScript reports those as one error, with the partial
    replies). A member's ``call`` failing for any other reason is raised.
    """
    ns = namespace or "/"
    sids = members(sio, to, ns)

    async def ask(sid: str) -> tuple[str, Any, bool]:
        try:
            return sid, await sio.call(event, data, to=sid, namespace=ns, timeout=timeout), True
        except exceptions.TimeoutError:
            return sid, None, False

    answers = await asyncio.gather(*(ask(sid) for sid in sids))
    replies = {sid: reply for sid, reply, answered in answers if answered}
    missing = [sid for sid, _reply, answered in answers if not answered]
    return replies, missing
