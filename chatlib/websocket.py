"""WebSocket frames without per-message compression, for small chat messages.

python-engineio's aiohttp driver opens every WebSocket with aiohttp's default
``compress=True`` and has no option to change it. Browsers and socket.io-client
ask for permessage-deflate, so each ~100-byte chat frame is deflated once per
receiver: the largest single cost of a broadcast (see benchmarks/README.md).
Node's socket.io leaves compression off by default; so does chatlib.

aiohttp compresses only what the client offers in its handshake's
``Sec-WebSocket-Extensions`` header. An aiohttp middleware that removes that
header before engine.io sees the request means no offer, so no compression,
with public API only and whatever websocket class engine.io uses.
"""

from __future__ import annotations

from aiohttp import hdrs, web
from aiohttp.typedefs import Handler


@web.middleware
async def decline_websocket_compression(
    request: web.Request, handler: Handler
) -> web.StreamResponse:
    """Hand ``request`` on without its WebSocket extension offer (permessage-deflate)."""
    if hdrs.SEC_WEBSOCKET_EXTENSIONS in request.headers:
        headers = request.headers.copy()
        del headers[hdrs.SEC_WEBSOCKET_EXTENSIONS]
        request = request.clone(headers=headers)
    return await handler(request)
