"""WebSocket frames without per-message compression, for small chat messages.

python-engineio's aiohttp driver opens every WebSocket with aiohttp's default
``compress=True`` and has no option to change it. Browsers and socket.io-client
ask for permessage-deflate, so each ~100-byte chat frame is deflated once per
receiver: the largest single cost of a broadcast (see benchmarks/README.md).
Node's socket.io leaves compression off by default; so does chatlib.
"""

from __future__ import annotations

from typing import Any

from aiohttp.web import WebSocketResponse
from engineio.async_drivers import aiohttp as engineio_aiohttp


class UncompressedWebSocket(engineio_aiohttp.WebSocket):
    """engineio's aiohttp WebSocket wrapper, answering without permessage-deflate.

    Only ``__call__`` (the handshake) changes, so it also sits in front of a
    subclass of engineio's wrapper that changes the rest (the classroom's
    frame check is one).
    """

    async def __call__(self, environ: dict[str, Any]) -> WebSocketResponse:
        self._sock = WebSocketResponse(
            max_msg_size=self.server.max_http_buffer_size, compress=False
        )
        await self._sock.prepare(environ["aiohttp.request"])
        self.environ = environ
        await self.handler(self)
        return self._sock


def disable_websocket_compression(eio: Any) -> None:
    """Make one Engine.IO server (``sio.eio``) open its WebSockets uncompressed.

    Keeps whatever wrapper the server already uses (a subclass of engineio's)
    behind the uncompressed handshake. The driver table is shared by every
    server in the process, so this server gets a copy of its own.
    """
    current = eio._async["websocket"]
    if issubclass(current, UncompressedWebSocket):
        return
    wrapper = (
        UncompressedWebSocket
        if current is engineio_aiohttp.WebSocket
        else type(f"Uncompressed{current.__name__}", (UncompressedWebSocket, current), {})
    )
    eio._async = {**eio._async, "websocket": wrapper}
