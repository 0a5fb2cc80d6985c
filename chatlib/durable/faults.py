"""Faults a lesson can inject on purpose, to watch the delivery guarantees hold.

- ``drop_connection``: one client's TCP connection is cut, as when a laptop
  leaves the Wi-Fi. Neither side says goodbye, so the client reconnects by
  itself (a polite ``disconnect()`` from either side would stop it doing so).
- restarting the whole server: ``DurableChatServer.restart()``.
- a server slow to acknowledge: ``DurableChatServer.ack_delay``.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from typing import TYPE_CHECKING

from ..clients import ChatClient
from ..server import EmbeddedServer

if TYPE_CHECKING:
    from .server import DurableChatServer


def drop_connection(
    server: EmbeddedServer | DurableChatServer, client: ChatClient, namespace: str = "/"
) -> None:
    """Cut ``client``'s connection to ``server`` (an ``EmbeddedServer`` or a durable one).

    Works for websocket clients (every ``ChatClient``): their first HTTP
    request is the websocket itself, whose transport is aborted here.
    """
    sio = server.sio
    sid = sio.sid_of(client.name, namespace)
    if sid is None:
        raise ValueError(f"{client.name} is not connected to server {server.name!r}")
    environ = sio.get_environ(sid, namespace) or {}
    request = environ.get("aiohttp.request")
    if request is None or request.transport is None:
        raise ValueError(f"{client.name}'s connection to server {server.name!r} is already gone")
    request.transport.abort()


@contextlib.contextmanager
def slow_acks(server: DurableChatServer, seconds: float) -> Iterator[None]:
    """Inside the block, ``server`` (a ``DurableChatServer``) acknowledges new messages late.

    The message is stored and broadcast at once; only the answer to the
    sender waits. A sender whose timeout is shorter sends again: the lesson's
    way to make a retry of an already stored message happen on purpose.
    """
    before = server.ack_delay
    server.ack_delay = seconds
    try:
        yield
    finally:
        server.ack_delay = before
