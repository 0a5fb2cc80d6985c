"""An ``AsyncServer`` that keeps a log, names its clients and never loses an exception.

python-socketio runs each event handler as its own task: an exception there is
logged, the server keeps serving, and a client waiting for an acknowledgement
times out; in a kernel that log reaches no cell, and a lesson would silently go
wrong. (socket.io on Node treats the same throw as an uncaught exception, which
ends a default Node process.) ``ObservedServer`` records every such exception,
writes what the server does to its ``log`` with client names instead of socket
ids, and counts handlers still running, so ``chatlib.delivery.settle`` can tell
when the server has caught up.
"""

from __future__ import annotations

import asyncio
import contextvars
import weakref
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from socketio import exceptions

from ._engine.frames import close_on_bad_frames
from ._engine.recovery import RecoveringServer
from ._engine.server import PacketRefused
from .facts import ClientNames, FactLog, audience
from .log import ServerLog, describe
from .protocol import INTERNAL_EVENTS, MARKER_EVENT, RESERVED_EVENTS, SETTLE_EVENT

_instances: weakref.WeakSet[ObservedServer] = weakref.WeakSet()

_answering: contextvars.ContextVar[str] = contextvars.ContextVar("answering", default="")
"""The client whose event the running handler answers (each handler is its own task)."""
_calling: contextvars.ContextVar[list[int] | None] = contextvars.ContextVar("calling", default=None)
"""Inside ``call()``: collects the seq of the emit it makes, to name it if it times out."""


@dataclass(frozen=True)
class HandlerError:
    """An exception raised by an event handler, kept so a lesson can check for it.

    The server survives it, as python-socketio's does. The same throw in a
    socket.io handler on Node is an uncaught exception: the process ends unless
    the app listens for ``uncaughtException``.
    """

    server: str
    event: str
    namespace: str
    client: str
    error: str

    def __str__(self) -> str:
        where = f"{self.client}, {self.namespace}"
        return f"{self.server}: handler for {self.event!r} ({where}) raised {self.error}"


class ObservedServer(RecoveringServer):
    """A python-socketio ``AsyncServer`` whose behaviour is visible and checkable.

    It watches handlers through ``EngineServer``'s ``on_handler`` hook, so a
    handler registered any way (function, ``'*'``, namespace class) is seen.
    ``recovery=Recovery(...)`` turns on connection state recovery (see
    ``chatlib.recovery``); a recovered connection is logged as such.
    """

    def __init__(self, *args: Any, name: str = "server", **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.name = name
        self.log = ServerLog()
        self.facts = FactLog()
        self.errors: list[HandlerError] = []
        self._names = ClientNames()
        self._busy = 0
        self._connect_type_errors: dict[tuple[str, str], TypeError] = {}
        self._idle = asyncio.Event()
        self._idle.set()
        close_on_bad_frames(self.eio, self._bad_frame)
        _instances.add(self)

    # --- names -------------------------------------------------------------
    def name_of(self, sid: str, namespace: str = "/") -> str:
        """The name a client gave in its ``auth``, or a placeholder that is never a sid."""
        return self._names.get((namespace, sid), "a client without a name")

    def sid_of(self, name: str, namespace: str = "/") -> str | None:
        """The socket id of the connected client called ``name`` in ``namespace``."""
        for (ns, sid), known in self._names.items():
            if ns == namespace and known == name:
                return sid
        return None

    def on(self, event: str, handler: Any = None, namespace: str | None = None) -> Any:
        """``AsyncServer.on``; a namespace without its leading slash is refused (see below).

        ``"*"``, python-socketio's catch-all namespace, is accepted.
        """
        if namespace != "*":
            checked_namespace(namespace)
        return super().on(event, handler, namespace=namespace)

    # --- emits and rooms, logged -------------------------------------------
    async def emit(  # type: ignore[override]  # named options, where the hook takes any
        self,
        event: str,
        data: Any = None,
        to: Any = None,
        room: Any = None,
        skip_sid: Any = None,
        namespace: str | None = None,
        callback: Any = None,
        ignore_queue: bool = False,
    ) -> None:
        if event in RESERVED_EVENTS:
            raise ValueError(
                f"{event!r} is a reserved Socket.IO event name; emitting it would confuse "
                "the client's own connection handling. Pick another name."
            )
        ns = checked_namespace(namespace)
        if event not in INTERNAL_EVENTS:
            target = to or room or None  # as python-socketio reads them: [] means everyone
            audience = self._audience(target, skip_sid, ns)
            local = " (this node only)" if ignore_queue else ""
            self.log.add("emit", f"emit {event!r} {describe(data)} {audience}{local}")
            fact = self._emit_fact(event, data, target, skip_sid, ns, callback is not None)
            if callback is not None:
                callback = self._record_ack(callback, fact.seq, fact.targets, ns)
        await super().emit(
            event,
            data,
            to=to,
            room=room,
            skip_sid=skip_sid,
            namespace=namespace,
            callback=callback,
            ignore_queue=ignore_queue,
        )

    async def enter_room(self, sid: str, room: str, namespace: str | None = None) -> None:
        ns = checked_namespace(namespace)
        await super().enter_room(sid, room, namespace=namespace)
        self.log.add("room", f"{self.name_of(sid, ns)} joined {room!r}{_in(ns)}")
        self.facts.add(
            "room", self.name, namespace=ns, event="join", client=self.name_of(sid, ns), to=(room,)
        )

    async def leave_room(self, sid: str, room: str, namespace: str | None = None) -> None:
        ns = checked_namespace(namespace)
        await super().leave_room(sid, room, namespace=namespace)
        self.log.add("room", f"{self.name_of(sid, ns)} left {room!r}{_in(ns)}")
        self.facts.add(
            "room", self.name, namespace=ns, event="leave", client=self.name_of(sid, ns), to=(room,)
        )

    async def close_room(self, room: str, namespace: str | None = None) -> None:
        ns = checked_namespace(namespace)
        await super().close_room(room, namespace=namespace)
        self.log.add("room", f"room {room!r} closed{_in(ns)}")

    async def call(
        self,
        event: str,
        data: Any = None,
        to: Any = None,
        sid: Any = None,
        namespace: str | None = None,
        **options: Any,
    ) -> Any:
        """``AsyncServer.call``, plus a ``timeout`` fact when the client never answers."""
        checked_namespace(namespace)
        emitted: list[int] = []
        token = _calling.set(emitted)
        try:
            return await super().call(event, data, to=to, sid=sid, namespace=namespace, **options)
        except exceptions.TimeoutError:
            ns = namespace or "/"
            who = self.name_of(to if to is not None else sid, ns)
            about = emitted[0] if emitted else None
            self.facts.add("timeout", self.name, namespace=ns, event=event, client=who, about=about)
            raise
        finally:
            _calling.reset(token)

    def _emit_fact(
        self, event: str, data: Any, to: Any, skip_sid: Any, ns: str, wants_ack: bool
    ) -> Any:
        """Record whom an emit addresses on this node and whom it leaves out."""
        fact = self.facts.add(
            "emit",
            self.name,
            namespace=ns,
            event=event,
            data=describe(data if isinstance(data, tuple) else () if data is None else (data,)),
            cause=_answering.get(),
            wants_ack=wants_ack,
            **audience(self.manager, self._names, to, skip_sid, ns),
        )
        emitted = _calling.get()
        if emitted is not None:
            emitted.append(fact.seq)
        return fact

    def _record_ack(self, callback: Any, about: int, targets: tuple[str, ...], ns: str) -> Any:
        """Wrap an emit's callback so its acknowledgement becomes an ``ack`` fact."""
        who = targets[0] if len(targets) == 1 else ""

        async def acked(*args: Any) -> Any:
            self.facts.add(
                "ack", self.name, namespace=ns, client=who, data=describe(args), about=about
            )
            result = callback(*args)
            return await result if asyncio.iscoroutine(result) else result

        return acked

    def _audience(self, to: Any, skip_sid: Any, namespace: str) -> str:
        targets = "to everyone" if to is None else "to " + ", ".join(self._targets(to, namespace))
        if skip_sid:
            targets += " except " + ", ".join(self._targets(skip_sid, namespace))
        return targets + _in(namespace)

    def _targets(self, value: Any, namespace: str) -> list[str]:
        items: Iterable[str] = [value] if isinstance(value, str) else value
        return sorted(self._names.get((namespace, item), f"room {item!r}") for item in items)

    # --- handlers, guarded -------------------------------------------------
    async def on_handler(self, event: str, namespace: str, args: tuple[Any, ...]) -> Any:
        if event == SETTLE_EVENT:
            return True
        if event == "connect":
            return await self._on_connect(namespace, *args)
        if event == "disconnect":
            return await self._on_disconnect(namespace, *args)
        sid = args[0] if args else ""
        who = self.name_of(sid, namespace)
        self.log.add("received", f"{who} → {event!r} {describe(tuple(args[1:]))}{_in(namespace)}")
        self.facts.add(
            "received",
            self.name,
            namespace=namespace,
            event=event,
            data=describe(tuple(args[1:])),
            client=who,
        )
        answering = _answering.set(who)
        self._busy += 1
        self._idle.clear()
        try:
            return await self.run_handler(event, namespace, args)
        except Exception as exc:
            self._record_error(event, namespace, who, exc)
            return self.not_handled
        finally:
            _answering.reset(answering)
            self._busy -= 1
            if not self._busy:
                self._idle.set()

    async def _on_connect(self, namespace: str, sid: str, *rest: Any) -> Any:
        auth = rest[1] if len(rest) > 1 else None
        if isinstance(auth, dict) and isinstance(auth.get("name"), str):
            self._names[(namespace, sid)] = auth["name"][:40]
        who = self.name_of(sid, namespace)
        try:
            result = await self.run_handler("connect", namespace, (sid, *rest))
        except exceptions.ConnectionRefusedError as exc:
            self.log.add("connect", f"{who} refused on {namespace}: {exc.error_args['message']}")
            self._names.pop((namespace, sid), None)
            raise
        except TypeError as exc:
            # A client without auth gets (sid, environ, None) first; on a TypeError
            # python-socketio tries the legacy (sid, environ) once more. Only when that
            # fails too (or auth was given, and there is no retry) did the handler fail.
            if len(rest) > 1 and rest[1] is None:
                self._connect_type_errors[(namespace, sid)] = exc
                raise
            first = self._connect_type_errors.pop((namespace, sid), exc)
            self._record_error("connect", namespace, who, first)
            self._names.pop((namespace, sid), None)
            raise exceptions.ConnectionRefusedError(
                "the server's connect handler failed"
            ) from first
        except Exception as exc:
            self._connect_type_errors.pop((namespace, sid), None)
            self._record_error("connect", namespace, who, exc)
            self._names.pop((namespace, sid), None)
            raise exceptions.ConnectionRefusedError("the server's connect handler failed") from exc
        self._connect_type_errors.pop((namespace, sid), None)
        if result is False:
            self.log.add("connect", f"{who} refused on {namespace}")
            self._names.pop((namespace, sid), None)
        else:
            how = "recovered on" if self.recovered(sid, namespace) else "connected to"
            self.log.add("connect", f"{who} {how} {namespace}")
            self.facts.add("connect", self.name, namespace=namespace, client=who)
        return result

    def _recovered_without_handler(self, namespace: str, sid: str, auth: Any) -> None:
        if isinstance(auth, dict) and isinstance(auth.get("name"), str):
            self._names[(namespace, sid)] = auth["name"][:40]
        who = self.name_of(sid, namespace)
        self.log.add("connect", f"{who} recovered on {namespace}")
        self.facts.add("connect", self.name, namespace=namespace, client=who)

    async def _on_disconnect(self, namespace: str, sid: str, *rest: Any) -> Any:
        who = self.name_of(sid, namespace)
        try:
            # python-socketio already retries a legacy one-argument handler inside this call,
            # so a TypeError here is a real failure (e.g. a client emitted 'disconnect'
            # itself, without a reason): record it like any other handler error.
            return await self.run_handler("disconnect", namespace, (sid, *rest))
        except Exception as exc:
            self._record_error("disconnect", namespace, who, exc)
            return None
        finally:
            self.log.add("disconnect", f"{who} disconnected from {namespace}")
            self.facts.add("disconnect", self.name, namespace=namespace, client=who)
            self._names.pop((namespace, sid), None)

    def _record_error(self, event: str, namespace: str, who: str, exc: Exception) -> None:
        error = HandlerError(self.name, event, namespace, who, f"{type(exc).__name__}: {exc}")
        self.errors.append(error)
        self.log.add("error", f"error in handler {event!r} ({who}): {error.error}")

    # --- clients that break the protocol ------------------------------------
    def engine_name(self, eio_sid: str) -> str:
        """The name a connection gave on ``/``, for a log line about the whole connection."""
        sid = self.manager.sid_from_eio_sid(eio_sid, "/")
        return self._names.get(("/", sid), "a client") if sid else "a client"

    async def on_malformed_packet(self, eio_sid: str, error: Exception) -> None:
        if isinstance(error, PacketRefused):
            what = str(error)
        else:
            what = f"a malformed packet ({type(error).__name__})"
        await self.drop(eio_sid, what)

    def on_oversize_request(self, eio_sid: str) -> None:
        limit = self.eio.max_http_buffer_size
        self.log.add(
            "dropped", f"{self.engine_name(eio_sid)} sent a request over {limit:,} bytes: closed"
        )

    def _bad_frame(self) -> None:
        self.log.add("dropped", "a client sent a frame that is not Engine.IO: closed")

    async def drop(self, eio_sid: str, what: str) -> None:
        """Disconnect the one client that sent ``what``, in one log line; others are untouched.

        The line is written once: frames the client sent before it saw its
        connection close are not read any more.
        """
        if not self.is_open(eio_sid):
            return
        self.log.add("dropped", f"{self.engine_name(eio_sid)} sent {what}: disconnected")
        self.forget_partial_packet(eio_sid)
        await self.drop_connection(eio_sid)

    # --- the barrier -------------------------------------------------------
    async def wait_idle(self, timeout: float) -> None:
        """Wait until no event handler is running, or raise ``TimeoutError``."""
        try:
            await asyncio.wait_for(self._idle.wait(), timeout)
        except TimeoutError:
            raise TimeoutError(
                f"server {self.name!r}: {self._busy} handler(s) still running after {timeout} s"
            ) from None

    async def send_marker(self, token: str, namespaces: Iterable[str] | None = None) -> None:
        """Emit the barrier ``token`` to every socket in ``namespaces`` (default: all in use)."""
        for namespace in list(namespaces or self.manager.get_namespaces()):
            await super().emit(MARKER_EVENT, token, namespace=namespace)


def checked_namespace(namespace: str | None) -> str:
    """``namespace`` (``"/"`` for None), refusing a name without its leading slash.

    socket.io's ``io.of("chat")`` adds the missing slash. python-socketio takes
    the name as written, and no client can ever be in ``"chat"`` (the wire
    format only reads a namespace that starts with ``/``): an emit there
    reaches nobody and a handler never runs, without any error. chatlib refuses
    the name rather than adding the slash, because the learner's own
    python-socketio server would not add it either: the mistake should show
    here, in the lesson, and not later, as a silent app.
    """
    ns = namespace or "/"
    if not ns.startswith("/"):
        raise ValueError(
            f"namespace {ns!r} has no leading slash: python-socketio would use it as written, "
            f"no client can join it, and the emit would reach nobody (socket.io's io.of({ns!r}) "
            f"adds the slash itself; python-socketio does not). Write namespace='/{ns}'."
        )
    return ns


def _in(namespace: str) -> str:
    return "" if namespace == "/" else f" in {namespace}"


def handler_errors() -> list[HandlerError]:
    """Every handler exception recorded by any server created in this process."""
    return [error for server in list(_instances) for error in server.errors]


def assert_no_handler_errors() -> str:
    """Raise ``AssertionError`` naming each handler that raised; else say all is well."""
    errors = handler_errors()
    if errors:
        raise AssertionError(
            "handlers raised (python-socketio kept serving; on Node the same throw is an "
            "uncaught exception that ends the process):\n" + "\n".join(str(e) for e in errors)
        )
    return "no handler raised"
