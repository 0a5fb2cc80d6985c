"""Structured facts about delivery, for views that draw it rather than print it.

The server log is text for people; a diagram or an inspector needs the same
moments as data: who an emit addressed and who it left out, which socket
acknowledged, which wait timed out. ``ObservedServer`` and ``ChatClient``
each keep a ``FactLog`` next to their log and inbox. Facts are numbered from
the same counter as client ``Message``s, so the two records interleave in the
order things happened in this process.
"""

from __future__ import annotations

import itertools
from collections import deque
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any, Literal

from ._engine.managers import participants

sequence = itertools.count()
"""One counter for messages and facts: their ``seq`` orders them against each other."""

FactListener = Callable[["Fact"], None]


FactKind = Literal["connect", "disconnect", "received", "emit", "room", "ack", "timeout"]
"""What a ``Fact`` records; see ``Fact``."""


@dataclass(frozen=True)
class Fact:
    """One thing a server or client did, with names instead of socket ids.

    ``kind`` is one of: ``connect``, ``disconnect``, ``received`` (a server
    read a client's event), ``emit`` (a server sent an event), ``room`` (a
    socket joined or left a room; ``event`` is ``join`` or ``leave`` and
    ``to`` the room), ``ack`` (an acknowledgement arrived), ``timeout`` (a
    wait for one gave up).
    """

    seq: int
    kind: FactKind
    node: str
    namespace: str = "/"
    event: str = ""
    data: str = ""
    client: str = ""
    """Who this is about: the sender of ``received``, who acked or timed out, who joined."""
    cause: str = ""
    """For ``emit``: the client whose event the emitting handler was answering."""
    to: tuple[str, ...] = ()
    """For ``emit``: the targets as written (room names, client names); () means everyone."""
    targets: tuple[str, ...] = ()
    """For ``emit``: the clients this node addressed (participants are node-local)."""
    excluded: tuple[str, ...] = ()
    """For ``emit``: clients left out by ``skip_sid``."""
    outside: tuple[str, ...] = ()
    """For ``emit``: clients in the namespace that are not in any targeted room."""
    wants_ack: bool = False
    about: int | None = None
    """For ``ack``/``timeout``: the ``seq`` of the emit fact or ``Message`` answered."""


class FactLog:
    """A bounded list of facts that tells its listeners about each new one."""

    def __init__(self, maxlen: int = 2000) -> None:
        self._facts: deque[Fact] = deque(maxlen=maxlen)
        self._listeners: list[FactListener] = []

    def add(self, kind: FactKind, node: str, **fields: object) -> Fact:
        fact = Fact(next(sequence), kind, node, **fields)  # type: ignore[arg-type]
        self._facts.append(fact)
        for listener in list(self._listeners):
            listener(fact)
        return fact

    def subscribe(self, listener: FactListener) -> None:
        self._listeners.append(listener)

    def unsubscribe(self, listener: FactListener) -> None:
        if listener in self._listeners:
            self._listeners.remove(listener)

    def of(self, *kinds: str) -> list[Fact]:
        return [f for f in self._facts if not kinds or f.kind in kinds]

    def __iter__(self) -> Iterator[Fact]:
        return iter(list(self._facts))

    def __len__(self) -> int:
        return len(self._facts)


class ClientNames(dict[tuple[str, str], str]):
    """``{(namespace, sid): name}`` of a server's clients, and the sorted names of audiences.

    Every emit fact lists its audience's names sorted. Looking up and sorting a
    few hundred names cost more per emit than the rest of the fact, yet the
    audience rarely changes from one broadcast to the next; so the sorted names
    of recent audiences are kept until any name is set or removed (the only
    ways a server changes this mapping).
    """

    KEPT = 16
    """Audiences remembered at once; more start the memo afresh."""

    def __init__(self) -> None:
        super().__init__()
        self._sorted: dict[tuple[str, frozenset[str]], tuple[str, ...]] = {}

    def __setitem__(self, key: tuple[str, str], value: str) -> None:
        self._sorted.clear()
        super().__setitem__(key, value)

    def __delitem__(self, key: tuple[str, str]) -> None:
        self._sorted.clear()
        super().__delitem__(key)

    def pop(self, key: tuple[str, str], default: Any = None) -> Any:
        self._sorted.clear()
        return super().pop(key, default)

    def sorted_names(self, namespace: str, sids: set[str]) -> tuple[str, ...]:
        """The names of ``sids`` in ``namespace``, sorted; sockets without a name left out."""
        if not sids:
            return ()
        key = (namespace, frozenset(sids))
        found = self._sorted.get(key)
        if found is None:
            if len(self._sorted) >= self.KEPT:
                self._sorted.clear()
            named = map(self.get, zip(itertools.repeat(namespace), sids))
            found = self._sorted[key] = tuple(sorted([n for n in named if n is not None]))
        return found


def audience(
    manager: Any, names: ClientNames, to: Any, skip_sid: Any, namespace: str
) -> dict[str, tuple[str, ...]]:
    """Whom an emit addresses on this node, whom ``skip_sid`` excludes, who is outside.

    Computed from the manager's rooms at the moment of the emit, as python-socketio
    does itself; clients without a name (not ``ChatClient``s) are left out.
    """
    # participants() and map() walk the rooms and names in C: this runs once per emit, and
    # at a few hundred receivers it was most of a broadcast's cost outside the writes.
    everyone = set(participants(manager, namespace, None))
    to = to or None  # python-socketio sends an emit with ``to=[]`` to everyone
    written = [] if to is None else [to] if isinstance(to, str) else list(to)
    if to is None:
        addressed = everyone
    else:
        addressed = set(participants(manager, namespace, written)) if written else set()
    skip = set() if not skip_sid else {skip_sid} if isinstance(skip_sid, str) else set(skip_sid)

    return {
        "to": tuple(names.get((namespace, item), item) for item in written),
        "targets": names.sorted_names(namespace, addressed - skip),
        "excluded": names.sorted_names(namespace, everyone & skip),
        "outside": names.sorted_names(namespace, everyone - addressed - skip),
    }
