"""python-socketio's ``AsyncServer`` with its internal steps turned into hooks.

python-socketio offers no public way to see every handler call (connect,
disconnect and events, whoever registered the handler), to look at an event
before it is dispatched, or to answer an acknowledgement without a handler.
``ObservedServer`` and the classroom's ``ClassroomServer`` need all three, so
this class overrides the private methods once and calls public-named hooks
that they override instead:

- ``on_handler(event, namespace, args)``: every handler call; ``run_handler``
  runs the handler python-socketio would run;
- ``on_event_packet(eio_sid, namespace, id, data)``: an EVENT packet before
  dispatch (return False to drop it); ``send_ack`` answers one;
- ``on_engine_disconnect(eio_sid)``: a connection has ended;
- ``on_malformed_packet(eio_sid, error)``: a packet python-socketio could not
  decode, or one no well-behaved client sends (``PacketRefused``: an event
  without a name or for a namespace it never joined, an acknowledgement
  nobody asked for, too many or too large binary attachments); by default
  the error propagates, as it does in python-socketio;
- ``on_unjoined(eio_sid)``: a connection has gone ``join_timeout`` seconds
  without being in any namespace (by default it is closed);
- ``on_oversize_request(eio_sid)``: a polling POST over the size limit
  (python-engineio closes that session; here it is also answered at once).

Binary attachments are bounded: python-socketio keeps every attachment a
client announces, in memory, until the last one arrives, and a client may
announce ten billion of them. Here a packet may announce at most
``max_attachments``, and what a connection has buffered for it may not
exceed ``max_attachment_bytes`` (Engine.IO's ``max_http_buffer_size``
unless given), which bounds that memory per connection.

Every connection also gets a ``QuickPollSocket`` (see ``quickpoll``) with a
``LeanQueue`` for its packets (see ``leanqueue``).
``tests/test_engine_contract.py`` pins each private method used here.
"""

from __future__ import annotations

import asyncio
from typing import Any

import socketio
from engineio import async_socket as engineio_async_socket
from socketio import packet

from .leanqueue import LeanQueue
from .quickpoll import QuickPollSocket
from .versions import check_versions

MALFORMED = (ValueError, TypeError, KeyError, IndexError, AttributeError, RecursionError)
"""What python-socketio raises while decoding a packet that is not Socket.IO.

``RecursionError`` is JSON nested thousands deep: the decoder runs out of stack.
"""

MAX_ATTACHMENTS = 10
"""Binary attachments one packet may announce; a chat event carries one or two."""

JOIN_TIMEOUT = 5.0
"""Seconds a connection may stay without a namespace before it is closed.

A real client joins one right after the Engine.IO handshake; a session that
never does only holds a file descriptor and answers pings, forever.
"""


CUT_AFTER = 1.0
"""Seconds a dropped WebSocket client gets to read its CLOSE before its TCP connection is cut."""


class PacketRefused(ValueError):
    """A packet that decodes, but that no well-behaved client sends; the text says which."""


class EngineServer(socketio.AsyncServer):
    """An ``AsyncServer`` whose handler calls and packets reach overridable hooks."""

    def __init__(
        self,
        *args: Any,
        max_attachments: int = MAX_ATTACHMENTS,
        max_attachment_bytes: int | None = None,
        join_timeout: float = JOIN_TIMEOUT,
        **kwargs: Any,
    ) -> None:
        check_versions()
        super().__init__(*args, **kwargs)
        self.max_attachments = max_attachments
        self.max_attachment_bytes = max_attachment_bytes or self.eio.max_http_buffer_size
        self.join_timeout = join_timeout

    # --- hooks ---------------------------------------------------------------
    async def on_handler(self, event: str, namespace: str, args: tuple[Any, ...]) -> Any:
        """Called for every handler python-socketio would run; the default runs it.

        ``args`` are the handler's arguments: ``(sid, environ, auth)`` for
        ``connect``, ``(sid, reason)`` for ``disconnect``, ``(sid, *data)``
        for an event. Return what the handler returned (it becomes the ack).
        """
        return await self.run_handler(event, namespace, args)

    async def run_handler(self, event: str, namespace: str, args: tuple[Any, ...]) -> Any:
        """Run the function or namespace-class handler for ``event``, as python-socketio does.

        Returns ``self.not_handled`` when there is none.
        """
        return await super()._trigger_event(event, namespace, *args)

    async def on_event_packet(
        self, eio_sid: str, namespace: str, id: int | None, data: Any
    ) -> bool:
        """An EVENT packet from ``eio_sid``, before dispatch; False drops it unanswered.

        ``data`` is the decoded list ``[event, *args]`` as the client sent it
        (not yet checked: it may be anything).
        """
        return True

    async def on_engine_disconnect(self, eio_sid: str) -> None:
        """The Engine.IO connection ``eio_sid`` has ended, after every namespace's disconnect."""

    async def on_malformed_packet(self, eio_sid: str, error: Exception) -> None:
        """``eio_sid`` sent a packet that could not be decoded; the default re-raises."""
        raise error

    async def on_unjoined(self, eio_sid: str) -> None:
        """``eio_sid`` has been in no namespace for ``join_timeout`` seconds; it is closed."""
        await self.drop_connection(eio_sid)

    def on_oversize_request(self, eio_sid: str) -> None:
        """``eio_sid`` posted more than ``max_http_buffer_size``; its session is being closed."""

    # --- what the hooks may call ----------------------------------------------
    def has_handler(self, event: str, namespace: str) -> bool:
        """Whether a function handler (``'*'`` included) or a namespace class takes ``event``."""
        handler, _ = self._get_event_handler(event, namespace, ())
        namespace_handler, _ = self._get_namespace_handler(namespace, ())
        return handler is not None or namespace_handler is not None

    async def send_ack(self, eio_sid: str, namespace: str, id: int, data: list[Any]) -> None:
        """Answer the client's acknowledgement ``id`` with ``data`` (the handler's place)."""
        ack = self.packet_class(packet.ACK, namespace=namespace, id=id, data=data)
        await self._send_packet(eio_sid, ack)

    def forget_partial_packet(self, eio_sid: str) -> None:
        """Drop a binary packet still waiting for its attachments from ``eio_sid``."""
        self._binary_packet.pop(eio_sid, None)

    async def drop_connection(self, eio_sid: str) -> None:
        """Close ``eio_sid`` now: its handlers see it leave, its client gets a CLOSE.

        Nothing waits for the client to read that CLOSE (a hostile one never
        does), and a WebSocket's TCP connection is cut a second later, so a
        client that keeps streaming frames is not read any further.
        """
        socket = self.eio.sockets.pop(eio_sid, None)
        if socket is None:
            return
        await socket.close(wait=False, reason=self.eio.reason.SERVER_DISCONNECT)
        if isinstance(socket, QuickPollSocket):
            socket.cut_after(CUT_AFTER)

    def is_open(self, eio_sid: str) -> bool:
        """Whether the Engine.IO connection ``eio_sid`` is open and not being closed."""
        socket = self.eio.sockets.get(eio_sid)
        return socket is not None and not socket.closing and not socket.closed

    def has_namespace(self, eio_sid: str) -> bool:
        """Whether ``eio_sid`` is connected to at least one namespace."""
        namespaces = list(self.manager.get_namespaces())
        return any(self.manager.sid_from_eio_sid(eio_sid, ns) for ns in namespaces)

    def _awaits_ack(self, eio_sid: str, namespace: str, id: Any) -> bool:
        """Whether the server asked ``eio_sid`` in ``namespace`` for acknowledgement ``id``."""
        sid = self.manager.sid_from_eio_sid(eio_sid, namespace)
        waiting = self.manager.callbacks.get(sid, {})
        return isinstance(id, int) and id > 0 and id in waiting

    # --- python-socketio's internals, mapped onto the hooks ---------------------
    async def _trigger_event(self, event: str, namespace: str, *args: Any) -> Any:
        return await self.on_handler(event, namespace, args)

    async def _handle_event(
        self, eio_sid: str, namespace: str | None, id: int | None, data: Any
    ) -> None:
        if not isinstance(data, list) or not data or not isinstance(data[0], str):
            raise PacketRefused("an event without a name")
        if self.manager.sid_from_eio_sid(eio_sid, namespace or "/") is None:
            raise PacketRefused("an event for a namespace it has not joined")
        if await self.on_event_packet(eio_sid, namespace or "/", id, data):
            await super()._handle_event(eio_sid, namespace, id, data)

    async def _handle_ack(self, eio_sid: str, namespace: str | None, id: Any, data: Any) -> None:
        if not self._awaits_ack(eio_sid, namespace or "/", id):
            raise PacketRefused("an acknowledgement the server never asked for")
        await super()._handle_ack(eio_sid, namespace, id, data)

    async def _handle_eio_connect(self, eio_sid: str, environ: dict[str, Any]) -> Any:
        socket = self.eio.sockets.get(eio_sid)
        if socket is not None and type(socket) is engineio_async_socket.AsyncSocket:
            socket.__class__ = QuickPollSocket
            lean = LeanQueue()  # nobody waits on the stock queue yet: move what it holds
            while not socket.queue.empty():
                lean.put_nowait(socket.queue.get_nowait())
            socket.queue = lean
            socket.on_oversize_request = self.on_oversize_request
        self._expect_join(eio_sid)
        return await super()._handle_eio_connect(eio_sid, environ)

    def _expect_join(self, eio_sid: str) -> None:
        """Check in ``join_timeout`` seconds that ``eio_sid`` is in a namespace."""
        asyncio.get_running_loop().call_later(self.join_timeout, self._check_joined, eio_sid)

    def _check_joined(self, eio_sid: str) -> None:
        if self.is_open(eio_sid) and not self.has_namespace(eio_sid):
            self.start_background_task(self.on_unjoined, eio_sid)

    async def _handle_disconnect(self, eio_sid: str, namespace: str, reason: Any = None) -> None:
        await super()._handle_disconnect(eio_sid, namespace, reason)
        if self.is_open(eio_sid):  # it left a namespace: it must join another, or go
            self._expect_join(eio_sid)

    async def _handle_eio_message(self, eio_sid: str, data: Any) -> None:
        if not self.is_open(eio_sid):
            return  # frames still arriving from a connection being closed: nobody reads them
        try:
            self._check_attachment(eio_sid, data)
            await super()._handle_eio_message(eio_sid, data)
            self._check_announced(eio_sid)
        except MALFORMED as error:
            self.forget_partial_packet(eio_sid)
            await self.on_malformed_packet(eio_sid, error)

    def _check_attachment(self, eio_sid: str, data: Any) -> None:
        """Refuse an attachment that would take ``eio_sid``'s buffer over its bytes limit."""
        waiting = self._binary_packet.get(eio_sid)
        if waiting is None:
            return
        buffered = sum(len(part) for part in waiting.attachments) + len(data)
        if buffered > self.max_attachment_bytes:
            raise PacketRefused(
                f"binary attachments over {self.max_attachment_bytes:,} bytes in one packet"
            )

    def _check_announced(self, eio_sid: str) -> None:
        """Refuse a binary packet that announces too many attachments, or answers nothing."""
        waiting = self._binary_packet.get(eio_sid)
        if waiting is None or waiting.attachments:
            return
        if waiting.attachment_count > self.max_attachments:
            raise PacketRefused(
                f"a binary packet announcing {waiting.attachment_count:,} attachments "
                f"(at most {self.max_attachments})"
            )
        namespace = waiting.namespace or "/"
        if waiting.packet_type == packet.BINARY_ACK and not self._awaits_ack(
            eio_sid, namespace, waiting.id
        ):
            raise PacketRefused("an acknowledgement the server never asked for")

    async def _handle_eio_disconnect(self, eio_sid: str, reason: Any) -> None:
        try:
            await super()._handle_eio_disconnect(eio_sid, reason)
        finally:
            await self.on_engine_disconnect(eio_sid)
