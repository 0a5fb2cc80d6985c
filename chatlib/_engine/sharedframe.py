"""One broadcast, one WebSocket frame: the same bytes written to every idle receiver.

A server's WebSocket frame carries no mask and, without per-message
compression, nothing that depends on the connection: for a broadcast it is
the same bytes for every receiver. aiohttp would build it again for each one
(header, payload copy, checks, an awaited call through engine.io's driver).
Here it is built once, and each idle receiver gets one ``send`` of those bytes
on its socket (what ``transport.write`` would do first, nothing being buffered
for that client); only what the kernel does not take goes to
``transport.write``, to be buffered as usual.

"Idle" is what ``QuickPollSocket.send`` checks before its own direct write:
the socket is on WebSocket, not closing, its queue empty, no writer running,
nothing buffered for the client, and its last ping answered in time. Every
other receiver (still polling, a slow reader, a compressed connection, a
lost one) gets the packets the usual way, through engine.io, so order,
back-pressure and liveness stay engine.io's.

Relies on ``QuickPollSocket``'s record of its plain WebSocket transport and
of that transport's socket (asyncio's ``_sock``), and on python-engineio's
``AsyncSocket`` attributes (``queue``, ``upgraded``, ``closing``, ``closed``,
``last_ping``); ``tests/test_engine_contract.py`` pins them.
"""

from __future__ import annotations

import logging
import struct
import time
from collections.abc import Iterable, Sequence
from typing import Any

from engineio import packet as eio_packet

from .quickpoll import log_sending

TEXT, BINARY = 0x1, 0x2
"""WebSocket opcodes (RFC 6455, section 5.2)."""
FINAL = 0x80
"""The FIN bit: the frame is a whole message."""


def websocket_frames(packets: Iterable[eio_packet.Packet]) -> bytes:
    """The server-to-client WebSocket frames of ``packets``, one after the other.

    A server's frames are unmasked (RFC 6455, 5.1); Engine.IO sends text
    packets as text frames and binary ones as the raw bytes in a binary frame.
    """
    parts: list[bytes] = []
    for pkt in packets:
        encoded = pkt.encode()
        if isinstance(encoded, str):
            payload, opcode = encoded.encode("utf-8"), TEXT
        else:
            payload, opcode = bytes(encoded), BINARY
        size = len(payload)
        if size < 126:
            parts.append(bytes((FINAL | opcode, size)))
        elif size < 65536:
            parts.append(struct.pack("!BBH", FINAL | opcode, 126, size))
        else:
            parts.append(struct.pack("!BBQ", FINAL | opcode, 127, size))
        parts.append(payload)
    return b"".join(parts)


def write_to_idle(
    eio: Any, eio_sids: Sequence[str], frame: bytes, packets: Sequence[eio_packet.Packet]
) -> list[str]:
    """Write ``frame`` to every idle receiver in ``eio_sids``; return the others, in order.

    ``frame`` is ``websocket_frames(packets)``; the receivers returned must
    be given ``packets`` through engine.io (``eio.send_packet``).
    """
    sockets = eio.sockets
    stale_before = time.time() - eio.ping_timeout  # check_ping_timeout's test, once per call
    logged = eio.logger.isEnabledFor(logging.INFO)
    left: list[str] = []
    for eio_sid in eio_sids:
        socket = sockets.get(eio_sid)
        transport = getattr(socket, "_plain_transport", None)
        if (
            transport is None
            or not socket._reading  # QuickPollSocket._writer_idle, inline: once per receiver
            or socket._writer is not None
            or socket.closing
            or socket.closed
            or not socket.upgraded
            or not socket.queue.empty()
            or (socket.last_ping and socket.last_ping < stale_before)
            or transport.get_write_buffer_size()
            or transport.is_closing()
        ):
            left.append(eio_sid)
            continue
        send = socket._plain_send
        sent = 0
        if send is not None:  # the transport's own first step, without its checks and frame
            try:
                sent = send(frame)
            except OSError:  # full, or lost: the transport meets it again below and copes
                sent = 0
        if sent < len(frame):
            transport.write(memoryview(frame)[sent:] if sent else frame)
        if logged:
            for pkt in packets:
                log_sending(eio.logger, eio_sid, pkt)
    return left
