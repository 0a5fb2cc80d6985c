"""Where recovery across nodes meets python-socketio's pub/sub manager.

python-socketio's ``AsyncPubSubManager.emit`` hands an event to this node's
own clients first and publishes it for the other nodes after. Two nodes
emitting at once then deliver in two different orders, and an offset could not
say "everything up to here". ``RecoveringRedisManager`` therefore publishes an
event only through the Lua script of ``chatlib.scale.shared_recovery``, which
appends it to the Redis stream and publishes it in one atomic step, and
delivers it, on every node including its own, when it comes back from Redis:
every client sees the stream's order, and its last offset means it has
everything before.

Private names used here (pinned in ``tests/test_engine_contract.py``):
``AsyncPubSubManager._handle_emit`` is overridden; its listener (``_thread``)
hands it every message whose ``host_id`` is not this node's (the stamped ones
carry none) and passes it the decoded dict unchanged; ``self.json`` is the
server's JSON module.
"""

from __future__ import annotations

import asyncio
import base64
from typing import Any

from redis.exceptions import RedisError
from socketio.packet import Packet

from ..fanout import FanoutRedisManager
from ..recovery import Recovery, Restored
from ..scale.shared_recovery import (
    OFFSET_FIELD,
    ONLY_FIELD,
    SharedRecoveryStore,
    missed_events,
    stream_position,
)

CATCH_UP_TIMEOUT = 2.0
"""Seconds a node waits to have delivered the event a reconnecting client saw last.

A client can come back to a node that has not yet heard its last event from
Redis; recovering it before would deliver that event a second time.
"""


POSITION_MARK = "chatlib:position"
"""The namespace of a node's position mark: never a real one (those start with "/")."""


class RecoveringRedisManager(FanoutRedisManager):
    """``AsyncRedisManager`` for nodes with recovery on: events and sessions kept in Redis."""

    def __init__(self, url: str, channel: str, recovery: Recovery, **kwargs: Any) -> None:
        super().__init__(url, channel=channel, **kwargs)
        self.recovery = recovery
        self.store = SharedRecoveryStore(url, channel, recovery, host=self.host_id)
        self.delivered_up_to: tuple[int, int] = (0, 0)
        """The stream position of the last stamped event this node has delivered."""
        self._delivering = asyncio.Lock()
        self._catching_up: list[tuple[tuple[int, int], asyncio.Event]] = []

    async def emit(
        self,
        event: str,
        data: Any,
        namespace: str | None = None,
        room: Any = None,
        skip_sid: Any = None,
        callback: Any = None,
        to: Any = None,
        **kwargs: Any,
    ) -> None:
        """Append the event to the stream and publish it; it is delivered when it comes back.

        An event for this node's clients only (``ignore_queue``) goes the same
        way, marked with this node's ``host_id``: the other nodes pass it by, and
        it is replayed only to a session this node held. An event that wants an
        acknowledgement takes python-socketio's path and gets no offset (as on
        Node, where it is not kept).
        """
        if callback is not None:
            await super().emit(
                event, data, namespace=namespace or "/", room=room, skip_sid=skip_sid,
                callback=callback, to=to, **kwargs,
            )  # fmt: skip
            return
        args = list(data) if isinstance(data, tuple) else [] if data is None else [data]
        binary = Packet.data_is_binary(args)
        if binary:
            structure, attachments = Packet.deconstruct_binary(args)
            args = [structure, *[base64.b64encode(a).decode() for a in attachments]]
        message = {
            "method": "emit",
            "event": event,
            "data": args,
            "binary": binary,
            "namespace": namespace or "/",
            "room": to or room,
            "skip_sid": skip_sid,
            "callback": None,
        }
        if kwargs.get("ignore_queue"):
            message[ONLY_FIELD] = self.host_id
        try:
            await self.store.append_and_publish(self.json.dumps(message))
        except (RedisError, OSError) as error:  # as python-socketio's own publish: log, go on
            self.store.logger.error("cannot publish %r to Redis, not sent: %s", event, error)

    async def _handle_emit(self, message: dict[str, Any]) -> None:
        offset = message.get(OFFSET_FIELD)
        position = stream_position(offset) if isinstance(offset, str) else None
        if position is None:  # not stamped: an emitter's, or one with an acknowledgement
            await super()._handle_emit(message)
            return
        data = list(message.get("data") or [])
        if message.get("binary"):
            data[0] = [*data[0], offset]
        else:
            data.append(offset)
        only = message.get(ONLY_FIELD)
        async with self._delivering:
            self.delivered_up_to = max(self.delivered_up_to, position)
            if only is None or only == self.host_id:
                await super()._handle_emit({**message, "data": data})
        self._wake_caught_up()

    async def mark_position(self) -> None:
        """Publish a mark that this node will hear: once it has, it knows its position.

        Until a node has heard something, it cannot tell the events published
        before it subscribed (it will never deliver those: a recovery must
        replay them) from those still on their way to it. A node calls this
        once subscribed; the mark goes to no client and is never replayed.
        """
        mark = {"method": "emit", "event": "mark", "data": [], "namespace": POSITION_MARK}
        await self.store.append_and_publish(self.json.dumps(mark))

    # --- recovering -----------------------------------------------------------
    async def restore(self, namespace: str, auth: Any) -> Restored | None:
        """The session named by a CONNECT's ``auth``, claimed from Redis, or None.

        On success this node's delivery is paused: the missed events are those
        it delivered before the pause, and everything after will reach the
        socket live once ``restored.resume()`` is called, with the socket back
        in its rooms. So each event arrives once, replayed or live.
        """
        if not isinstance(auth, dict):
            return None
        pid, offset = auth.get("pid"), auth.get("offset")
        if not isinstance(pid, str) or not isinstance(offset, str):
            return None
        position = stream_position(offset)
        if position is None or not await self._caught_up(position):
            return None
        await self._delivering.acquire()
        released = False

        def resume() -> None:
            nonlocal released
            if not released:
                released = True
                self._delivering.release()

        try:
            claimed = await self.store.claim(namespace, pid, offset)
        except BaseException:
            resume()
            raise
        if claimed is None:
            resume()
            return None
        return Restored(claimed.session, missed_events(claimed, self.delivered_up_to), resume)

    async def _caught_up(self, position: tuple[int, int]) -> bool:
        """Wait (bounded) until this node has delivered the event at ``position``."""
        if self.delivered_up_to >= position:
            return True
        reached = asyncio.Event()
        waiting = (position, reached)
        self._catching_up.append(waiting)
        try:
            await asyncio.wait_for(reached.wait(), CATCH_UP_TIMEOUT)
            return True
        except TimeoutError:
            return False
        finally:
            self._catching_up.remove(waiting)

    def _wake_caught_up(self) -> None:
        for position, reached in self._catching_up:
            if self.delivered_up_to >= position:
                reached.set()

    async def aclose(self) -> None:
        """Close the store's Redis connections (``close_queue`` calls this)."""
        await self.store.aclose()
