"""The inspector: what socket.io's Admin UI shows, as Python data, plus its actions.

Per server node: namespaces, rooms and their members, sockets (name,
transport, rooms), and an event log that can be filtered and paused. The
actions an instructor needs (join or leave a room, disconnect, emit to a
socket or a room) go through the server's own methods, so they are logged
and drawn like anything a handler does. Rooms are read from the node's
manager: like python-socketio's ``get_participants``, they are node-local.
"""

from __future__ import annotations

from collections import defaultdict, deque
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from .._engine.managers import namespaces_in_use, room_table
from ..facts import Fact
from ..observed import ObservedServer

LOG_SIZE = 1000


@dataclass(frozen=True)
class SocketView:
    name: str
    namespace: str
    transport: str
    rooms: tuple[str, ...]  # without the socket's own sid room


@dataclass(frozen=True)
class NamespaceView:
    name: str
    sockets: tuple[SocketView, ...]
    rooms: dict[str, tuple[str, ...]]  # room -> member names, both sorted


@dataclass(frozen=True)
class NodeView:
    name: str
    namespaces: tuple[NamespaceView, ...]

    def __str__(self) -> str:
        lines = [f"node {self.name}"]
        for ns in self.namespaces:
            lines.append(f"  namespace {ns.name}: {len(ns.sockets)} socket(s)")
            rooms = "; ".join(f"{r} ({', '.join(m)})" for r, m in ns.rooms.items())
            lines.append(f"    rooms: {rooms or 'none'}")
            lines += [
                f"    {s.name}  {s.transport}  rooms: {', '.join(s.rooms) or 'none'}"
                for s in ns.sockets
            ]
        return "\n".join(lines)


def describe_fact(fact: Fact) -> str:
    """One log line for a fact, with names, never socket ids."""
    ns = "" if fact.namespace == "/" else f" [{fact.namespace}]"
    if fact.kind == "received":
        return f"{fact.client} → {fact.event!r} {fact.data}{ns}"
    if fact.kind == "emit":
        where = ", ".join(fact.to) if fact.to else "everyone"
        if fact.excluded:
            where += " except " + ", ".join(fact.excluded)
        return f"emit {fact.event!r} {fact.data} → {where}{ns}"
    if fact.kind == "room":
        verb = "joined" if fact.event == "join" else "left"
        return f"{fact.client} {verb} {', '.join(fact.to)}{ns}"
    if fact.kind in ("connect", "disconnect"):
        return f"{fact.client} {fact.kind}ed{ns}"
    if fact.kind == "ack":
        return f"ack from {fact.client or 'a client'} {fact.data}{ns}"
    return f"{fact.kind} {fact.event!r} {fact.client}{ns}"


class Inspector:
    """Live state and an event log of one or more ``ObservedServer`` nodes."""

    def __init__(self, *servers: Any, log_size: int = LOG_SIZE) -> None:
        self.servers: list[ObservedServer] = [getattr(s, "sio", s) for s in servers]
        self.events: deque[Fact] = deque(maxlen=log_size)
        self.paused = False
        self._frozen: list[Fact] = []
        self._listeners: list[Callable[[], None]] = []
        for server in self.servers:
            server.facts.subscribe(self._on_fact)

    def _on_fact(self, fact: Fact) -> None:
        self.events.append(fact)
        for listener in list(self._listeners):
            listener()

    def subscribe(self, listener: Callable[[], None]) -> None:
        """Call ``listener()`` after each new event (views coalesce their redraws)."""
        self._listeners.append(listener)

    # --- state ----------------------------------------------------------------
    def node(self, name: str | None = None) -> ObservedServer:
        for server in self.servers:
            if name is None or server.name == name:
                return server
        raise ValueError(f"no node called {name!r}: known nodes are {self.node_names()}")

    def node_names(self) -> list[str]:
        return [s.name for s in self.servers]

    def snapshot(self, node: str | None = None) -> list[NodeView]:
        """Namespaces, rooms and sockets of each node (or of ``node``), sorted by name."""
        servers = self.servers if node is None else [self.node(node)]
        return [NodeView(s.name, tuple(_namespaces(s))) for s in servers]

    # --- the event log --------------------------------------------------------
    def pause(self) -> None:
        """Freeze the log as shown; events still arrive and appear on ``resume()``."""
        self._frozen, self.paused = list(self.events), True

    def resume(self) -> None:
        self._frozen, self.paused = [], False

    def log(
        self,
        socket: str | None = None,
        namespace: str | None = None,
        event: str | None = None,
        limit: int = 100,
    ) -> list[str]:
        """The last ``limit`` lines about ``socket``, in ``namespace``, for ``event``."""
        facts = self._frozen if self.paused else list(self.events)
        chosen = [
            describe_fact(f)
            for f in facts
            if (socket is None or socket in (f.client, f.cause) or socket in f.to)
            and (namespace is None or f.namespace == namespace)
            and (event is None or f.event == event)
        ]
        return chosen[-limit:]

    # --- actions --------------------------------------------------------------
    def _find(self, name: str, namespace: str, node: str | None) -> tuple[ObservedServer, str]:
        servers = self.servers if node is None else [self.node(node)]
        for server in servers:
            sid = server.sid_of(name, namespace)
            if sid is not None:
                return server, sid
        raise ValueError(f"no socket called {name!r} in {namespace}")

    async def join(
        self, name: str, room: str, namespace: str = "/", node: str | None = None
    ) -> None:
        server, sid = self._find(name, namespace, node)
        await server.enter_room(sid, room, namespace=namespace)

    async def leave(
        self, name: str, room: str, namespace: str = "/", node: str | None = None
    ) -> None:
        server, sid = self._find(name, namespace, node)
        await server.leave_room(sid, room, namespace=namespace)

    async def disconnect(self, name: str, namespace: str = "/", node: str | None = None) -> None:
        server, sid = self._find(name, namespace, node)
        await server.disconnect(sid, namespace=namespace)

    async def emit(
        self,
        event: str,
        data: Any = None,
        *,
        socket: str | None = None,
        room: str | None = None,
        namespace: str = "/",
        node: str | None = None,
    ) -> None:
        """Emit to one socket (by name) or one room; exactly one of them."""
        if (socket is None) == (room is None):
            raise ValueError("emit to a socket or to a room: give exactly one of them")
        if socket is not None:
            server, to = self._find(socket, namespace, node)
        elif room is not None:
            server, to = self.node(node), room
        await server.emit(event, data, to=to, namespace=namespace)


def _namespaces(server: ObservedServer) -> Iterable[NamespaceView]:
    """Read the manager's room table once: one pass, however many sockets."""
    for namespace in namespaces_in_use(server.manager):
        rooms = room_table(server.manager, namespace)
        members = dict(rooms.get(None, {}))
        rooms_of: dict[str, list[str]] = defaultdict(list)
        named_rooms: dict[str, tuple[str, ...]] = {}
        for room, sids in rooms.items():
            if room is None or room in members:
                continue
            for sid in sids:
                rooms_of[sid].append(room)
            named_rooms[room] = tuple(sorted(server.name_of(s, namespace) for s in sids))
        sockets = [
            SocketView(
                server.name_of(sid, namespace),
                namespace,
                _transport(server, eio_sid),
                tuple(sorted(rooms_of[sid])),
            )
            for sid, eio_sid in members.items()
        ]
        sockets.sort(key=lambda s: s.name)
        yield NamespaceView(namespace, tuple(sockets), dict(sorted(named_rooms.items())))


def _transport(server: ObservedServer, eio_sid: str) -> str:
    try:
        return server.eio.transport(eio_sid)
    except KeyError:
        return "gone"
