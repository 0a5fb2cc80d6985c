"""Headless chat clients that remember everything they send and receive.

A ``ChatClient`` is a python-socketio ``AsyncClient`` with a name. It records
each event the moment its packet is read, before any handler runs, so the
record keeps the order of the wire even though handlers run concurrently.
It never touches ipywidgets: panes observe it through ``subscribe``.
"""

from __future__ import annotations

import asyncio
import inspect
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from socketio import exceptions

from ._engine.recovery import RecoveringClient
from .facts import FactLog, sequence
from .log import describe
from .protocol import INTERNAL_EVENTS, MARKER_EVENT, RESERVED_EVENTS

_sequence = sequence
_live: dict[str, ChatClient] = {}


@dataclass(frozen=True)
class Message:
    """One event a client received (``incoming``) or emitted."""

    seq: int
    incoming: bool
    event: str
    data: tuple[Any, ...]
    namespace: str = "/"

    def __str__(self) -> str:
        arrow = "←" if self.incoming else "→"
        where = "" if self.namespace == "/" else f" [{self.namespace}]"
        return f"{arrow} {self.event} {describe(self.data)}{where}"


class ChatClient(RecoveringClient):
    """An ``AsyncClient`` named ``name`` that keeps its inbox and outbox.

    Defaults suit a notebook: no SIGINT handler (Interrupt must not kill the
    kernel's tasks) and websocket only (a polling client takes ~30 s to close).
    Against a server with connection state recovery it asks to be recovered
    after a lost connection; ``recovered`` tells whether it was. The offset
    each event then carries is taken off first: no handler and no inbox sees it.
    """

    def __init__(self, name: str, **client_options: Any) -> None:
        client_options.setdefault("handle_sigint", False)
        super().__init__(**client_options)
        self.name = name
        self.inbox: list[Message] = []
        self.outbox: list[Message] = []
        self.connect_errors: list[Any] = []
        self.facts = FactLog()
        """Acknowledgements this client got and waits that timed out (see ``chatlib.facts``)."""
        self.server_url: str | None = None
        self._inbox_read = 0
        self._outbox_read = 0
        self._listeners: list[Callable[[], None]] = []
        self._marker_waiters: dict[str, asyncio.Future[None]] = {}

    def __repr__(self) -> str:
        state = "connected" if self.connected else "not connected"
        return f"<ChatClient {self.name} ({state})>"

    # --- connecting --------------------------------------------------------
    async def connect(
        self,
        url: str,
        *,
        auth: dict[str, Any] | Callable[[], dict[str, Any]] | None = None,
        namespaces: list[str] | None = None,
        transports: list[str] | None = None,
        wait_timeout: float = 5,
        **options: Any,
    ) -> None:
        """Connect as ``self.name``; a previous live client of that name is disconnected.

        The name travels in ``auth`` so the server can log "alice" instead of
        a socket id. ``auth`` may be a callable, re-evaluated on each reconnect.
        """
        previous = _live.get(self.name)
        if previous is not None and previous is not self and previous.connected:
            await previous.disconnect()
        _live[self.name] = self
        self.server_url = url
        await super().connect(
            url,
            auth=self._auth_with_name(auth),
            namespaces=namespaces,
            transports=transports or ["websocket"],
            wait_timeout=wait_timeout,
            **options,
        )

    def _auth_with_name(self, auth: Any) -> Any:
        if callable(auth):
            return lambda: {"name": self.name, **auth()}
        return {"name": self.name, **(auth or {})}

    async def disconnect(self) -> None:
        await super().disconnect()
        if _live.get(self.name) is self:
            del _live[self.name]
        self._notify()

    # --- sending -----------------------------------------------------------
    async def emit(
        self, event: str, data: Any = None, namespace: str | None = None, callback: Any = None
    ) -> None:
        if event in RESERVED_EVENTS:
            raise ValueError(
                f"{event!r} is a reserved Socket.IO event name: the server would treat it as "
                "its own lifecycle event. Pick another name."
            )
        if (namespace or "/") not in self.namespaces:
            raise exceptions.BadNamespaceError(
                f"{self.name} is not connected to {namespace or '/'}: connect first"
            )
        if event not in INTERNAL_EVENTS:
            args = data if isinstance(data, tuple) else (() if data is None else (data,))
            message = Message(next(_sequence), False, event, args, namespace or "/")
            self.outbox.append(message)
            if callback is not None:
                callback = self._record_ack(callback, message)
            self._notify()
        await super().emit(event, data, namespace=namespace, callback=callback)

    async def call(
        self, event: str, data: Any = None, namespace: str | None = None, timeout: float = 60
    ) -> Any:
        """``AsyncClient.call``, plus a ``timeout`` fact when the server never answers."""
        sent = len(self.outbox)
        try:
            return await super().call(event, data, namespace=namespace, timeout=timeout)
        except exceptions.TimeoutError:
            asked = next((m for m in self.outbox[sent:] if m.event == event), None)
            if asked is not None:
                self.facts.add(
                    "timeout",
                    "",
                    namespace=asked.namespace,
                    event=event,
                    client=self.name,
                    about=asked.seq,
                )
                self._notify()
            raise

    def _record_ack(self, callback: Any, message: Message) -> Any:
        """Wrap an emit's callback so the server's acknowledgement becomes an ``ack`` fact."""

        def record(args: tuple[Any, ...]) -> None:
            self.facts.add(
                "ack",
                "",
                namespace=message.namespace,
                event=message.event,
                client=self.name,
                data=describe(args),
                about=message.seq,
            )
            self._notify()

        if inspect.iscoroutinefunction(callback):  # the client awaits only coroutine functions

            async def acked_async(*args: Any) -> Any:
                record(args)
                return await callback(*args)

            return acked_async

        def acked(*args: Any) -> Any:
            record(args)
            return callback(*args)

        return acked

    async def chat(self, text: str) -> None:
        """Send a chat message, as the tutorial's page does on submit."""
        await self.emit("chat message", text)

    # --- receiving ---------------------------------------------------------
    def on_event_packet(self, namespace: str, data: list[Any]) -> bool:
        event, args = data[0], tuple(data[1:])
        if event == MARKER_EVENT:
            waiter = self._marker_waiters.pop(args[0] if args else "", None)
            if waiter is not None and not waiter.done():
                waiter.set_result(None)
            return False
        self.inbox.append(Message(next(_sequence), True, event, args, namespace))
        self._notify()
        return super().on_event_packet(namespace, data)

    async def on_handler(self, event: str, namespace: str, args: tuple[Any, ...]) -> Any:
        if event == "connect_error":
            self.connect_errors.append(args[0] if len(args) == 1 else args)
        try:
            return await super().on_handler(event, namespace, args)
        finally:
            if event in ("connect", "disconnect", "connect_error"):
                self._notify()

    def expect_marker(self, token: str) -> asyncio.Future[None]:
        """A future resolved when the server's barrier ``token`` arrives."""
        waiter: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._marker_waiters[token] = waiter
        return waiter

    # --- reading the record ------------------------------------------------
    def unread(self) -> tuple[list[Message], list[Message]]:
        """What arrived and what was sent since the last call (the delivery record's cursor)."""
        received, sent = self.inbox[self._inbox_read :], self.outbox[self._outbox_read :]
        self._inbox_read, self._outbox_read = len(self.inbox), len(self.outbox)
        return received, sent

    def history(self, limit: int | None = None) -> list[Message]:
        """Sent and received messages in the order they happened, the last ``limit`` of them."""
        items = self.inbox[-limit:] + self.outbox[-limit:] if limit else self.inbox + self.outbox
        items.sort(key=lambda m: m.seq)
        return items[-limit:] if limit else items

    def received(self, event: str | None = None) -> list[Any]:
        """Payloads received (one value per event; a tuple when it had several arguments)."""
        return [
            m.data[0] if len(m.data) == 1 else m.data
            for m in self.inbox
            if event is None or m.event == event
        ]

    # --- observers ---------------------------------------------------------
    def subscribe(self, listener: Callable[[], None]) -> None:
        """Call ``listener()`` after each change: a message, a connect, a disconnect."""
        self._listeners.append(listener)

    def _notify(self) -> None:
        for listener in list(self._listeners):
            listener()


async def connect_clients(
    url: str, names: Iterable[str], **connect_options: Any
) -> list[ChatClient]:
    """Connect one ``ChatClient`` per name to ``url``, one after another.

    In turn rather than concurrently, so the server log lists them in the
    same order on every run.
    """
    clients = [ChatClient(name) for name in names]
    for client in clients:
        await client.connect(url, **connect_options)
    return clients


def connected_clients(url: str) -> list[ChatClient]:
    """The connected clients of the server at ``url``, in the order they connected."""
    return [c for c in list(_live.values()) if c.server_url == url and c.connected]


async def disconnect_clients(url: str | None = None) -> None:
    """Disconnect the live clients of ``url`` (all of them when ``url`` is None)."""
    clients = [c for c in list(_live.values()) if url is None or c.server_url == url]
    await asyncio.gather(*(c.disconnect() for c in clients), return_exceptions=True)


def is_local_client(sid: str, namespace: str = "/") -> bool:
    """Whether ``sid`` (a socket id in ``namespace``) is a ``ChatClient`` of this process.

    A socket id is known only to the server and to the client that holds it,
    so a server in this process can tell its own process's clients (a
    notebook's panes, ``settle``'s helpers) from everyone else's.
    """
    return any(client.get_sid(namespace) == sid for client in list(_live.values()))
