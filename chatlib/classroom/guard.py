"""The classroom's server: an ``ObservedServer`` that checks every client before any handler.

The checks live in the server class, not in a ``connect`` handler, because
a lesson (or an instructor) may register its own handlers on any namespace,
and a function handler replaces whatever was there: a token check written
as a handler could be silently undone. Here it cannot be:

- every namespace's connect is refused unless it carries the access token
  (when one is set) and a valid display name no other connection holds;
- every event is refused, with the reason in its acknowledgement, when it
  uses a reserved name, has no handler, or comes too fast (rate limit);
  chatlib's own events (``settle``'s) are answered only for clients of the
  instructor's process, and count against the rate limit for anyone else;
- a malformed packet disconnects the client that sent it, and only that one.

It does all this through the hooks of ``chatlib._engine.server.EngineServer``
(``ObservedServer``'s base): what it needs of python-socketio's internals is
there, pinned by the contract tests. A WebSocket frame that is not Engine.IO
at all ends that session cleanly (``ObservedServer``, through
``chatlib._engine.frames``) instead of leaving it "online" until the ping
timeout.
"""

from __future__ import annotations

import hmac
from typing import Any

from socketio import exceptions

from ..clients import is_local_client
from ..observed import ObservedServer
from ..protocol import INTERNAL_EVENTS, RESERVED_EVENTS
from .access import TokenGate
from .limits import Limits, RateLimit, check_name, name_key


class ClassroomServer(ObservedServer):
    """An ``ObservedServer`` with an access token, unique names and per-client limits.

    ``members`` maps each Engine.IO connection to the display name it holds:
    one name per connection, whatever namespaces it joins.
    """

    def __init__(
        self, *args: Any, gate: TokenGate | None = None, limits: Limits | None = None, **kwargs: Any
    ) -> None:
        self.limits = limits or Limits()
        kwargs.setdefault("max_http_buffer_size", self.limits.max_packet_bytes)
        super().__init__(*args, **kwargs)
        self.gate = gate or TokenGate(None)
        self.rate = RateLimit(self.limits.per_second, self.limits.burst)
        self.members: dict[str, str] = {}
        self._holders: dict[str, tuple[str, str]] = {}  # name_key -> (eio_sid, seat)

    def online(self) -> list[str]:
        """Sorted display names of everyone connected."""
        return sorted(self.members.values())

    # --- connecting --------------------------------------------------------
    async def on_handler(self, event: str, namespace: str, args: tuple[Any, ...]) -> Any:
        if event != "connect":
            return await super().on_handler(event, namespace, args)
        sid, environ = args[0], args[1]
        auth = args[2] if len(args) > 2 else None
        eio_sid = self.manager.eio_sid_from_sid(sid, namespace)
        given = auth.get("name") if isinstance(auth, dict) else None
        try:
            shown = check_name(given)
        except ValueError:
            shown = "a client with no valid name"
        try:
            self.gate.check(auth)
            name = check_name(given)
            claimed = await self._claim(eio_sid, name, _seat(auth))
        except (ValueError, exceptions.ConnectionRefusedError) as exc:
            message = exc.error_args["message"] if hasattr(exc, "error_args") else str(exc)
            self.log.add("connect", f"{shown} refused on {namespace}: {message}")
            raise exceptions.ConnectionRefusedError(message) from None
        try:
            result = await super().on_handler(
                "connect", namespace, (sid, environ, {**(auth or {}), "name": name})
            )
        except BaseException:
            if claimed:
                self._release(eio_sid)
            raise
        if result is False and claimed:
            self._release(eio_sid)
        return result

    async def _claim(self, eio_sid: str, name: str, seat: str) -> bool:
        """Hold ``name`` for this connection; True when it was not held by it before.

        A connection that presents the same ``seat`` key as the holder of the
        name takes it over (a student reloading the page, or re-running the
        join cell), and the old connection is closed. Anyone else is refused.
        Names are held by ``name_key``: one that only looks like a held name
        (other case, an invisible character, a Cyrillic letter) is taken too.
        """
        key = name_key(name)
        current = self.members.get(eio_sid)
        if current is not None:
            if name_key(current) != key:
                raise ValueError(f"this connection already joined as {current!r}")
            return False
        holder = self._holders.get(key)
        if holder is not None:
            old_eio_sid, old_seat = holder
            if not (seat and old_seat and hmac.compare_digest(seat, old_seat)):
                held = self.members.get(old_eio_sid, name)
                if held == name:
                    raise ValueError(f"the name {name!r} is already taken: pick another name")
                raise ValueError(
                    f"the name {name!r} looks the same as {held!r}, who is already here: "
                    "pick a name that looks different"
                )
            self._release(old_eio_sid)
            self.log.add("connect", f"{name} rejoined: the previous connection is closed")
            await self.eio.disconnect(old_eio_sid)
        self.members[eio_sid] = name
        self._holders[key] = (eio_sid, seat)
        return True

    def _release(self, eio_sid: str) -> None:
        name = self.members.pop(eio_sid, None)
        if name is not None and self._holders.get(name_key(name), ("",))[0] == eio_sid:
            del self._holders[name_key(name)]
        self.rate.forget(eio_sid)

    async def on_engine_disconnect(self, eio_sid: str) -> None:
        self._release(eio_sid)
        await super().on_engine_disconnect(eio_sid)

    # --- events ------------------------------------------------------------
    async def on_event_packet(
        self, eio_sid: str, namespace: str, id: int | None, data: Any
    ) -> bool:
        event = data[0]  # a name: the engine refused an event without one
        sid = self.manager.sid_from_eio_sid(eio_sid, namespace)
        if not self.manager.is_connected(sid, namespace):
            return False  # still connecting or leaving: python-socketio ignores it too
        if event in INTERNAL_EVENTS and is_local_client(sid, namespace):
            return True  # settle() and its barrier, from the instructor's own clients
        refusal = self._refusal(eio_sid, namespace, event)
        if refusal is None:
            return True
        who = self.name_of(sid, namespace)
        self.log.add("refused", f"{who} → {event[:40]!r} refused: {refusal}")
        if id is not None:
            await self.send_ack(eio_sid, namespace, id, [{"ok": False, "error": refusal}])
        return False

    def _refusal(self, eio_sid: str, namespace: str, event: str) -> str | None:
        if event in RESERVED_EVENTS or event in self.reserved_events:
            return f"{event!r} is a reserved event name: clients cannot send it"
        if not self.rate.allow(eio_sid):
            return self.rate.explain()
        if event in INTERNAL_EVENTS:
            return f"{event!r} is for the instructor's own clients: students cannot send it"
        if not self.has_handler(event, namespace):
            return f"unknown event {event[:40]!r}: this server does not handle it"
        return None

    # --- bad packets -------------------------------------------------------
    def engine_name(self, eio_sid: str) -> str:
        return self.members.get(eio_sid, "a client")


def _seat(auth: Any) -> str:
    seat = auth.get("seat") if isinstance(auth, dict) else None
    return seat if isinstance(seat, str) and 16 <= len(seat) <= 64 else ""
