"""A broadcast's WebSocket frame, built once and written to every idle receiver.

The frame must be the bytes aiohttp itself would send, real clients (python-socketio
and the official JavaScript client) must read it, a reader that falls behind must
still get everything in order, and a connection that negotiated compression must
keep getting its own compressed frames.
"""

from __future__ import annotations

import asyncio
import base64
import os
import struct
import zlib
from urllib.parse import urlsplit

import pytest
from engineio import packet as eio_packet

from chatlib import EmbeddedServer, connect_clients, settle
from chatlib._engine.sharedframe import websocket_frames

from .node_support import require_node_client, run_node

RSV1 = 0x40
"""The frame header bit that marks a permessage-deflate compressed message."""


class RawWebSocket:
    """A WebSocket client on a bare TCP stream, to see the server's frames byte for byte."""

    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.reader, self.writer = reader, writer
        self.deflate = False
        self.inflater = zlib.decompressobj(-15)  # one context: the server keeps its window

    @classmethod
    async def open(cls, url: str, *, offer_deflate: bool = False) -> RawWebSocket:
        parts = urlsplit(url)
        reader, writer = await asyncio.open_connection(parts.hostname, parts.port)
        key = base64.b64encode(os.urandom(16)).decode()
        offer = "Sec-WebSocket-Extensions: permessage-deflate\r\n" if offer_deflate else ""
        writer.write(
            f"GET /socket.io/?EIO=4&transport=websocket HTTP/1.1\r\nHost: {parts.netloc}\r\n"
            f"Upgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: {key}\r\n"
            f"Sec-WebSocket-Version: 13\r\n{offer}\r\n".encode()
        )
        head = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), 5)
        assert head.startswith(b"HTTP/1.1 101"), head
        socket = cls(reader, writer)
        socket.deflate = b"permessage-deflate" in head.lower()
        return socket

    async def join(self, name: str) -> None:
        """Engine.IO open, then Socket.IO connect to "/" as ``name``."""
        assert (await self.read_payload()).startswith(b"0{")
        await self.send_text(f'40{{"name":"{name}"}}')
        assert (await self.read_payload()).startswith(b"40")

    async def read_frame(self, timeout: float = 5) -> bytes:
        """One whole frame as it came off the wire: header and payload."""
        head = await asyncio.wait_for(self.reader.readexactly(2), timeout)
        size, extended = head[1] & 0x7F, b""
        if size == 126:
            extended = await self.reader.readexactly(2)
            (size,) = struct.unpack("!H", extended)
        elif size == 127:
            extended = await self.reader.readexactly(8)
            (size,) = struct.unpack("!Q", extended)
        return head + extended + await asyncio.wait_for(self.reader.readexactly(size), timeout)

    async def read_payload(self, timeout: float = 5) -> bytes:
        """The next message's payload, inflated if the frame says it is compressed."""
        return self.payload_of(await self.read_frame(timeout))

    def payload_of(self, frame: bytes) -> bytes:
        payload = frame[len(frame) - payload_size(frame) :]
        if frame[0] & RSV1:
            return self.inflater.decompress(payload + b"\x00\x00\xff\xff")
        return payload

    async def send_text(self, text: str) -> None:
        """A masked text frame, as a client must send it (RFC 6455, 5.3)."""
        payload, mask = text.encode(), os.urandom(4)
        assert len(payload) < 126
        masked = bytes(b ^ mask[i % 4] for i, b in enumerate(payload))
        self.writer.write(bytes((0x81, 0x80 | len(payload))) + mask + masked)
        await self.writer.drain()

    def close(self) -> None:
        self.writer.close()


def payload_size(frame: bytes) -> int:
    size = frame[1] & 0x7F
    if size == 126:
        return int(struct.unpack("!H", frame[2:4])[0])
    if size == 127:
        return int(struct.unpack("!Q", frame[2:10])[0])
    return size


def event_packets(server: EmbeddedServer, *args: object) -> list[eio_packet.Packet]:
    """The Engine.IO packets python-socketio builds for ``emit(*args)`` to "/"."""
    return server.sio.manager._packets(args[0], args[1] if len(args) == 2 else args[1:], "/")


async def test_a_built_frame_is_the_bytes_aiohttp_writes_for_the_same_packet(server):
    raw = await RawWebSocket.open(server.url)
    try:
        await raw.join("raw")
        (eio_sid,) = server.sio.eio.sockets
        for body in ("hi", "é" * 200, "x" * 70_000, b"\x00\xff" * 100):
            pkt = eio_packet.Packet(eio_packet.MESSAGE, body)
            await server.sio.eio.send_packet(eio_sid, pkt)  # engine.io's path: aiohttp frames it
            assert await raw.read_frame() == websocket_frames([pkt]), body[:10]
    finally:
        raw.close()


async def test_broadcasts_waiting_together_arrive_as_separate_frames_in_order(server):
    raw = await RawWebSocket.open(server.url)
    try:
        await raw.join("raw")
        (alice,) = await connect_clients(server.url, ["alice"])
        await asyncio.gather(*(server.sio.emit("n", (n, "é" * n)) for n in range(30)))
        frames = [await raw.read_frame() for _ in range(30)]
        assert frames == [
            websocket_frames(event_packets(server, "n", n, "é" * n)) for n in range(30)
        ]
        await settle(server, alice)
        assert alice.received("n") == [(n, "é" * n) for n in range(30)]
    finally:
        raw.close()


async def test_a_small_broadcast_never_overtakes_a_large_one_still_queued(server):
    """A frame too large to share goes through the socket's queue; one emitted right after
    it, in the same turn of the loop, must wait behind it rather than be written at once."""
    clients = await connect_clients(server.url, ["alice", "bob"])
    for n in range(0, 40, 2):
        await asyncio.gather(
            server.sio.emit("n", (n, "L" * 40_000)), server.sio.emit("n", (n + 1, "small"))
        )
    await settle(server, clients)
    for client in clients:
        assert [args[0] for args in client.received("n")] == list(range(40)), client.name


async def test_a_reader_that_falls_behind_gets_every_frame_in_order(server):
    """The first frames are written shared; once its buffer fills, its queue takes over."""
    raw = await RawWebSocket.open(server.url)
    try:
        await raw.join("slow")
        (alice,) = await connect_clients(server.url, ["alice"])
        slow = next(s for s in server.sio.eio.sockets.values() if s.sid != alice.eio.sid)
        assert slow.queue.empty()
        body = "s" * 8_000
        for n in range(600):  # 4.8 MB: far more than loopback buffers hold unread
            await server.sio.emit("n", (n, body))
        assert not slow.queue.empty(), "the reader that stopped should have frames queued"
        seen = []
        while len(seen) < 600:
            payload = await raw.read_payload(timeout=20)
            if payload.startswith(b"42"):
                seen.append(int(payload.split(b",")[1]))
        assert seen == list(range(600))
        await settle(server, alice, timeout=20)
        assert [args[0] for args in alice.received("n")] == list(range(600))
    finally:
        raw.close()


async def test_a_compressed_connection_gets_compressed_frames_beside_shared_ones():
    async with EmbeddedServer("deflate", websocket_compression=True) as server:
        squeezed = await RawWebSocket.open(server.url, offer_deflate=True)
        plain = await RawWebSocket.open(server.url)
        try:
            assert squeezed.deflate and not plain.deflate
            await squeezed.join("squeezed")
            await plain.join("plain")
            text = "the same words, again and again; " * 20
            for n in range(5):
                await server.sio.emit("n", (n, text))
                expected = websocket_frames(event_packets(server, "n", n, text))
                assert await plain.read_frame() == expected
                frame = await squeezed.read_frame()
                assert frame[0] & RSV1, "a compressed connection got an uncompressed frame"
                assert squeezed.payload_of(frame) == plain.payload_of(expected)
        finally:
            squeezed.close()
            plain.close()


@pytest.mark.node
async def test_one_frame_reaches_python_and_javascript_clients_alike(server):
    require_node_client()
    bodies: list[object] = ["small", "ü€ text", "m" * 300, "l" * 12_000, "q" * 40_000, b"\x00\xff"]
    count = 60
    python_clients = await connect_clients(server.url, ["alice", "bob"])

    @server.sio.on("broadcast please")
    async def broadcast(sid: str) -> bool:
        for n in range(count):
            await server.sio.emit("n", (n, bodies[n % len(bodies)]))
        return True

    report = await run_node("shared-frames.mjs", server.url, str(count))
    await settle(server, python_clients)

    def seen_as(body: object) -> list[object]:
        if isinstance(body, bytes):
            return ["bytes", list(body)]
        return ["string", len(str(body))]

    expected = [[n, *seen_as(bodies[n % len(bodies)])] for n in range(count)]
    assert report["inboxes"] == [expected] * 3
    for client in python_clients:
        assert client.received("n") == [(n, bodies[n % len(bodies)]) for n in range(count)]
