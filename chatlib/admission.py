"""Who may hold a connection to a server, and for how long: one client cannot lock out the rest.

Every open connection costs the server a file descriptor, and a process may
hold only so many (often 1,024). Connections that send nothing, or never
finish their HTTP request, would otherwise be kept forever: about a thousand
of them, from one machine, and nobody else gets in. So:

- a connection that has not sent a complete request within
  ``HANDSHAKE_TIMEOUT`` seconds, or that stays idle that long between two
  requests, is closed (aiohttp's own ``keepalive_timeout``, which since
  aiohttp 3.11 also covers a connection's first request);
- ``ConnectionGate`` counts the open connections of each remote address and,
  when given a cap, cuts the ones over it at once; it also writes one line
  when the process nears its open-file limit;
- ``raise_open_file_limit`` lifts the process's soft limit to its hard one,
  which an unprivileged process may do.

Engine.IO sessions that never join a namespace are closed by the Socket.IO
server itself (``chatlib._engine.server.JOIN_TIMEOUT``).
"""

from __future__ import annotations

import asyncio
import resource
from collections import Counter
from collections.abc import Callable
from typing import Any

from aiohttp import web

HANDSHAKE_TIMEOUT = 5.0
"""Seconds a connection may go without a complete request (its first one included)."""

NEAR_LIMIT = 0.8
"""The share of the open-file limit at which the gate says the server is nearly full."""

ROOM_FOR_DESCRIPTORS = 65536
"""The soft limit aimed at when the hard limit is unlimited."""


def raise_open_file_limit() -> tuple[int, int]:
    """Raise this process's open-file soft limit toward its hard limit; (before, after).

    Where the system refuses (a container's policy), the limit stays as it was.
    """
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    target = ROOM_FOR_DESCRIPTORS if hard == resource.RLIM_INFINITY else hard
    if soft != resource.RLIM_INFINITY and target > soft:
        try:
            resource.setrlimit(resource.RLIMIT_NOFILE, (target, hard))
        except (ValueError, OSError):
            return soft, soft
        return soft, target
    return soft, soft


def report_when_out_of_files(
    loop: asyncio.AbstractEventLoop, report: Callable[[str], None], every: float = 10.0
) -> None:
    """Turn asyncio's "socket.accept() out of system resource" traceback into one line.

    When the process has no file descriptor left, asyncio stops accepting for
    a second and logs a traceback, again and again: a terminal fills with
    them. A console server reports it in one line, at most every ``every``
    seconds; anything else still reaches the loop's default handler.
    """
    last = [-every]

    def handle(loop: asyncio.AbstractEventLoop, context: dict[str, Any]) -> None:
        if not str(context.get("message", "")).startswith("socket.accept() out of system"):
            loop.default_exception_handler(context)
            return
        if loop.time() - last[0] >= every:
            last[0] = loop.time()
            report(
                f"out of open files ({open_file_limit()}): new connections wait until "
                "idle ones are closed"
            )

    loop.set_exception_handler(handle)


def open_file_limit() -> int:
    """The process's current open-file soft limit."""
    soft, _ = resource.getrlimit(resource.RLIMIT_NOFILE)
    return ROOM_FOR_DESCRIPTORS if soft == resource.RLIM_INFINITY else soft


class ConnectionGate:
    """Counts a server's open TCP connections; cuts those over ``per_address``; warns near full.

    ``per_address`` None counts without capping. The machine's own
    connections (remote address = local address: a client on the server's
    machine, the instructor's own notebook) are never capped. ``report``
    gets one line each time an address starts being refused, and once when
    the connections near the open-file limit (again only after they have
    fallen well below it).
    """

    def __init__(self, per_address: int | None, report: Callable[[str], None]) -> None:
        self.per_address = per_address
        self.report = report
        self.open: Counter[str] = Counter()
        self._address_of: dict[Any, str] = {}
        self._refusing: set[str] = set()
        self._warned = False

    def install(self, server: web.Server) -> None:
        """Watch every connection ``server`` (an ``AppRunner``'s ``server``) accepts."""
        made, lost = server.connection_made, server.connection_lost

        def connection_made(handler: web.RequestHandler, transport: asyncio.Transport) -> None:
            made(handler, transport)
            self.admit(handler, transport)

        def connection_lost(handler: web.RequestHandler, exc: BaseException | None = None) -> None:
            self.release(handler)
            lost(handler, exc)

        server.connection_made = connection_made  # type: ignore[method-assign]
        server.connection_lost = connection_lost  # type: ignore[method-assign]

    def admit(self, handler: object, transport: asyncio.Transport) -> None:
        """Count a new connection; cut it if its address is over the cap."""
        peer = transport.get_extra_info("peername")
        local = transport.get_extra_info("sockname")
        address = str(peer[0]) if peer else "?"
        self._address_of[handler] = address
        self.open[address] += 1
        self._check_open_files()
        own = bool(peer and local and peer[0] == local[0])
        if self.per_address is None or own or self.open[address] <= self.per_address:
            return
        if address not in self._refusing:
            self._refusing.add(address)
            self.report(
                f"more than {self.per_address} connections from {address}: "
                "closing each one over that"
            )
        transport.abort()

    def release(self, handler: object) -> None:
        """Forget a connection that has closed."""
        address = self._address_of.pop(handler, None)
        if address is None:
            return
        self.open[address] -= 1
        if self.open[address] <= 0:
            del self.open[address]
        if self.per_address is not None and self.open[address] < self.per_address:
            self._refusing.discard(address)

    def _check_open_files(self) -> None:
        total, limit = self.open.total(), open_file_limit()
        if not self._warned and total >= NEAR_LIMIT * limit:
            self._warned = True
            self.report(
                f"{total} connections open, near this process's limit of {limit} open files: "
                "new clients may be refused"
            )
        elif self._warned and total < NEAR_LIMIT * limit / 2:
            self._warned = False
