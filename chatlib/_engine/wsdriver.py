"""WebSocket frames without per-message compression, decided where the response is made.

python-engineio's aiohttp driver opens every WebSocket with aiohttp's default
``compress=True`` and has no option to change it. Browsers and socket.io-client
ask for permessage-deflate, so each ~100-byte chat frame would be deflated once
per receiver, and a broadcast's frame could not be shared by its receivers
(see ``sharedframe``). Node's socket.io leaves compression off by default; so
does chatlib.

The driver class is swapped in one server's copy of engine.io's driver table
(``eio._async``), as ``frames`` does, for a subclass whose response is made
with ``compress=False``: the client's offer is simply not accepted. This
replaces a middleware that cloned each request without its extension header;
the clone and its copied headers stayed alive for as long as the connection,
about 1.5 KB per idle client.
"""

from __future__ import annotations

from typing import Any

import engineio
from aiohttp import web


def decline_compression(eio: engineio.AsyncServer) -> None:
    """Make ``eio`` answer every WebSocket handshake without permessage-deflate.

    Only this server changes: the driver table is shared by every server in the
    process, so it gets a copy of its own. Call it before ``frames.close_on_bad_frames``
    or after: each subclasses whatever driver the table holds.
    """
    base = eio._async["websocket"]

    class UncompressedWebSocket(base):  # type: ignore[misc, valid-type]
        async def __call__(self, environ: dict[str, Any]) -> web.WebSocketResponse:
            # The stock driver's steps, with compression declined.
            self._sock = web.WebSocketResponse(
                max_msg_size=self.server.max_http_buffer_size, compress=False
            )
            await self._sock.prepare(environ["aiohttp.request"])
            self.environ = environ
            await self.handler(self)
            return self._sock

    eio._async = {**eio._async, "websocket": UncompressedWebSocket}
