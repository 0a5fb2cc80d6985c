"""A chat client that neither loses its own messages nor shows anyone's twice.

``DurableClient`` is the client half of the tutorial's steps 7 and 8:

- it remembers the id (server offset) of the last message it showed and
  sends it in ``auth`` on every connect and reconnect; ``auth`` is a callable,
  so python-socketio asks for the current value each time;
- it sends each message with an acknowledgement and a timeout, and sends it
  again when no acknowledgement comes (a lost connection, a slow or restarted
  server), or when the server answers that it could not store it for now
  (``retry: True``, e.g. a full disk). Every attempt carries the same client
  offset, unique among this sender's messages, so the server stores it once:
  at-least-once sending + de-duplication = shown once;
- it shows a message only if its id is newer than the last one shown, so a
  message that arrives twice is still shown once.

python-socketio's ``AsyncClient`` has no ``retries``/``ackTimeout`` options
(socket.io-client has): the loop in ``send`` is that option, written out.
"""

from __future__ import annotations

import asyncio
import itertools
import uuid
from dataclasses import dataclass
from typing import Any

from socketio import exceptions

from ..clients import ChatClient


@dataclass(frozen=True)
class Shown:
    """A message as the chat shows it: its id in the store and its text."""

    id: int
    text: str

    def __str__(self) -> str:
        return f"#{self.id} {self.text}"


class DeliveryFailed(RuntimeError):
    """No acknowledgement came after every retry."""


class MessageRefused(ValueError):
    """The server answered, and refused the message (the reason is the text)."""


class DurableClient(ChatClient):
    """A ``ChatClient`` with server offsets, client offsets, retries and de-duplication.

    ``ack_timeout`` is how long one attempt waits for its acknowledgement;
    ``retries`` how many times a message is sent again after that. Reconnection
    is on, with short delays so that a lesson does not wait long.
    """

    def __init__(
        self, name: str, *, ack_timeout: float = 1.0, retries: int = 5, **client_options: Any
    ) -> None:
        client_options.setdefault("reconnection_delay", 0.1)
        client_options.setdefault("reconnection_delay_max", 0.5)
        super().__init__(name, **client_options)
        self.ack_timeout = ack_timeout
        self.retries = retries
        self.offset = 0
        self.shown: list[Shown] = []
        self.ignored = 0  # messages that arrived again and were not shown again
        self.attempts = 0  # every send, first tries and retries
        self.session = uuid.uuid4().hex[:8]
        self._counter = itertools.count(1)
        self._online = asyncio.Event()

    async def connect(self, url: str, *, auth: Any = None, **options: Any) -> None:
        """Connect; every (re)connect sends the last server offset this client has shown.

        python-socketio's reconnection calls ``connect`` again with the ``auth``
        it was first given (already this callable): it is kept as it is.
        """
        auth = auth if auth is not None else lambda: {"serverOffset": self.offset}
        await super().connect(url, auth=auth, **options)

    # --- receiving: show each stored message once, in order ------------------
    def on_event_packet(self, namespace: str, data: list[Any]) -> bool:
        # Runs as the packet is read, before any await: the order of the wire.
        if data and data[0] == "chat message":
            self._show(data[1:])
        return super().on_event_packet(namespace, data)

    def _show(self, args: list[Any]) -> None:
        text = args[0] if args else None
        offset = args[1] if len(args) > 1 else None
        if not isinstance(offset, int) or isinstance(offset, bool):
            return  # not from a durable server: nothing to show by id
        if offset <= self.offset:
            self.ignored += 1
            return
        self.offset = offset
        self.shown.append(Shown(offset, str(text)))

    def shown_texts(self) -> list[str]:
        return [m.text for m in self.shown]

    # --- connection state, to wait on ------------------------------------------
    async def on_handler(self, event: str, namespace: str, args: tuple[Any, ...]) -> Any:
        if namespace == "/" and event == "connect":
            self._online.set()
        elif namespace == "/" and event == "disconnect":
            self._online.clear()
        return await super().on_handler(event, namespace, args)

    async def wait_connected(self, timeout: float) -> None:
        """Return once connected to "/"; raise ``TimeoutError`` after ``timeout`` s."""
        if "/" not in self.namespaces:
            self._online.clear()
        await asyncio.wait_for(self._online.wait(), timeout)

    # --- sending: at least once, stored once -----------------------------------
    def next_client_offset(self) -> str:
        """Unique among this sender's messages: this client object's session, a counter.

        The server scopes client offsets to the sender, so the name is not part
        of it, and a long name cannot push it past the server's length limit.
        """
        return f"{self.session}-{next(self._counter)}"

    async def send(
        self, text: Any, *, ack_timeout: float | None = None, retries: int | None = None
    ) -> dict[str, Any]:
        """Send ``text`` until the server acknowledges it; return the acknowledgement.

        Between attempts a disconnected client waits (up to ``ack_timeout``)
        for its reconnection. Raises ``DeliveryFailed`` when every attempt
        went unanswered.
        """
        timeout = self.ack_timeout if ack_timeout is None else ack_timeout
        tries = 1 + (self.retries if retries is None else retries)
        client_offset = self.next_client_offset()
        answer: Any = None
        for attempt in range(tries):
            try:
                await self.wait_connected(timeout)
                self.attempts += 1
                answer = await self.call("chat message", (text, client_offset), timeout=timeout)
            except (TimeoutError, exceptions.TimeoutError, exceptions.BadNamespaceError):
                continue
            if not _try_again_later(answer) or attempt == tries - 1:
                return answer
            await asyncio.sleep(timeout)  # the server cannot store it now: give it time
        if answer is not None:
            return answer  # the last answer the server gave: it says why
        raise DeliveryFailed(
            f"{self.name}: no acknowledgement for {text!r} after {tries} attempts "
            f"of {timeout} s each"
        )

    async def chat(self, text: str) -> None:
        """Send a chat message reliably; raise ``MessageRefused`` if the server refuses it."""
        answer = await self.send(text)
        if isinstance(answer, dict) and answer.get("ok") is False:
            raise MessageRefused(answer.get("error", "refused"))


def _try_again_later(answer: Any) -> bool:
    return isinstance(answer, dict) and answer.get("ok") is False and answer.get("retry") is True


async def connect_durable_clients(
    url: str, names: list[str], **options: Any
) -> list[DurableClient]:
    """Connect one ``DurableClient`` per name, one after another (a stable log order)."""
    clients = [DurableClient(name, **options) for name in names]
    for client in clients:
        await client.connect(url)
    return clients


async def wait_connected(clients: list[DurableClient], timeout: float = 5.0) -> None:
    """Wait until every client is connected again; the error names who is not."""
    results = await asyncio.gather(
        *(c.wait_connected(timeout) for c in clients), return_exceptions=True
    )
    missing = [c.name for c, r in zip(clients, results, strict=True) if isinstance(r, Exception)]
    if missing:
        raise TimeoutError(f"{', '.join(missing)} did not reconnect within {timeout} s")
