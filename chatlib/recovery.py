"""Connection state recovery: a short disconnection that loses nothing.

socket.io (Node, since 4.6) can put a client back as it was after a brief
loss of its connection: the same socket id, its rooms and its data, and every
event it missed. python-socketio cannot. This module is that behaviour for a
python-socketio server, speaking socket.io's own protocol, so the official
JavaScript client recovers against it exactly as it does against Node:

- the server's CONNECT reply carries a private session id, ``pid``, next to ``sid``;
- every event the server emits without asking for an acknowledgement carries
  an *offset* (a string) as an extra last argument;
- a reconnecting client puts ``pid`` and the last offset it saw in the auth
  of its CONNECT; when the server still holds that session and that offset,
  the old sid, rooms and session come back and the events after the offset
  that were meant for it are sent again, in order, once.

Only losses of the connection are held: a transport closed or failing, a ping
timeout. A ``disconnect()`` from either side means "done", and nothing is kept.

Enable it with ``EmbeddedServer(..., recovery=Recovery(max_disconnection=120))``
(or ``ObservedServer(recovery=...)``). The connect handler can tell a recovered
connection by ``sio.recovered(sid, namespace)``. With ``skip_middlewares=True`` a
recovered connection does not go through the connect handler at all (that
handler is where a python-socketio app checks credentials, the job of Node's
middlewares), so it runs only for fresh connections: the natural place for the
tutorial's "not recovered: send what the client missed from the database".

The hooks into python-socketio's private methods live in ``chatlib._engine.recovery``;
this module holds the decisions and the state, and touches no private name.

What is the same as socket.io 4.8 (checked side by side, tests/test_recovery_node.py):
the wire; every event without an acknowledgement gets an offset, one sent to a
single socket too (Node's ``socket.emit`` goes through its adapter when recovery
is on); the missed events are written before the CONNECT reply, and before the
connect handler (Node: its middlewares) has decided; a client that has received
no event yet has no offset and is never recovered.

What differs, and why:

- ``skip_middlewares=True`` skips the connect handler, where Node still fires
  ``connection``: python-socketio has one handler for both jobs.
- An Engine.IO CLOSE packet is held (python-engineio names it 'client
  disconnect'; Node 'transport close'); a deliberate leave is recognised by its
  Socket.IO DISCONNECT packet instead, which python-socketio reports with that
  same reason. The server's ``disconnect()`` and its shutdown keep nothing;
  Node keeps sockets closed by ``io.close()`` ('server shutting down'), which
  only matters to an adapter that outlives the process: a cluster node that
  keeps sessions in Redis does the same (``chatlib.scale.cluster.Node.stop``).
- A session is given back once; Node leaves it in place, so the same pid could
  be restored twice. A refused recovery therefore loses its session.
- Old events and sessions go as new events come (Node sweeps once a minute), and
  ``max_packets`` caps the events kept (Node has no cap).
- Offsets are ``<random prefix>-<counter>`` (Node: ``yeast()`` ids): opaque to
  clients either way.
- A plain python-socketio ``AsyncClient`` receives the offset as one more
  argument (as JavaScript listeners do, which ignore it); ``ChatClient`` takes it off.
- This log lives in this process only: a restart, or another node, recovers
  nothing. Nodes that share a Redis keep sessions and events there instead, as
  socket.io's Redis Streams adapter does: ``Cluster.start_node(name,
  recovery=...)`` or ``serve --redis URL --recovery SECONDS`` (see
  ``chatlib.scale.shared_recovery``).
"""

from __future__ import annotations

import logging
import secrets
import time
from collections import deque
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

logger = logging.getLogger("chatlib.recovery")

RECOVERABLE_REASONS = frozenset(
    {"transport close", "transport error", "ping timeout", "client disconnect"}
)
"""python-engineio's disconnect reasons under which a connection may come back.

'client disconnect' is here because python-engineio gives it to an Engine.IO
CLOSE packet, which is what the official client's ``socket.io.engine.close()``
sends over long-polling (Node calls that a "transport close" and recovers it).
Leaving on purpose is a Socket.IO DISCONNECT packet for the namespace, or the
server's own ``disconnect()`` ('server disconnect'): those keep nothing.
"""


@dataclass(frozen=True)
class Recovery:
    """The server's opt-in, like Node's ``connectionStateRecovery`` option.

    ``max_disconnection`` (seconds) is how long a lost connection's state and
    the events it misses are kept (Node: ``maxDisconnectionDuration``, 2 min).
    ``skip_middlewares`` lets a recovered connection in without running the
    connect handler again. ``max_packets`` caps how many emitted events the
    server keeps for clients that may come back, whatever their age: the
    oldest go first, and a client whose offset went with them gets a fresh
    connection (``recovered`` is False) rather than a gap.
    """

    max_disconnection: float = 120.0
    skip_middlewares: bool = False
    max_packets: int = 10_000

    def __post_init__(self) -> None:
        if self.max_disconnection <= 0:
            raise ValueError("max_disconnection must be a positive number of seconds")
        if self.max_packets < 1:
            raise ValueError("max_packets must be at least 1")


_NO_ROOMS: frozenset[str] = frozenset()


def as_rooms(target: Any) -> tuple[Any, ...]:
    """python-socketio's ``to`` or ``skip_sid`` (None, one name, or several) as a tuple.

    ``None`` (and ``[]``) mean everyone for ``to`` and no one for ``skip_sid``:
    an empty tuple either way, which the caller reads in its own sense.
    """
    if target is None:
        return ()
    if isinstance(target, str):
        return (target,)
    return tuple(target)


def _room_set(rooms: Iterable[str]) -> frozenset[str]:
    """Rooms as a frozenset; most events have none to name, and share one empty set."""
    return frozenset(rooms) or _NO_ROOMS


@dataclass(slots=True)
class HeldSession:
    """What a lost connection leaves behind: enough to put it back as it was."""

    pid: str
    sid: str
    namespace: str
    rooms: frozenset[str]
    data: Any
    lost_at: float


@dataclass(frozen=True, slots=True)
class _Emitted:
    """One emitted event as kept for replay: its wire arguments end with its offset."""

    number: int
    namespace: str
    rooms: frozenset[str]
    skipped: frozenset[str]
    payload: tuple[Any, ...]
    emitted_at: float

    def is_for(self, session: HeldSession) -> bool:
        return reaches(session, self.namespace, self.rooms, self.skipped)


def reaches(
    session: HeldSession, namespace: str, rooms: frozenset[str], skipped: frozenset[str]
) -> bool:
    """Would a socket in ``session.rooms`` have received this emit? (Node's rule, too.)

    ``rooms`` is whom the emit went to (empty: everyone in ``namespace``),
    ``skipped`` the rooms and sids it left out.
    """
    if namespace != session.namespace:
        return False
    addressed = not rooms or not rooms.isdisjoint(session.rooms)
    return addressed and skipped.isdisjoint(session.rooms)


def _nothing_to_resume() -> None:
    """A log in memory pauses nothing while a session is put back."""


@dataclass(slots=True)
class Restored:
    """A session given back to a reconnecting client, with the events it missed.

    ``resume`` is called once the socket is back in its rooms: a store shared
    by several nodes pauses its node's delivery until then (see
    ``chatlib.scale.shared_recovery``), so no event is both replayed and live.
    """

    session: HeldSession
    missed: list[tuple[Any, ...]] = field(default_factory=list)
    resume: Callable[[], None] = _nothing_to_resume


class RecoveryLog:
    """The sessions of lost connections and the events emitted since, for one server.

    Offsets are this log's own: a random prefix (so an offset from another
    server run never matches) and a counter, which makes finding an offset a
    subtraction. Everything older than ``max_disconnection`` is dropped as new
    events come in, and never more than ``max_packets`` events are kept.
    """

    def __init__(self, recovery: Recovery, clock: Callable[[], float] = time.monotonic) -> None:
        self.recovery = recovery
        self._clock = clock
        self._prefix = secrets.token_urlsafe(6) + "-"
        self._next_number = 0
        self._emitted: deque[_Emitted] = deque()
        self._sessions: dict[str, HeldSession] = {}
        self.cap_reached = 0
        """How many events the cap pushed out before their time (0 while under the cap)."""

    def __len__(self) -> int:
        return len(self._emitted)

    @property
    def held_sessions(self) -> int:
        return len(self._sessions)

    @staticmethod
    def new_pid() -> str:
        """A private session id: a secret, since it is enough to take a session back."""
        return secrets.token_urlsafe(15)

    # --- emitting ----------------------------------------------------------
    def stamp(
        self,
        namespace: str,
        args: tuple[Any, ...],
        rooms: Iterable[str],
        skipped: Iterable[str],
    ) -> tuple[Any, ...]:
        """Keep one emitted event and return its wire arguments, the offset last.

        ``args`` starts with the event name. ``rooms`` is whom it was sent to
        (empty: everyone in the namespace), ``skipped`` the sids left out.
        """
        now = self._clock()
        offset = f"{self._prefix}{self._next_number:x}"
        payload = (*args, offset)
        self._emitted.append(
            _Emitted(
                self._next_number, namespace, _room_set(rooms), _room_set(skipped), payload, now
            )
        )
        self._next_number += 1
        self._forget_old(now)
        if len(self._emitted) > self.recovery.max_packets:
            if not self.cap_reached:
                logger.warning(
                    "connection state recovery keeps at most %d missed events: the oldest "
                    "are now dropped, and a client that missed them reconnects unrecovered",
                    self.recovery.max_packets,
                )
            while len(self._emitted) > self.recovery.max_packets:
                self._emitted.popleft()
                self.cap_reached += 1
        return payload

    # --- losing and getting back a connection --------------------------------
    def hold(self, pid: str, sid: str, namespace: str, rooms: Iterable[str], data: Any) -> None:
        """Keep a lost connection's state for ``max_disconnection`` seconds."""
        now = self._clock()
        self._forget_old(now)
        self._sessions.pop(pid, None)  # keep the dict in the order connections were lost
        self._sessions[pid] = HeldSession(pid, sid, namespace, frozenset(rooms), data, now)

    def restore(self, namespace: str, auth: Any) -> Restored | None:
        """The held session named by a CONNECT's ``auth``, or None for a fresh connection.

        None when ``auth`` has no string ``pid`` and ``offset`` (a first connection,
        or a client that never received an offset), when the session is unknown,
        expired or of another namespace, or when the offset is not (or no longer)
        kept. A session is given back once: it leaves the log here.
        """
        if not isinstance(auth, dict):
            return None
        pid, offset = auth.get("pid"), auth.get("offset")
        if not isinstance(pid, str) or not isinstance(offset, str):
            return None
        self._forget_old(self._clock())
        session = self._sessions.get(pid)
        if session is None or session.namespace != namespace:
            return None
        start = self._position_after(offset)
        if start is None:
            return None
        del self._sessions[pid]
        missed = [e.payload for e in list(self._emitted)[start:] if e.is_for(session)]
        return Restored(session, missed)

    def holds(self, pid: str) -> bool:
        return pid in self._sessions

    def forget(self, pid: str) -> None:
        """Drop a held session (its client left on purpose, or a duplicate pid)."""
        self._sessions.pop(pid, None)

    # --- bookkeeping ---------------------------------------------------------
    def _position_after(self, offset: str) -> int | None:
        """Index in the log of the first event after ``offset``; None if not kept."""
        if not offset.startswith(self._prefix):
            return None
        try:
            number = int(offset[len(self._prefix) :], 16)
        except ValueError:
            return None
        if not self._emitted or offset != f"{self._prefix}{number:x}":
            return None
        index = number - self._emitted[0].number
        if not 0 <= index < len(self._emitted):
            return None
        return index + 1

    def _forget_old(self, now: float) -> None:
        threshold = now - self.recovery.max_disconnection
        while self._emitted and self._emitted[0].emitted_at < threshold:
            self._emitted.popleft()
        while self._sessions:  # held in the order they were lost: the oldest first
            oldest = next(iter(self._sessions.values()))
            if oldest.lost_at >= threshold:
                break
            del self._sessions[oldest.pid]
