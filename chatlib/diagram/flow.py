"""The delivery diagram's model: each emit as a step, built from the delivery record.

A step is drawn as sender → server (node) → namespace and rooms → receivers.
Who *received* comes only from the clients' inboxes, the record the delivery
table is built from, so the diagram and the table cannot disagree. The
server's ``emit`` facts add what an inbox cannot know: whom the server
addressed, whom ``skip_sid`` excluded, who was outside the rooms, and which
acknowledgements came back or timed out. Pause, stepping and replay are
plain state here, so tests check them without a browser.
"""

from __future__ import annotations

import functools
from collections import defaultdict, deque
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any, Literal

from ..clients import ChatClient, Message
from ..facts import Fact
from ..log import describe

KEEP = 500
"""Steps remembered; older ones are forgotten (a burst must not grow memory without end)."""
WINDOW = 30
"""Steps the view can show and step through: "the last N"."""


@dataclass
class Step:
    """One arrow bundle: a client's send, or a server's emit and where it landed."""

    seq: int
    kind: Literal["send", "emit"]  # client → server, or server → clients
    node: str  # the server that handled or emitted it; "" when unknown
    sender: str  # the client who sent it or whose event the emit answers; "" if none
    namespace: str
    event: str
    data: str
    to: list[str] = field(default_factory=list)  # rooms / clients as written; [] = everyone
    targets: list[str] = field(default_factory=list)
    excluded: list[str] = field(default_factory=list)
    outside: list[str] = field(default_factory=list)
    received: list[str] = field(default_factory=list)
    wants_ack: bool = False
    acks: list[str] = field(default_factory=list)
    timeouts: list[str] = field(default_factory=list)

    @property
    def key(self) -> tuple[str, str, str]:
        return (self.namespace, self.event, self.data)

    def summary(self) -> str:
        """One line in words, e.g. ``alice → 'chat message' 'hi' → everyone except alice``."""
        if self.kind == "send":
            text = f"{self.sender} → {self.event!r} {self.data} → {self.node or 'server'}"
        else:
            where = ", ".join(self.to) if self.to else "everyone"
            if self.excluded:
                where += " except " + ", ".join(self.excluded)
            ns = "" if self.namespace == "/" else f" in {self.namespace}"
            text = f"{self.node or 'server'} → {self.event!r} {self.data} → {where}{ns}"
            text += f"; received by {', '.join(self.received) or 'nobody'}"
        if self.acks:
            text += f"; acked by {', '.join(self.acks)}"
        if self.timeouts:
            text += f"; timed out waiting for {', '.join(self.timeouts)}"
        return text

    def to_json(self) -> dict[str, Any]:
        fields = {name: getattr(self, name) for name in self.__dataclass_fields__}
        return {**fields, "summary": self.summary()}


class DeliveryFlow:
    """Steps built live from servers' facts and clients' inboxes and outboxes."""

    def __init__(
        self, servers: Iterable[Any], clients: Iterable[ChatClient], window: int = WINDOW
    ) -> None:
        self.servers = [getattr(s, "sio", s) for s in servers]
        self.clients = list(clients)
        self.window = window
        self.steps: deque[Step] = deque(maxlen=KEEP)
        self._evicted: deque[Step] = deque(maxlen=4 * KEEP)
        self.total = 0
        self.paused = False
        self.cursor: int | None = None  # index into view(); None follows the newest
        self._frozen: list[Step] | None = None
        self._total_at_pause = 0
        self._nodes = {s.url: s.name for s in servers if getattr(s, "running", False)}
        self._by_seq: dict[int, Step] = {}
        self._unclaimed: dict[tuple[str, str, str], list[Step]] = defaultdict(list)
        self._read: dict[str, tuple[int, int]] = {}
        self._listeners: list[Callable[[], None]] = []
        for server in self.servers:
            server.facts.subscribe(self._on_server_fact)
        for client in self.clients:
            self._read[client.name] = (len(client.inbox), len(client.outbox))
            client.subscribe(functools.partial(self._on_client_change, client))
            client.facts.subscribe(functools.partial(self._on_client_fact, client))

    # --- reading the record ------------------------------------------------
    def _on_server_fact(self, fact: Fact) -> None:
        if fact.kind == "emit":
            step = Step(
                fact.seq, "emit", fact.node, fact.cause, fact.namespace, fact.event, fact.data,
                list(fact.to), list(fact.targets), list(fact.excluded), list(fact.outside),
                wants_ack=fact.wants_ack,
            )  # fmt: skip
            self._unclaimed[step.key].append(step)
            self._add(step)
        elif fact.kind in ("ack", "timeout") and fact.about in self._by_seq:
            step = self._by_seq[fact.about]
            (step.acks if fact.kind == "ack" else step.timeouts).append(fact.client or "?")
            self._changed()

    def _on_client_change(self, client: ChatClient) -> None:
        inbox_read, outbox_read = self._read[client.name]
        if (inbox_read, outbox_read) == (len(client.inbox), len(client.outbox)):
            return
        self._read[client.name] = (len(client.inbox), len(client.outbox))
        for message in client.outbox[outbox_read:]:
            self._add(self._send_step(client, message))
        for message in client.inbox[inbox_read:]:
            self._claim(client, message)
        self._changed()

    def _on_client_fact(self, client: ChatClient, fact: Fact) -> None:
        """The server acknowledged a client's emit, or the client gave up waiting."""
        step = self._by_seq.get(fact.about) if fact.about is not None else None
        if step is not None:
            if fact.kind == "ack":
                step.acks.append(step.node or "server")
            elif fact.kind == "timeout":
                step.timeouts.append(step.node or "server")
            self._changed()

    def _send_step(self, client: ChatClient, message: Message) -> Step:
        node = self._nodes.get(client.server_url or "", "")
        data = describe(message.data)
        return Step(message.seq, "send", node, client.name, message.namespace, message.event, data)

    def _claim(self, client: ChatClient, message: Message) -> None:
        """Mark ``client`` as a receiver of the oldest matching step it has not received."""
        name = client.name
        key = (message.namespace, message.event, describe(message.data))
        candidates = self._unclaimed.get(key, [])
        for step in candidates:
            if name not in step.received and name not in step.excluded + step.outside:
                step.received.append(name)
                step.received.sort()
                if step.targets and set(step.targets) <= set(step.received):
                    self._forget(step, keep_seq=True)  # complete: no later message is its
                return
        # An emit this flow did not see (another node, or before it started).
        node = self._nodes.get(client.server_url or "", "")
        step = Step(message.seq, "emit", node, "", *key, received=[name])
        self._unclaimed[key].append(step)
        self._add(step)

    def _add(self, step: Step) -> None:
        if len(self.steps) == self.steps.maxlen:
            self._evict(self.steps[0])
        self.steps.append(step)
        self._by_seq[step.seq] = step
        self.total += 1
        self._changed()

    def _evict(self, step: Step) -> None:
        """Drop ``step`` from view; its late receipts still find it, for a while.

        A burst can emit faster than clients read: receipts of a step already
        out of view must not turn into steps of their own.
        """
        self._by_seq.pop(step.seq, None)
        if step in self._unclaimed.get(step.key, ()):
            if len(self._evicted) == self._evicted.maxlen:
                self._forget(self._evicted.popleft())
            self._evicted.append(step)

    def _forget(self, step: Step, keep_seq: bool = False) -> None:
        if not keep_seq:
            self._by_seq.pop(step.seq, None)
        waiting = self._unclaimed.get(step.key)
        if waiting and step in waiting:
            waiting.remove(step)
            if not waiting:
                del self._unclaimed[step.key]

    # --- what the view shows -----------------------------------------------
    def view(self) -> list[Step]:
        """The last ``window`` steps; frozen while paused."""
        if self._frozen is not None:
            return self._frozen
        return list(self.steps)[-self.window :]

    def shown(self) -> Step | None:
        """The step the diagram draws: the cursor's, or the newest when following live."""
        steps = self.view()
        if not steps:
            return None
        return steps[-1] if self.cursor is None else steps[min(self.cursor, len(steps) - 1)]

    def pause(self) -> None:
        """Freeze the view; new steps are still recorded and appear on ``resume()``."""
        if not self.paused:
            self._frozen = list(self.steps)[-self.window :]
            self._total_at_pause = self.total
            self.paused = True
            self._changed()

    def resume(self) -> None:
        """Follow the newest step again."""
        self.paused, self._frozen, self.cursor = False, None, None
        self._changed()

    def step(self, delta: int) -> Step | None:
        """Move through the last ``window`` steps (pausing first); return the step shown."""
        self.pause()
        steps = self.view()
        if steps:
            here = len(steps) - 1 if self.cursor is None else self.cursor
            self.cursor = max(0, min(len(steps) - 1, here + delta))
        self._changed()
        return self.shown()

    def show(self, index: int) -> Step | None:
        """Pause on the ``index``-th step of the view (0 is the oldest shown)."""
        self.pause()
        self.cursor = max(0, min(len(self.view()) - 1, index))
        self._changed()
        return self.shown()

    def state(self) -> dict[str, Any]:
        """Everything the browser view needs, as JSON."""
        steps = self.view()
        shown = self.shown()
        return {
            "nodes": [s.name for s in self.servers],
            "clients": [c.name for c in self.clients],
            "steps": [s.to_json() for s in steps],
            "shown": steps.index(shown) if shown is not None else -1,
            "paused": self.paused,
            "total": self.total,
            "waiting": self.total - self._total_at_pause if self.paused else 0,
        }

    # --- observers ----------------------------------------------------------
    def subscribe(self, listener: Callable[[], None]) -> None:
        self._listeners.append(listener)

    def _changed(self) -> None:
        for listener in list(self._listeners):
            listener()
