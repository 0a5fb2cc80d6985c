"""Hold clients on a server for many ping cycles and count what went wrong.

A connection that survives a few seconds proves nothing about one a learner
keeps open while reading a cell: the 45-second drop this guards against only
showed once a client outlived ``ping_interval + ping_timeout``. ``hold`` keeps
six clients on a server, first silent, then chatting, for as long as asked,
and reports every disconnect, every message lost or received twice, and how
many pings each client answered (proof that the short ping settings of a fast
test really took effect).
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from chatlib import ChatClient

CAST: dict[str, list[str] | None] = {
    "idle-ws": ["websocket"],
    "idle-polling": ["polling"],
    "idle-upgraded": None,
    "busy-ws": ["websocket"],
    "busy-polling": ["polling"],
    "busy-upgraded": None,
}
"""Who holds the connection, and over which transport (None: polling first, then the
upgrade to websocket, as browsers connect). Only the busy ones send."""


class PingCounter(logging.Handler):
    """Counts the PING packets an Engine.IO client logs as received."""

    def __init__(self) -> None:
        super().__init__(logging.INFO)
        self.pings = 0

    def emit(self, record: logging.LogRecord) -> None:
        if record.getMessage().startswith("Received packet PING"):
            self.pings += 1


def counting_logger(name: str) -> tuple[logging.Logger, PingCounter]:
    logger = logging.getLogger(f"tests.holding.{name}.{id(object())}")
    logger.setLevel(logging.INFO)
    logger.propagate = False
    counter = PingCounter()
    logger.addHandler(counter)
    return logger, counter


@dataclass
class Held:
    """One client's record over the hold."""

    client: ChatClient
    pings: PingCounter
    disconnects: int = 0
    sent: list[str] = field(default_factory=list)
    refused: list[Any] = field(default_factory=list)
    text_at: int = 0
    """Where the text stands among a chat message's arguments (the classroom sends the
    sender's name first; a durable server adds the message's id after it)."""

    def texts(self) -> list[str]:
        """The chat texts this client received."""
        at = self.text_at
        inbox = self.client.inbox
        return [str(m.data[at]) for m in inbox if m.event == "chat message" and len(m.data) > at]


@dataclass
class Report:
    seconds: float
    clients: dict[str, Held]
    dropped: dict[str, int]
    """Disconnects each client saw during the hold (before it said goodbye itself)."""

    def disconnects(self) -> dict[str, int]:
        return self.dropped

    def pings(self) -> dict[str, int]:
        return {name: held.pings.pings for name, held in self.clients.items()}

    def lost_and_duplicated(self) -> dict[str, tuple[int, int]]:
        """For each client: messages it never got, and messages it got more than once."""
        sent = [text for held in self.clients.values() for text in held.sent]
        result = {}
        for name, held in self.clients.items():
            got = Counter(held.texts())
            lost = sum(1 for text in sent if text not in got)
            duplicated = sum(count - 1 for count in got.values() if count > 1)
            result[name] = (lost, duplicated)
        return result

    def sent(self) -> int:
        return sum(len(held.sent) for held in self.clients.values())


async def hold(
    url: str,
    *,
    idle_seconds: float,
    busy_seconds: float,
    every: float = 0.5,
    auth: dict[str, Any] | None = None,
    text_at: int = 0,
    tag: str = "",
) -> Report:
    """Connect the cast, stay silent ``idle_seconds``, chat ``busy_seconds``, then settle.

    Busy clients send a ``chat message`` every ``every`` seconds and check its
    acknowledgement. Clients do not reconnect: a drop must show, not heal.
    ``tag`` ends every name: holds running side by side in one process need
    names of their own, since a ``ChatClient`` connecting under a name takes
    over from a live client of that name (it disconnects it).
    """
    held: dict[str, Held] = {}
    for role, transports in CAST.items():
        name = role + tag
        logger, pings = counting_logger(name)
        client = ChatClient(name, reconnection=False, engineio_logger=logger)
        record = Held(client, pings, text_at=text_at)
        client.on("disconnect", _counter(record))
        await client.connect(url, auth={**(auth or {}), "name": name}, transports=transports)
        held[name] = record
    started = time.monotonic()
    await asyncio.sleep(idle_seconds)  # the hold itself: nothing to wait for but time
    deadline = time.monotonic() + busy_seconds
    busy = [record for name, record in held.items() if name.startswith("busy")]
    n = 0
    while time.monotonic() < deadline:
        for record in busy:
            n += 1
            text = f"{record.client.name} #{n}"
            answer = await record.client.call("chat message", text, timeout=5)
            record.sent.append(text)
            if not (isinstance(answer, dict) and answer.get("ok")):
                record.refused.append(answer)
        await asyncio.sleep(every)
    seconds = time.monotonic() - started
    await _until_everyone_has(held, [text for record in busy for text in record.sent])
    report = Report(seconds, held, {name: r.disconnects for name, r in held.items()})
    await asyncio.gather(*(r.client.disconnect() for r in held.values() if r.client.connected))
    return report


def _counter(record: Held) -> Any:
    def disconnected(*_reason: Any) -> None:
        record.disconnects += 1

    return disconnected


async def _until_everyone_has(held: dict[str, Held], texts: list[str], timeout: float = 10) -> None:
    """Wait (bounded) until each connected client has received every text sent."""
    wanted = set(texts)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if all(wanted <= set(r.texts()) for r in held.values() if r.client.connected):
            return
        await asyncio.sleep(0.05)
