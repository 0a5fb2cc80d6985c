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
  decode (by default the error propagates, as it does in python-socketio).

Every connection also gets a ``QuickPollSocket`` (see ``quickpoll``) with a
``LeanQueue`` for its packets (see ``leanqueue``).
``tests/test_engine_contract.py`` pins each private method used here.
"""

from __future__ import annotations

from typing import Any

import socketio
from engineio import async_socket as engineio_async_socket
from socketio import packet

from .leanqueue import LeanQueue
from .quickpoll import QuickPollSocket
from .versions import check_versions

MALFORMED = (ValueError, TypeError, KeyError, IndexError, AttributeError)
"""What python-socketio raises while decoding a packet that is not Socket.IO."""


class EngineServer(socketio.AsyncServer):
    """An ``AsyncServer`` whose handler calls and packets reach overridable hooks."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        check_versions()
        super().__init__(*args, **kwargs)

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

    # --- python-socketio's internals, mapped onto the hooks ---------------------
    async def _trigger_event(self, event: str, namespace: str, *args: Any) -> Any:
        return await self.on_handler(event, namespace, args)

    async def _handle_event(
        self, eio_sid: str, namespace: str | None, id: int | None, data: Any
    ) -> None:
        if await self.on_event_packet(eio_sid, namespace or "/", id, data):
            await super()._handle_event(eio_sid, namespace, id, data)

    async def _handle_eio_connect(self, eio_sid: str, environ: dict[str, Any]) -> Any:
        socket = self.eio.sockets.get(eio_sid)
        if socket is not None and type(socket) is engineio_async_socket.AsyncSocket:
            socket.__class__ = QuickPollSocket
            lean = LeanQueue()  # nobody waits on the stock queue yet: move what it holds
            while not socket.queue.empty():
                lean.put_nowait(socket.queue.get_nowait())
            socket.queue = lean
        return await super()._handle_eio_connect(eio_sid, environ)

    async def _handle_eio_message(self, eio_sid: str, data: Any) -> None:
        try:
            await super()._handle_eio_message(eio_sid, data)
        except MALFORMED as error:
            await self.on_malformed_packet(eio_sid, error)

    async def _handle_eio_disconnect(self, eio_sid: str, reason: Any) -> None:
        try:
            await super()._handle_eio_disconnect(eio_sid, reason)
        finally:
            await self.on_engine_disconnect(eio_sid)
