"""Connection state recovery across nodes: sessions and missed events kept in Redis.

``chatlib.recovery`` keeps a lost connection's state in the memory of the node
that lost it, so a client that comes back through a load balancer to *another*
node starts afresh. socket.io's Redis Streams adapter keeps both in Redis
instead (its classic Redis adapter does not); this module does the same for a
cluster of python-socketio nodes sharing a Redis channel:

- **Events.** Every event emitted without an acknowledgement is appended to a
  Redis stream, ``<channel>:recovery:events``, and published on the channel by
  the same Lua script, so the stream's order *is* the order in which every
  node hears it. Its stream entry id (``1733240000000-0``) is its offset: the
  same on every node, and what the client sends back when it reconnects.
- **Sessions.** A connection lost without a goodbye leaves its sid, namespace,
  rooms and session data under ``<channel>:recovery:session:<pid>``, a key
  that expires after ``max_disconnection``.
- **Recovery.** A reconnecting client's ``pid`` is claimed with ``GETDEL`` (so
  a session is given back once, whichever node asks first) together with the
  events after its offset, in one ``MULTI``.

Bounds: the script drops events older than ``max_disconnection`` and keeps at
most ``max_packets`` (a warning is logged the first time the cap pushes one
out early); the stream key itself expires when nothing was emitted for
``max_disconnection``. A session key lives ``max_disconnection`` at most.

Every node of a cluster must have recovery on: an event a recovering node
emits reaches plain python-socketio nodes too (its JSON only has one more
field, which they ignore), but events they emit carry no offset and are not kept.

What differs from socket.io's Redis Streams adapter, and why:

- Pub/sub still carries everything between nodes (python-socketio's
  ``AsyncRedisManager``); the stream only *keeps* the emits. Node's adapter
  reads the stream itself (``XREAD``) instead of subscribing.
- A node delivers its own emits when they come back from Redis, one round trip
  later. Node hands them to its own clients at once, so two nodes emitting at
  the same moment can give two clients two orders, and an offset then no longer
  means "everything before it"; here every client sees the stream's order.
- A node waits (at most ``CATCH_UP_TIMEOUT``) until it has delivered the event a
  reconnecting client saw last, and pauses its delivery while it puts the socket
  back, so no event is both replayed and delivered live. Each node also adds one
  position mark to the stream when it starts.
- Exact limits: at most ``max_packets`` events (Node: ``maxLen``, about 10,000,
  trimmed approximately), none older than the window (Node keeps them until
  ``maxLen`` pushes them out; its session key expires as here).
- Session data must be JSON; a session whose data is not is logged and not kept.
- "This node only" emits (``ignore_queue``) get an offset too, and are replayed
  to a session that node held; Node's ``io.local.emit`` gets none.
- python-socketio's own write-only ``AsyncRedisManager`` publishes without the
  script: its events reach clients without an offset and are not replayed.
  ``python -m chatlib.scale.emitter --recovery SECONDS`` (what ``run_emitter``
  runs for a cluster with recovery) writes the stream, so its events are kept too.
- A node's ``stop()`` (``serve``: Ctrl+C) keeps its clients' sessions and cuts
  their connections, as Node's ``io.close()`` does ('server shutting down'), so
  they are recovered on another node. A killed process keeps nothing, in both;
  ``serve`` does not catch SIGTERM, so that is what SIGTERM does to it.

The hooks into python-socketio's pub/sub manager live in
``chatlib._engine.shared_recovery``; this module touches no private name.
"""

from __future__ import annotations

import asyncio
import base64
import json
import logging
import re
import time
from dataclasses import dataclass
from typing import Any

from redis import asyncio as aioredis
from redis.exceptions import RedisError
from socketio.packet import Packet

from ..recovery import HeldSession, Recovery, RecoveryLog, as_rooms, reaches

OFFSET_FIELD = "offset"
"""The field the script adds to a published emit message: that event's stream id."""
ONLY_FIELD = "only"
"""The node (its ``host_id``) an emit made with ``ignore_queue`` is for; absent: every node."""

_STREAM_ID = re.compile(r"\d{1,20}-\d{1,20}")

# KEYS[1]: the stream. ARGV: channel, message (a JSON object), max_packets, window in ms.
# Redis runs a script atomically: no other emit can come between the XADD and the
# PUBLISH, so subscribers hear events in stream order, the order of their offsets.
_APPEND_AND_PUBLISH = """
local now = redis.call('TIME')
local now_ms = tonumber(now[1]) * 1000 + math.floor(tonumber(now[2]) / 1000)
local window = tonumber(ARGV[4])
redis.call('XTRIM', KEYS[1], 'MINID', tostring(now_ms - window) .. '-0')
local id = redis.call('XADD', KEYS[1], '*', 'm', ARGV[2])
local capped = redis.call('XTRIM', KEYS[1], 'MAXLEN', ARGV[3])
redis.call('PEXPIRE', KEYS[1], window)
redis.call('PUBLISH', ARGV[1], '{"offset":"' .. id .. '",' .. string.sub(ARGV[2], 2))
return {id, capped}
"""


def stream_position(offset: str) -> tuple[int, int] | None:
    """A stream id as a comparable pair, or None when ``offset`` is not one."""
    if not _STREAM_ID.fullmatch(offset):
        return None
    milliseconds, sequence = offset.split("-")
    return int(milliseconds), int(sequence)


@dataclass(frozen=True, slots=True)
class Claimed:
    """A session taken out of Redis, with every kept event after the client's offset."""

    session: HeldSession
    after: list[tuple[tuple[int, int], str, dict[str, Any]]]
    """``(position, offset, message)`` in stream order."""
    host: str = ""
    """The node that held the session (its clients got that node's "this node only" events)."""


class SharedRecoveryStore:
    """The Redis side of recovery for every node on ``channel``: one per node."""

    def __init__(
        self,
        url: str,
        channel: str,
        recovery: Recovery,
        logger: logging.Logger | None = None,
        host: str = "",
    ) -> None:
        self.recovery = recovery
        self.host = host
        """This node's ``host_id``: its sessions get only its own "this node only" events."""
        self.channel = channel
        self.stream_key = f"{channel}:recovery:events"
        self.session_prefix = f"{channel}:recovery:session:"
        self.logger = logger or logging.getLogger("chatlib.recovery")
        self.cap_reached = 0
        """How many events the cap pushed out before their time, as this node saw it."""
        self._redis = aioredis.Redis.from_url(url)
        self._append = self._redis.register_script(_APPEND_AND_PUBLISH)
        self._held_here: dict[str, float] = {}
        """pid → when this node held it: enough to answer ``holds`` without asking Redis."""
        self._writing = asyncio.Lock()
        """Session writes in the order they were asked for (each may take another connection)."""

    @property
    def window_ms(self) -> int:
        return max(1, round(self.recovery.max_disconnection * 1000))

    @staticmethod
    def new_pid() -> str:
        return RecoveryLog.new_pid()

    # --- events -------------------------------------------------------------
    async def append_and_publish(self, message: str) -> str:
        """Keep one emit message (JSON) and publish it with its offset; return the offset."""
        if not message.startswith("{") or message == "{}":
            raise ValueError("an emit message is a non-empty JSON object")
        raw_offset, capped = await self._append(
            keys=[self.stream_key],
            args=[self.channel, message, self.recovery.max_packets, self.window_ms],
        )
        if capped:
            if not self.cap_reached:
                self.logger.warning(
                    "connection state recovery keeps at most %d missed events in Redis: the "
                    "oldest are now dropped, and a client that missed them reconnects unrecovered",
                    self.recovery.max_packets,
                )
            self.cap_reached += int(capped)
        return raw_offset.decode() if isinstance(raw_offset, bytes) else str(raw_offset)

    async def kept_events(self) -> int:
        """How many events the stream holds now (for measuring the bounds)."""
        return int(await self._redis.xlen(self.stream_key))

    # --- sessions -----------------------------------------------------------
    def _session_key(self, pid: str) -> str:
        return self.session_prefix + pid

    async def hold(self, session: HeldSession) -> bool:
        """Keep a lost connection's state for ``max_disconnection``; False if it cannot be.

        The session data must be JSON (it crosses to other processes, and
        unpickling what Redis returns would run whatever was put there).
        """
        try:
            encoded = json.dumps(
                {
                    "sid": session.sid,
                    "namespace": session.namespace,
                    "rooms": sorted(session.rooms),
                    "data": session.data,
                    "host": self.host,
                }
            )
        except (TypeError, ValueError) as error:
            self.logger.warning(
                "connection state recovery: the session of %s is not JSON (%s), so it is not "
                "kept for another node",
                session.sid,
                error,
            )
            return False
        now = time.monotonic()
        self._held_here[session.pid] = now
        try:
            async with self._writing:  # a forget() called meanwhile runs after this SET
                await self._redis.set(self._session_key(session.pid), encoded, px=self.window_ms)
        except (RedisError, OSError) as error:
            self._held_here.pop(session.pid, None)
            self.logger.error("cannot keep the session of %s in Redis: %s", session.sid, error)
            return False
        if len(self._held_here) > 64:
            oldest = now - self.recovery.max_disconnection
            self._held_here = {p: t for p, t in self._held_here.items() if t >= oldest}
        return True

    def holds(self, pid: str) -> bool:
        """Whether this node held ``pid`` less than ``max_disconnection`` ago."""
        held_at = self._held_here.get(pid)
        return held_at is not None and time.monotonic() - held_at < self.recovery.max_disconnection

    @property
    def held_sessions(self) -> int:
        return sum(1 for pid in self._held_here if self.holds(pid))

    async def forget(self, pid: str) -> None:
        """Drop a held session (its client left on purpose after all)."""
        self._held_here.pop(pid, None)
        try:
            async with self._writing:
                await self._redis.delete(self._session_key(pid))
        except (RedisError, OSError) as error:  # it expires with the window anyway
            self.logger.error("cannot drop a session from Redis: %s", error)

    async def claim(self, namespace: str, pid: str, offset: str) -> Claimed | None:
        """Take the session ``pid`` out of Redis, with the events kept after ``offset``.

        None when the session is unknown or expired (or another node took it
        first), of another namespace, or when ``offset`` is no longer kept.
        The session is gone from Redis either way: it is given back once.
        """
        self._held_here.pop(pid, None)
        try:
            async with self._redis.pipeline(transaction=True) as pipe:
                pipe.getdel(self._session_key(pid))
                pipe.xrange(self.stream_key, min=offset, max=offset)
                pipe.xrange(self.stream_key, min="(" + offset, max="+")
                encoded, found, after = await pipe.execute()
        except (RedisError, OSError) as error:
            self.logger.error("cannot read a session from Redis, so not recovered: %s", error)
            return None
        if encoded is None or not found:
            return None
        try:
            state = json.loads(encoded)
            session = HeldSession(
                pid, state["sid"], state["namespace"], frozenset(state["rooms"]), state["data"], 0.0
            )
        except (ValueError, KeyError, TypeError):
            return None
        if session.namespace != namespace:
            return None
        host = state.get("host") if isinstance(state.get("host"), str) else ""
        events = []
        for raw_id, fields in after:
            entry_id = raw_id.decode()
            position = stream_position(entry_id)
            try:
                message = json.loads(fields[b"m"])
            except (KeyError, ValueError):  # not written by a node: not an event
                continue
            if position is not None and isinstance(message, dict):
                events.append((position, entry_id, message))
        return Claimed(session, events, host)

    async def aclose(self) -> None:
        await self._redis.aclose()


def missed_events(claimed: Claimed, up_to: tuple[int, int]) -> list[tuple[Any, ...]]:
    """The events of ``claimed`` its session would have received, up to ``up_to``, in order.

    Each is ``(event, *args, offset)``, as it goes on the wire. Events after
    ``up_to`` are left out: the node has not delivered them yet, and will,
    live, once the socket is back in its rooms.
    """
    session = claimed.session
    missed = []
    for position, offset, message in claimed.after:
        if position > up_to or message.get("method") != "emit":
            continue
        only = message.get(ONLY_FIELD)
        if only is not None and only != claimed.host:
            continue
        rooms = frozenset(as_rooms(message.get("room")))
        skipped = frozenset(as_rooms(message.get("skip_sid")))
        if not reaches(session, message.get("namespace", "/"), rooms, skipped):
            continue
        missed.append((message["event"], *event_arguments(message), offset))
    return missed


def event_arguments(message: dict[str, Any]) -> list[Any]:
    """An emit message's arguments, binary attachments put back in place."""
    data = message.get("data") or []
    if message.get("binary"):
        attachments = [base64.b64decode(a) for a in data[1:]]
        data = Packet.reconstruct_binary(data[0], attachments)
    return list(data)
