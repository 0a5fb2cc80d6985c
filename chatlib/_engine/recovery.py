"""Where connection state recovery meets python-socketio's and python-engineio's internals.

Every private name that recovery needs is used here and nowhere else, so the
list of what a python-socketio upgrade could break is this file:

server side (``RecoveringServer``)
  ``AsyncServer._handle_connect``, ``_trigger_event``, ``_send_packet`` and
  ``_handle_eio_message`` are overridden; ``eio.generate_id`` is wrapped so the
  manager's ``pre_connect`` gives a recovered socket its old sid; a socket's
  ``session`` dict and ``queue`` (python-engineio's ``AsyncSocket``) are read
  and written; ``manager.basic_enter_room`` puts the rooms back.
client side (``RecoveringClient``)
  ``AsyncClient._send_packet``, ``_handle_connect``, ``_handle_error`` and ``_handle_event``;
  the Engine.IO client's ``queue``, to let a DISCONNECT out before the socket closes.

The decisions (what is kept, for how long, what a reconnection gets back)
are ``chatlib.recovery``'s.
"""

from __future__ import annotations

import asyncio
import contextlib
from typing import Any

from engineio import packet as eio_packet
from socketio import packet

from ..recovery import (
    RECOVERABLE_REASONS,
    HeldSession,
    Recovery,
    RecoveryLog,
    Restored,
    as_rooms,
)
from .client import EngineClient
from .server import EngineServer
from .shared_recovery import RecoveringRedisManager


class RecoveringServer(EngineServer):
    """An ``AsyncServer`` that can recover lost connections as socket.io 4.6+ does.

    Without ``recovery`` it behaves exactly as ``AsyncServer``: no ``pid``, no
    offsets, nothing kept. With a ``RecoveringRedisManager`` as its client
    manager, sessions and events are kept in Redis for every node
    (``shared_recovery``); otherwise in this process (``recovery_log``).
    """

    def __init__(self, *args: Any, recovery: Recovery | None = None, **kwargs: Any) -> None:
        manager = kwargs.get("client_manager")
        shared = manager if isinstance(manager, RecoveringRedisManager) else None
        if shared is not None and recovery is None:
            raise ValueError("a RecoveringRedisManager needs a server with recovery on")
        super().__init__(*args, **kwargs)
        self.recovery = recovery
        self.shared_recovery = shared
        self.recovery_log = RecoveryLog(recovery) if recovery and shared is None else None
        self._pids: dict[tuple[str, str], str] = {}
        """(namespace, sid) → pid of each connected socket."""
        self._answering_pid: dict[tuple[str, str], str] = {}
        """(eio_sid, namespace) → the pid its CONNECT reply will carry."""
        self._putting_back: dict[tuple[str, str], Restored] = {}
        self._leaving: set[tuple[str, str]] = set()
        """(eio_sid, namespace) that sent a Socket.IO DISCONNECT: leaving on purpose."""
        self._held_by_eio: dict[tuple[str, str], str] = {}
        """(eio_sid, namespace) → pid of a session held after its transport closed."""
        self._recovered: set[tuple[str, str]] = set()
        self._next_sid: str | None = None
        if recovery is not None:
            self._wrap_id_generator()

    def recovered(self, sid: str, namespace: str | None = None) -> bool:
        """Whether the connection ``sid`` is one that was put back after a loss."""
        return (namespace or "/", sid) in self._recovered

    async def keep_sessions(self) -> int:
        """Hold every connected socket's session, as if its connection had been lost.

        For a server about to stop whose clients will come back through another
        node (the sessions must be kept in Redis for that): socket.io's
        ``io.close()`` keeps them the same way. Returns how many were kept.
        """
        kept = 0
        for (namespace, sid), pid in list(self._pids.items()):
            eio_sid = self.manager.eio_sid_from_sid(sid, namespace)
            socket = self.eio.sockets.get(eio_sid) if eio_sid else None
            if socket is None or not self.manager.is_connected(sid, namespace):
                continue
            del self._pids[(namespace, sid)]  # its coming disconnect then holds nothing twice
            rooms = frozenset(self.rooms(sid, namespace))
            data = socket.session.get(namespace, {})
            kept += await self._hold(HeldSession(pid, sid, namespace, rooms, data, 0))
        return kept

    # --- emits get offsets ---------------------------------------------------
    async def emit(self, event: str, data: Any = None, **options: Any) -> None:
        """Emit; with recovery on, an event without an acknowledgement carries its offset.

        Node stores every such event, including one to a single socket
        (``socket.emit`` goes through its adapter when recovery is on): so does this.
        An event that asks for an acknowledgement is neither stamped nor kept.
        ``options`` are ``AsyncServer.emit``'s (``to``, ``room``, ``skip_sid``, …).
        """
        log = self.recovery_log
        if log is not None and options.get("callback") is None:
            args = data if isinstance(data, tuple) else () if data is None else (data,)
            to = options.get("to")
            target = to if to is not None else options.get("room")
            payload = log.stamp(
                options.get("namespace") or "/",
                (event, *args),
                as_rooms(target),
                as_rooms(options.get("skip_sid")),
            )
            data = payload[1:]
        await super().emit(event, data, **options)

    # --- connecting ----------------------------------------------------------
    async def _handle_connect(self, eio_sid: str, namespace: str | None, data: Any) -> None:
        if self.recovery is None:
            return await super()._handle_connect(eio_sid, namespace, data)
        ns = namespace or "/"
        key = (eio_sid, ns)
        restored = await self._restore(ns, data)
        if restored is not None and self.manager.eio_sid_from_sid(restored.session.sid, ns):
            restored.resume()
            restored = None  # that sid is somehow live again: never give it to two sockets
        self._answering_pid[key] = restored.session.pid if restored else RecoveryLog.new_pid()
        try:
            if restored is None:
                return await super()._handle_connect(eio_sid, namespace, data)
            self._putting_back[key] = restored
            self._next_sid = restored.session.sid
            assert self.recovery is not None
            if self.recovery.skip_middlewares:
                await self._connect_without_handler(eio_sid, ns, data)
            else:
                await super()._handle_connect(eio_sid, namespace, data)
            socket = self.eio.sockets.get(eio_sid)
            if socket is None or socket.closed or socket.closing:
                await self._hold_again(eio_sid, ns, restored)
            elif not self.manager.is_connected(restored.session.sid, ns):
                self._recovered.discard((ns, restored.session.sid))  # the handler refused it
        finally:
            if restored is not None:
                restored.resume()
            self._next_sid = None
            self._answering_pid.pop(key, None)
            self._putting_back.pop(key, None)
        return None

    async def _restore(self, namespace: str, auth: Any) -> Restored | None:
        if self.shared_recovery is not None:
            return await self.shared_recovery.restore(namespace, auth)
        assert self.recovery_log is not None
        return self.recovery_log.restore(namespace, auth)

    async def _hold(self, session: HeldSession) -> bool:
        """Keep a lost connection's state (in Redis, or in this process)."""
        if self.shared_recovery is not None:
            return await self.shared_recovery.store.hold(session)
        assert self.recovery_log is not None
        log = self.recovery_log
        log.hold(session.pid, session.sid, session.namespace, session.rooms, session.data)
        return True

    def _holds(self, pid: str) -> bool:
        if self.shared_recovery is not None:
            return self.shared_recovery.store.holds(pid)
        return self.recovery_log is not None and self.recovery_log.holds(pid)

    def _held_count(self) -> int:
        if self.shared_recovery is not None:
            return self.shared_recovery.store.held_sessions
        return self.recovery_log.held_sessions if self.recovery_log is not None else 0

    async def _forget(self, pid: str) -> None:
        if self.shared_recovery is not None:
            await self.shared_recovery.store.forget(pid)
        elif self.recovery_log is not None:
            self.recovery_log.forget(pid)

    async def _hold_again(self, eio_sid: str, namespace: str, restored: Restored) -> None:
        """The connection was lost again while being recovered: hold its session again.

        python-socketio runs no disconnect for a socket still connecting, and
        then registers it as connected all the same, on a transport that is gone.
        """
        session = restored.session
        rooms = set(session.rooms)
        if self.manager.is_connected(session.sid, namespace):
            rooms.update(self.rooms(session.sid, namespace))
            await self.manager.disconnect(session.sid, namespace, ignore_queue=True)
        self._pids.pop((namespace, session.sid), None)
        self._recovered.discard((namespace, session.sid))
        again = HeldSession(session.pid, session.sid, namespace, frozenset(rooms), session.data, 0)
        if await self._hold(again):
            self._held_by_eio[(eio_sid, namespace)] = session.pid

    async def _connect_without_handler(self, eio_sid: str, namespace: str, auth: Any) -> None:
        """A recovered connection let in as it was, its connect handler not asked again."""
        sid = await self.manager.pre_connect(eio_sid, namespace)
        if sid is None:  # this Engine.IO connection already has a socket in the namespace
            await self._send_packet(
                eio_sid, self.packet_class(packet.CONNECT_ERROR, data="Unable to connect",
                                           namespace=namespace),
            )  # fmt: skip
            return
        self._put_back(eio_sid, namespace, sid)
        await self._send_packet(
            eio_sid, self.packet_class(packet.CONNECT, {"sid": sid}, namespace=namespace)
        )
        await self.manager.connect(sid, namespace)
        self._recovered_without_handler(namespace, sid, auth)

    def _recovered_without_handler(self, namespace: str, sid: str, auth: Any) -> None:
        """Called after a recovery that skipped the connect handler (a subclass logs it)."""

    def _wrap_id_generator(self) -> None:
        """Let ``pre_connect`` hand out a recovered socket's old sid, once."""
        generate = self.eio.generate_id

        def generate_id() -> str:
            sid, self._next_sid = self._next_sid, None
            return sid if sid is not None else generate()

        self.eio.generate_id = generate_id

    def _put_back(self, eio_sid: str, namespace: str, sid: str) -> None:
        """Rooms, session and missed events back in one step, with no ``await`` inside.

        Nothing can be emitted between the snapshot of missed events and the
        rooms' return, so an event is either replayed or delivered live, never
        both and never neither; the replay is queued before anything live.
        As on Node, the missed events are written before the CONNECT reply;
        clients hold events that come before it and deliver them after.
        """
        restored = self._putting_back.pop((eio_sid, namespace), None)
        if restored is None or restored.session.sid != sid:
            return
        for room in restored.session.rooms:
            if room != sid:
                self.manager.basic_enter_room(sid, namespace, room, eio_sid=eio_sid)
        socket = self.eio.sockets.get(eio_sid)
        if socket is None:
            restored.resume()
            return
        socket.session[namespace] = restored.session.data
        for payload in restored.missed:
            encoded = self.packet_class(packet.EVENT, namespace=namespace, data=list(payload))
            parts = encoded.encode()
            for part in parts if isinstance(parts, list) else [parts]:
                socket.queue.put_nowait(eio_packet.Packet(eio_packet.MESSAGE, part))
        self._recovered.add((namespace, sid))
        restored.resume()  # the socket is in its rooms and its replay queued: live may follow

    async def _send_packet(self, eio_sid: str, pkt: Any) -> None:
        """Add the ``pid`` to a CONNECT reply, and remember it for that socket."""
        if pkt.packet_type == packet.CONNECT and isinstance(pkt.data, dict):
            pid = self._answering_pid.get((eio_sid, pkt.namespace or "/"))
            if pid is not None:
                pkt.data = {**pkt.data, "pid": pid}
                self._pids[(pkt.namespace or "/", pkt.data["sid"])] = pid
        await super()._send_packet(eio_sid, pkt)

    async def _trigger_event(self, event: str, namespace: str, *args: Any) -> Any:
        if self.recovery is not None and args:
            if event == "connect":
                eio_sid = self.manager.eio_sid_from_sid(args[0], namespace)
                if eio_sid is not None:
                    self._put_back(eio_sid, namespace, args[0])
            elif event == "disconnect":
                await self._hold_if_lost(namespace, args[0], args[1] if len(args) > 1 else None)
        return await super()._trigger_event(event, namespace, *args)

    # --- disconnecting -------------------------------------------------------
    async def _hold_if_lost(self, namespace: str, sid: str, reason: Any) -> None:
        pid = self._pids.pop((namespace, sid), None)
        self._recovered.discard((namespace, sid))
        eio_sid = self.manager.eio_sid_from_sid(sid, namespace)
        on_purpose = (eio_sid, namespace) in self._leaving
        self._leaving.discard((eio_sid, namespace))
        if pid is None or self.recovery is None or reason not in RECOVERABLE_REASONS:
            return
        if on_purpose:
            return
        socket = self.eio.sockets.get(eio_sid) if eio_sid else None
        data = socket.session.get(namespace, {}) if socket is not None else {}
        rooms = frozenset(self.rooms(sid, namespace))
        if eio_sid:  # before holding: a DISCONNECT arriving meanwhile must find it
            if len(self._held_by_eio) > 4 * self._held_count() + 64:
                self._held_by_eio = {k: p for k, p in self._held_by_eio.items() if self._holds(p)}
            self._held_by_eio[(eio_sid, namespace)] = pid
        if not await self._hold(HeldSession(pid, sid, namespace, rooms, data, 0)) and eio_sid:
            self._held_by_eio.pop((eio_sid, namespace), None)

    async def _handle_eio_message(self, eio_sid: str, data: Any) -> None:
        """A Socket.IO DISCONNECT from the client means "done", whenever it arrives.

        python-socketio reports it with the same reason as an Engine.IO close
        ('client disconnect'), so it is told apart here. And python-engineio
        hands each message to its own task: a client that sends DISCONNECT and
        closes at once is often seen closing first, and its session, already
        held by then, is let go.
        """
        if (
            self.recovery is not None
            and isinstance(data, str)
            and data.startswith(str(packet.DISCONNECT))
        ):
            ns = self.packet_class(encoded_packet=data).namespace or "/"
            pid = self._held_by_eio.pop((eio_sid, ns), None)
            if pid is not None:
                await self._forget(pid)
            else:
                sid = self.manager.sid_from_eio_sid(eio_sid, ns)
                if sid is not None and self.manager.is_connected(sid, ns):
                    self._leaving.add((eio_sid, ns))
        await super()._handle_eio_message(eio_sid, data)


DISCONNECT_DRAIN = 1.0
"""Seconds a leaving client waits for its DISCONNECT packets to be written."""


class RecoveringClient(EngineClient):
    """An ``AsyncClient`` that asks to be recovered, as socket.io-client 4.6+ does.

    It remembers each namespace's ``pid`` (sent only by a server with recovery
    on) and the last offset received, sends both in the auth of its next
    CONNECT, and reads ``recovered`` from the reply. The offset is taken off
    each event before anything else sees it. Events that arrive before the
    CONNECT reply (a recovery's missed events, or what a connect handler
    emits) wait for it, as in the JS client: only the reply says whether this
    server adds offsets at all.
    """

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._recovery_pids: dict[str, str] = {}
        self._recovery_offsets: dict[str, str] = {}
        self._recovered_namespaces: set[str] = set()
        self._early_events: dict[str, list[tuple[Any, list[Any]]]] = {}

    @property
    def recovered(self) -> bool:
        """Whether every namespace of the last connection was put back as it was."""
        namespaces = self.namespaces
        return bool(namespaces) and all(n in self._recovered_namespaces for n in namespaces)

    async def disconnect(self) -> None:
        """Leave on purpose, and make sure the server hears it was on purpose.

        python-socketio's client queues its DISCONNECT packets and closes the
        WebSocket before its writer has sent them: the server sees a lost
        transport and would hold the session for a recovery nobody will ask
        for. So the DISCONNECTs go out first, and the queue is given (at most)
        a second to drain.
        """
        if self._recovery_pids and self.connected:
            for namespace in list(self.namespaces):
                await self._send_packet(self.packet_class(packet.DISCONNECT, namespace=namespace))
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self.eio.queue.join(), DISCONNECT_DRAIN)
        await super().disconnect()

    def _take_offset(self, namespace: str | None, id: Any, data: list[Any]) -> list[Any]:
        """The event without its offset (kept as the namespace's last one)."""
        ns = namespace or "/"
        if id is None and ns in self._recovery_pids and len(data) > 1 and isinstance(data[-1], str):
            self._recovery_offsets[ns] = data[-1]
            return data[:-1]
        return data

    async def _send_packet(self, pkt: Any) -> None:
        if pkt.packet_type == packet.CONNECT:
            ns = pkt.namespace or "/"
            pid = self._recovery_pids.get(ns)
            if pid is not None:
                state = {"pid": pid}
                if ns in self._recovery_offsets:
                    state["offset"] = self._recovery_offsets[ns]
                pkt = self.packet_class(
                    packet.CONNECT, data={**state, **(pkt.data or {})}, namespace=pkt.namespace
                )
        await super()._send_packet(pkt)

    async def _handle_connect(self, namespace: str | None, data: Any) -> None:
        ns = namespace or "/"
        pid = data.get("pid") if isinstance(data, dict) else None
        if isinstance(pid, str) and pid == self._recovery_pids.get(ns):
            self._recovered_namespaces.add(ns)
        else:
            self._recovered_namespaces.discard(ns)
            self._recovery_offsets.pop(ns, None)
        if isinstance(pid, str):
            self._recovery_pids[ns] = pid
        else:
            self._recovery_pids.pop(ns, None)
        await super()._handle_connect(namespace, data)
        for id, event_data in self._early_events.pop(ns, []):
            await self._deliver_event(namespace, id, event_data)

    async def _handle_error(self, namespace: str | None, data: Any) -> None:
        self._early_events.pop(namespace or "/", None)  # refused: what came before is void
        await super()._handle_error(namespace, data)

    async def _handle_event(self, namespace: str | None, id: Any, data: list[Any]) -> None:
        ns = namespace or "/"
        if ns not in self.namespaces:  # before the CONNECT reply: it says whether offsets come
            self._early_events.setdefault(ns, []).append((id, data))
            return
        await self._deliver_event(namespace, id, data)

    async def _deliver_event(self, namespace: str | None, id: Any, data: list[Any]) -> None:
        """Hand an event on without its offset (every hook and handler sees the plain event)."""
        await super()._handle_event(namespace, id, self._take_offset(namespace, id, data))
