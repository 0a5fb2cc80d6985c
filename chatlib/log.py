"""The server's "proof of life": a bounded, observable list of what it did.

Lessons print filtered, sorted views of it; the server pane redraws from it.
Entries name clients ("alice") rather than socket ids, so that what a
notebook prints is the same on every run.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable, Iterator
from dataclasses import dataclass

Listener = Callable[["LogEntry"], None]


@dataclass(frozen=True)
class LogEntry:
    """One line of the server log; ``kind`` lets a lesson filter the lines it shows."""

    kind: str  # connect, disconnect, received, emit, room, error, refused, dropped, limit
    text: str

    def __str__(self) -> str:
        return self.text


class ServerLog:
    """A bounded log that tells its listeners about each new entry."""

    def __init__(self, maxlen: int = 1000) -> None:
        self._entries: deque[LogEntry] = deque(maxlen=maxlen)
        self._listeners: list[Listener] = []

    def add(self, kind: str, text: str) -> None:
        entry = LogEntry(kind, text)
        self._entries.append(entry)
        for listener in list(self._listeners):
            listener(entry)

    def subscribe(self, listener: Listener) -> None:
        self._listeners.append(listener)

    def unsubscribe(self, listener: Listener) -> None:
        if listener in self._listeners:
            self._listeners.remove(listener)

    def clear(self) -> None:
        self._entries.clear()

    def lines(self, *kinds: str) -> list[str]:
        """The entries' texts in order, only of ``kinds`` when given."""
        return [e.text for e in self._entries if not kinds or e.kind in kinds]

    def __iter__(self) -> Iterator[LogEntry]:
        return iter(list(self._entries))

    def __len__(self) -> int:
        return len(self._entries)


def describe(data: object, limit: int = 60) -> str:
    """A short, stable rendering of an event's payload for logs and tables.

    A tuple stands for several arguments, as in python-socketio's ``emit``.
    Long payloads are cut so one line never floods a pane.
    """
    if isinstance(data, tuple):
        text = ", ".join(describe(item, limit) for item in data)
    elif isinstance(data, bytes | bytearray):
        text = f"<{len(data)} bytes>"
    else:
        text = repr(data)
    return text if len(text) <= limit else text[: limit - 1] + "…"
