"""One server-side emit, described once and written both ways: JavaScript and Python.

An ``EmitPlan`` is what the emit playground edits: who triggers the emit (the
sender), which rooms or socket it targets, which rooms it skips, whether the
sender is left out, the namespace, and "this node only". From that one
description it writes the socket.io line, the python-socketio line, and
performs the Python emit on a live server. Keeping this free of widgets lets
tests check it without a browser, and lets the cross-check run the very
JavaScript it prints on a real socket.io server.

In the JavaScript text, ``socket`` is the sender's socket (in the plan's
namespace) and ``idOf(name)`` stands for however the app knows that client's
socket id. In the Python text, ``sid`` is the sender's socket id, as a
handler receives it.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from ..observed import ObservedServer
from .broadcast import emit_except

EVENT = "hello"


def _q(text: str) -> str:
    """A string literal valid in both languages."""
    return json.dumps(text)


def _one_or_list(items: list[str]) -> str:
    return items[0] if len(items) == 1 else "[" + ", ".join(items) + "]"


@dataclass(frozen=True)
class Member:
    """A connected client as a prediction needs it: its rooms in the plan's namespace
    (without its own sid room) and whether it is connected to the emitting node."""

    name: str
    rooms: frozenset[str]
    on_this_node: bool = True


@dataclass(frozen=True)
class EmitPlan:
    """Who an emit targets; ``sender`` is the client whose event triggered it."""

    sender: str
    rooms: tuple[str, ...] = ()
    socket: str | None = None
    namespace: str = "/"
    except_rooms: tuple[str, ...] = ()
    include_sender: bool = True
    local: bool = False
    data: str = "hi"

    # --- what it says --------------------------------------------------------
    def describe(self) -> str:
        """The plan in words, e.g. for the playground's summary line."""
        parts = []
        if self.rooms or self.socket:
            who = list(self.rooms) + ([self.socket] if self.socket else [])
            parts.append("to " + " and/or ".join(who))
        else:
            parts.append("to everyone")
        if self.except_rooms:
            parts.append("except those in " + ", ".join(self.except_rooms))
        if not self.include_sender:
            parts.append(f"except the sender ({self.sender})")
        if self.namespace != "/":
            parts.append(f"in {self.namespace}")
        if self.local:
            parts.append("on this node only")
        return ", ".join(parts)

    def _js_targets(self) -> list[str]:
        return [_q(r) for r in self.rooms] + ([f"idOf({_q(self.socket)})"] if self.socket else [])

    def javascript(self) -> str:
        """The socket.io line (inside a handler where ``socket`` is the sender's socket)."""
        emit = f".emit({_q(EVENT)}, {_q(self.data)});"
        targets = self._js_targets()
        if (
            self.include_sender
            and self.socket == self.sender
            and not self.rooms
            and not self.except_rooms
            and not self.local
        ):
            return "socket" + emit  # the basic emit: only the sender
        if self.include_sender:
            chain = "io" if self.namespace == "/" else f"io.of({_q(self.namespace)})"
        else:
            chain = "socket" if targets or self.except_rooms else "socket.broadcast"
        if self.local:
            chain += ".local"
        if targets:
            chain += f".to({_one_or_list(targets)})"
        if self.except_rooms:
            chain += f".except({_one_or_list([_q(r) for r in self.except_rooms])})"
        return chain + emit

    def _py_targets(self) -> list[str]:
        ns = "" if self.namespace == "/" else f", {_q(self.namespace)}"
        return [_q(r) for r in self.rooms] + (
            [f"sio.sid_of({_q(self.socket)}{ns})"] if self.socket else []
        )

    def python(self) -> str:
        """The python-socketio line (inside a handler that received the sender's ``sid``)."""
        args = [_q(EVENT), _q(self.data)]
        targets = self._py_targets()
        if targets:
            args.append(f"to={_one_or_list(targets)}")
        if self.except_rooms:
            args.append(f"except_rooms={_one_or_list([_q(r) for r in self.except_rooms])}")
        if not self.include_sender:
            args.append("skip_sid=sid")
        if self.namespace != "/":
            args.append(f"namespace={_q(self.namespace)}")
        if self.local:
            args.append("ignore_queue=True")
        if self.except_rooms:
            return f"await emit_except(sio, {', '.join(args)})"
        return f"await sio.emit({', '.join(args)})"

    def caveat(self) -> str | None:
        """What the Python line does differently from socket.io's on several nodes, if anything."""
        if not self.except_rooms:
            return None
        rooms = ", ".join(self.except_rooms)
        return (
            f"this node only: the Python line skips the members of {rooms} that this node "
            "knows; one connected to another node still receives it, where socket.io's "
            ".except() skips them on every node"
        )

    def predict(self, members: Iterable[Member]) -> list[str]:
        """Sorted names of the ``members`` the Python line reaches.

        The Python line, not socket.io's: ``except_rooms`` skips only members
        on this node (see ``caveat``), and "this node only" reaches no other.
        """
        reached = []
        for member in members:
            if self.local and not member.on_this_node:
                continue
            if (self.rooms or self.socket) and not (
                member.rooms & set(self.rooms) or member.name == self.socket
            ):
                continue
            if not self.include_sender and member.name == self.sender:
                continue
            if member.on_this_node and member.rooms & set(self.except_rooms):
                continue
            reached.append(member.name)
        return sorted(reached)

    # --- doing it ------------------------------------------------------------
    def emit_arguments(
        self, sio: ObservedServer, sids: Mapping[str, str] | None = None
    ) -> dict[str, Any]:
        """The keyword arguments of the Python emit, with real socket ids.

        ``sio`` names only its own clients; ``sids`` (name to socket id in the
        plan's namespace) supplies the others, e.g. clients of another node
        sharing the queue, which an emit ``to`` their id still reaches.
        """
        sids = sids or {}

        def sid_of(name: str) -> str | None:
            return sio.sid_of(name, self.namespace) or sids.get(name)

        targets: list[str] = list(self.rooms)
        if self.socket:
            sid = sid_of(self.socket)
            if sid is None:
                raise LookupError(f"{self.socket} is not connected to {self.namespace}")
            targets.append(sid)
        arguments: dict[str, Any] = {
            "to": None if not targets else targets[0] if len(targets) == 1 else targets,
            "namespace": self.namespace,
            "ignore_queue": self.local,
        }
        if not self.include_sender:
            sender_sid = sid_of(self.sender)
            if sender_sid is None:
                raise LookupError(
                    f"the sender {self.sender} has no socket in {self.namespace} to leave out"
                )
            arguments["skip_sid"] = sender_sid
        return arguments

    async def send(self, sio: ObservedServer, sids: Mapping[str, str] | None = None) -> None:
        """Perform the Python line on ``sio`` (``sids``: see ``emit_arguments``)."""
        arguments = self.emit_arguments(sio, sids)
        if self.except_rooms:
            await emit_except(sio, EVENT, self.data, except_rooms=self.except_rooms, **arguments)
        else:
            await sio.emit(EVENT, self.data, **arguments)
