"""The delivery record: who sent what, who received it, and a barrier to wait on.

``settle()`` is the one way a lesson waits. It never sleeps for a guess: it
waits until the servers have read and handled everything the clients sent,
then sends a marker behind everything the servers emitted. Socket.IO keeps
the order of packets on one connection, so once a client holds the marker it
holds everything emitted to it before. What arrived since the last settle is
returned as a ``Delivery``: a deterministic table, which is what notebooks print.

With several nodes sharing a message queue (``chatlib.scale.cluster``), a node's
emit reaches other nodes' clients through the queue, behind that node's own
earlier messages. So each server sends its own marker, the same way, and a
client waits for the marker of every server that can reach it.
"""

from __future__ import annotations

import asyncio
import uuid
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from html import escape
from typing import Any

from socketio import exceptions
from socketio.async_pubsub_manager import AsyncPubSubManager

from .clients import ChatClient, Message
from .log import describe
from .observed import ObservedServer
from .protocol import SETTLE_EVENT

RECEIVED, NOT_RECEIVED = "✓", "·"


class SettleTimeout(TimeoutError):
    """``settle()`` gave up; the message names who is missing what."""


@dataclass
class Row:
    """One distinct message and how many times each client received it."""

    sender: str
    namespace: str
    event: str
    data: str
    counts: Counter[str] = field(default_factory=Counter)


@dataclass
class Delivery:
    """What a set of clients sent and received between two ``settle()`` calls."""

    names: list[str]
    rows: list[Row]

    def receivers(self, event: str | None = None, namespace: str | None = None) -> list[str]:
        """Sorted names of the clients that received ``event`` (any event when None)."""
        return sorted(
            {
                name
                for row in self.rows
                if (event is None or row.event == event)
                and (namespace is None or row.namespace == namespace)
                for name in row.counts
            }
        )

    def _cells(self) -> tuple[list[str], list[list[str]]]:
        show_ns = any(row.namespace != "/" for row in self.rows)
        header = ["from", *(["namespace"] if show_ns else []), "event", "data", *self.names]
        body = []
        for row in self.rows:
            marks = [_mark(row.counts[name]) for name in self.names]
            ns = [row.namespace] if show_ns else []
            body.append([row.sender, *ns, row.event, row.data, *marks])
        return header, body

    def __str__(self) -> str:
        if not self.rows:
            return "nothing was sent or received"
        header, body = self._cells()
        widths = [max(len(r[i]) for r in [header, *body]) for i in range(len(header))]
        lines = [
            "  ".join(c.ljust(w) for c, w in zip(r, widths, strict=True)) for r in [header, *body]
        ]
        return "\n".join(line.rstrip() for line in lines)

    __repr__ = __str__

    def _repr_html_(self) -> str:
        if not self.rows:
            return "<p><em>nothing was sent or received</em></p>"
        header, body = self._cells()
        head = "".join(f"<th>{escape(c)}</th>" for c in header)
        rows = "".join("<tr>" + "".join(f"<td>{escape(c)}</td>" for c in r) + "</tr>" for r in body)
        return f"<table><thead><tr>{head}</tr></thead><tbody>{rows}</tbody></table>"


def _mark(count: int) -> str:
    if count == 0:
        return NOT_RECEIVED
    return RECEIVED if count == 1 else f"{RECEIVED}×{count}"


def record(clients: Iterable[ChatClient]) -> Delivery:
    """Build the table from what each client sent and received since the last call."""
    clients = list(clients)
    rows: dict[tuple[str, str, str], Row] = {}
    order: dict[tuple[str, str, str], int] = {}
    for client in clients:
        received, sent = client.unread()
        for message in sent:
            row = _row_for(rows, order, message)
            if row.sender == "server":
                row.sender = client.name
        for message in received:
            _row_for(rows, order, message).counts[client.name] += 1
    ordered = sorted(rows, key=order.__getitem__)
    return Delivery([c.name for c in clients], [rows[key] for key in ordered])


def _row_for(rows: dict, order: dict, message: Message) -> Row:
    key = (message.namespace, message.event, describe(message.data))
    if key not in rows:
        rows[key] = Row("server", *key)
        order[key] = message.seq
    order[key] = min(order[key], message.seq)
    return rows[key]


async def settle(*participants: Any, timeout: float = 5.0) -> Delivery:
    """Wait until everything sent so far has landed; return what landed.

    ``participants`` are servers (``ObservedServer`` or anything with an
    ``sio`` attribute holding one) and ``ChatClient``s, or lists of them.
    Every wait is bounded by ``timeout``; the error names who is missing.
    """
    servers, clients = _split(participants)
    connected = [c for c in clients if c.connected]
    await asyncio.gather(*(_ask_server_to_catch_up(c, timeout) for c in connected))
    for server in servers:
        await server.wait_idle(timeout)
    tokens = {id(server): f"{uuid.uuid4().hex}:{server.name}" for server in servers}
    waiters = {
        (c.name, tokens[id(s)]): c.expect_marker(tokens[id(s)])
        for c in connected
        for s in _senders(servers, c)
    }
    for server in servers:
        await server.send_marker(tokens[id(server)], _marker_namespaces(server, servers))
    _done, pending = await asyncio.wait(waiters.values(), timeout=timeout) if waiters else ((), ())
    if pending:
        missing = sorted({name for (name, _), w in waiters.items() if w in pending})
        for waiter in pending:
            waiter.cancel()
        raise SettleTimeout(
            f"{', '.join(missing)} did not receive the barrier within {timeout} s: something "
            "sent to them is still on its way, or they are connected to a server not passed "
            "to settle()"
        )
    return record(clients)


async def wait_until(
    condition: Callable[[], bool], *, timeout: float = 5.0, what: str = "the condition"
) -> None:
    """Check ``condition`` every 10 ms until it holds; after ``timeout`` s raise, naming ``what``.

    For what no barrier covers, such as the server noticing a disconnect.
    """
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while not condition():
        if loop.time() >= deadline:
            raise TimeoutError(f"{what} did not happen within {timeout} s")
        await asyncio.sleep(0.01)


def _senders(servers: list[ObservedServer], client: ChatClient) -> list[ObservedServer]:
    """The servers whose barrier must reach ``client`` before it has everything.

    Its own server, and every server sharing a message queue with it: a message
    that another node emitted travels through the queue, so only that node's
    own marker, sent the same way after it, proves it has arrived. A client on
    no server given to ``settle()`` waits for all of them (and times out).
    """
    home = next((s for s in servers if client.eio.sid in s.eio.sockets), None)
    if home is None:
        return servers
    return [s for s in servers if s is home or _shares_queue(s, home)]


def _marker_namespaces(server: ObservedServer, servers: list[ObservedServer]) -> list[str]:
    """Every namespace in use on ``server`` or on a node it shares a queue with.

    A node with no client of its own in a namespace must still send its marker
    there: its earlier emits went to the other nodes' clients in it.
    """
    peers = [s for s in servers if s is server or _shares_queue(s, server)]
    return sorted({ns for peer in peers for ns in peer.manager.get_namespaces()})


def _shares_queue(one: ObservedServer, other: ObservedServer) -> bool:
    queue = _queue_of(one)
    return queue is not None and queue == _queue_of(other)


def _queue_of(server: ObservedServer) -> tuple[str, str, str] | None:
    """What identifies a server's message queue (None for the in-memory manager)."""
    manager = server.manager
    if not isinstance(manager, AsyncPubSubManager):
        return None
    where = getattr(manager, "redis_url", None) or getattr(manager, "url", None)
    return type(manager).__name__, manager.channel, str(where)


async def _ask_server_to_catch_up(client: ChatClient, timeout: float) -> None:
    namespace = next(iter(client.namespaces), "/")
    try:
        await client.call(SETTLE_EVENT, namespace=namespace, timeout=timeout)
    except exceptions.TimeoutError:
        raise SettleTimeout(
            f"the server did not answer {client.name} within {timeout} s: it is stopped, "
            "or busy in a handler that does not return"
        ) from None


def _split(participants: Iterable[Any]) -> tuple[list[ObservedServer], list[ChatClient]]:
    servers: list[ObservedServer] = []
    clients: list[ChatClient] = []
    for item in participants:
        if isinstance(item, list | tuple):
            more_servers, more_clients = _split(item)
            servers += more_servers
            clients += more_clients
        elif isinstance(item, ChatClient):
            clients.append(item)
        elif isinstance(getattr(item, "sio", item), ObservedServer):
            servers.append(getattr(item, "sio", item))
        else:
            raise TypeError(f"settle() takes servers and ChatClients, not {item!r}")
    return servers, clients
