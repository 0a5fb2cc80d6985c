"""End a WebSocket session cleanly when a frame is not Engine.IO at all.

python-engineio 4.15 decodes a websocket frame outside its error handling: a
frame that is not Engine.IO (``"x"``, an empty frame) ends its reader without
closing the session, which then lingers, still "online", until the ping
timeout, and holds up the server's shutdown. There is no public hook into
that reader, so one server's copy of the aiohttp driver table (``eio._async``)
gets a websocket wrapper that checks each frame first and closes the
connection instead (through the wrapper's ``_sock``, the aiohttp response).
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable
from typing import Any

import engineio
from aiohttp import WSCloseCode
from engineio import packet as eio_packet

CLOSE_WAIT = 1.0
"""Seconds a client that broke the protocol gets to answer the server's close."""


def close_on_bad_frames(eio: engineio.AsyncServer, on_bad_frame: Callable[[], None]) -> None:
    """Make ``eio`` close any WebSocket whose frame it cannot decode; call ``on_bad_frame``.

    Only this server changes: the driver table is shared by every server in
    the process, so it gets a copy of its own.
    """
    base = eio._async["websocket"]

    class CheckedWebSocket(base):  # type: ignore[misc, valid-type]
        async def wait(self) -> Any:
            data = await super().wait()
            if isinstance(data, str):
                try:
                    eio_packet.Packet(encoded_packet=data)
                except Exception:
                    on_bad_frame()
                    # Close now, waiting at most a second for the client's reply
                    # (aiohttp would wait 10 s for a client that does not read).
                    with contextlib.suppress(TimeoutError):
                        await asyncio.wait_for(
                            self._sock.close(code=WSCloseCode.PROTOCOL_ERROR), CLOSE_WAIT
                        )
                    return None  # what engineio reads as "closed by the client"
            return data

    eio._async = {**eio._async, "websocket": CheckedWebSocket}
