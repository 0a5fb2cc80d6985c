"""What is really on the wire under a server's namespaces.

Namespaces are multiplexed: one client talking to ``/``, ``/teachers`` and
``/students`` uses one Engine.IO session over one TCP connection, and gets one
Socket.IO id per namespace. These helpers count the sessions and the TCP
connections (with psutil) so a lesson can prove that rather than assert it.
Servers and clients live in the same process here, so the server's side of
each connection is a socket of this process whose local port is the server's.
"""

from __future__ import annotations

import os

from .clients import ChatClient
from .server import EmbeddedServer


def engineio_sessions(server: EmbeddedServer) -> int:
    """How many Engine.IO sessions (one per connected client) the server holds."""
    return len(server.sio.eio.sockets)


def tcp_connections(server: EmbeddedServer) -> int:
    """How many established TCP connections the server's listening port has accepted."""
    try:
        import psutil
    except ImportError as error:  # pragma: no cover - psutil is in the lab extra
        raise RuntimeError("counting TCP connections needs psutil: pip install psutil") from error
    own = psutil.Process(os.getpid()).net_connections(kind="tcp")
    return sum(
        1
        for conn in own
        if conn.status == psutil.CONN_ESTABLISHED
        and conn.laddr
        and conn.laddr.port == server.port
        and conn.raddr
    )


def sessions_of(client: ChatClient) -> dict[str, object]:
    """The client's one Engine.IO session id and its Socket.IO id per namespace.

    Ids change every run: print facts about them (how many, how they
    differ), never the ids themselves.
    """
    return {
        "engineio": client.eio.sid,
        "namespaces": {ns: client.get_sid(ns) for ns in sorted(client.namespaces)},
    }
