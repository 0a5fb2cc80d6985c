"""Hostile clients against both of chatlib's network servers: `serve`'s chat and the classroom.

Memory stays bounded under a flood of binary attachments; connections that
never finish a request, and sessions that never join a namespace, are closed
within seconds while everyone else still gets in; the classroom caps the
connections of one address; the process's open-file limit is raised, and
nearing it is reported in one line.
"""

import asyncio
import json
import logging
import re
import resource
import subprocess
import sys
import time
from pathlib import Path

import aiohttp
import pytest

from chatlib import start_server, wait_until
from chatlib._engine.server import JOIN_TIMEOUT
from chatlib.admission import HANDSHAKE_TIMEOUT
from chatlib.chat import add_chat_handlers
from chatlib.classroom.limits import Limits
from chatlib.classroom.session import start_class
from chatlib.clients import ChatClient
from tests.serve_support import free_port

from .idle_sockets import open_idle, seconds_until_closed

BENCHMARKS = Path(__file__).resolve().parent.parent / "benchmarks"


@pytest.fixture(params=["serve", "classroom"])
async def server(request):
    """`serve`'s chat server or the classroom's, in this process (an ``EmbeddedServer``)."""
    if request.param == "serve":
        chat = await start_server("hostile", chat_page=True)
        add_chat_handlers(chat.sio)
        yield chat
        await chat.stop()
    else:
        room = await start_class("hostile")
        yield room.server
        await room.stop()


def test_attachment_floods_of_150_mb_leave_both_servers_memory_bounded():
    """The real command-line servers, each its own process, flooded from the benchmark:
    150 MB after announcing 9,999,999,999 attachments, 150 MB more after announcing ten."""
    done = subprocess.run(
        [sys.executable, "hostile.py", "--only", "flood", "--flood-mb", "150", "--json"],
        cwd=BENCHMARKS, capture_output=True, text=True, timeout=240,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr[-2000:]
    rows = json.loads(done.stdout)["flood"]
    assert [row["server"] for row in rows] == ["serve", "classroom"]
    for row in rows:
        assert row["sent_mb"] >= 300, row
        assert row["growth_mb"] < 64, row
        assert row["dropped_lines"] == row["connections"], row  # one line per client cut off


async def get_page(url: str) -> float:
    began = time.monotonic()
    timeout = aiohttp.ClientTimeout(total=30)
    async with aiohttp.ClientSession(timeout=timeout) as http, http.get(url + "/") as response:
        assert response.status == 200
        await response.read()
    return time.monotonic() - began


async def test_connections_that_never_send_a_request_are_closed_and_others_get_in(server):
    idle = await open_idle(server.url, 200)
    assert await get_page(server.url) < 2
    bound = HANDSHAKE_TIMEOUT + 10
    closed = await asyncio.gather(*(seconds_until_closed(r, t, bound) for r, _, t in idle))
    for _, writer, _ in idle:
        writer.close()
    assert None not in closed, f"{closed.count(None)} of 200 idle connections still open"
    assert min(closed) > HANDSHAKE_TIMEOUT - 0.5 and max(closed) < HANDSHAKE_TIMEOUT + 5


async def unjoined_websocket(http: aiohttp.ClientSession, url: str) -> float:
    """Seconds an Engine.IO WebSocket session that joins no namespace stays open."""
    ws = await http.ws_connect(
        url.replace("http://", "ws://") + "/socket.io/?EIO=4&transport=websocket"
    )
    began = time.monotonic()
    async with asyncio.timeout(JOIN_TIMEOUT + 10):
        while (await ws.receive()).type == aiohttp.WSMsgType.TEXT:
            pass  # the open packet, then the close packet; then the connection ends
    return time.monotonic() - began


async def unjoined_polling(http: aiohttp.ClientSession, url: str) -> float:
    """Seconds an Engine.IO polling session that joins no namespace stays open."""
    base = url + "/socket.io/?EIO=4&transport=polling"
    async with http.get(base) as response:
        sid = json.loads((await response.text())[1:])["sid"]
    began = time.monotonic()
    async with asyncio.timeout(JOIN_TIMEOUT + 10):
        while True:
            async with http.get(f"{base}&sid={sid}") as response:
                packets = (await response.text()).split("\x1e")
            if response.status != 200 or "1" in packets:  # the close packet, or gone
                return time.monotonic() - began


async def test_sessions_that_join_no_namespace_are_closed_and_joined_ones_are_not(server):
    joined = ChatClient("joined")
    await joined.connect(server.url)
    async with aiohttp.ClientSession() as http:
        sessions = [unjoined_websocket(http, server.url) for _ in range(30)]
        sessions += [unjoined_polling(http, server.url) for _ in range(30)]
        tasks = [asyncio.ensure_future(session) for session in sessions]
        await wait_until(lambda: len(server.sio.eio.sockets) == 61, what="60 sessions open")
        assert await get_page(server.url) < 2
        lasted = await asyncio.gather(*tasks)
    assert min(lasted) > JOIN_TIMEOUT - 0.5 and max(lasted) < JOIN_TIMEOUT + 3
    await wait_until(lambda: len(server.sio.eio.sockets) == 1, what="only the joined client left")
    assert joined.connected  # it joined at once, and has been open longer than any of them
    await joined.disconnect()


async def test_the_classroom_caps_the_connections_of_one_address():
    room = await start_class("capped", limits=Limits(connections_per_address=5))
    try:
        other = await open_idle(room.url, 12, source="127.0.0.2")
        closed = await asyncio.gather(*(seconds_until_closed(r, t, 1.0) for r, _, t in other))
        assert sum(t is None for t in closed) == 5  # the first five are kept
        assert all(t is not None and t < 0.5 for t in closed[5:])  # the others cut at once
        own = await open_idle(room.url, 12)  # this machine's own (the instructor's): no cap
        assert room.server.gate.open["127.0.0.1"] >= 12
        assert room.server.log.lines("limit") == [
            "more than 5 connections from 127.0.0.2: closing each one over that"
        ]
        for _, writer, _ in other + own:
            writer.close()
        await wait_until(lambda: not room.server.gate.open, what="every connection released")
        again = await open_idle(room.url, 5, source="127.0.0.2")
        kept = await asyncio.gather(*(seconds_until_closed(r, t, 0.5) for r, _, t in again))
        assert kept == [None] * 5
        for _, writer, _ in again:
            writer.close()
    finally:
        await room.stop()


def limited(soft: int, hard: int | None = None):
    """A ``preexec_fn`` that sets the child's open-file limits."""

    def apply() -> None:
        resource.setrlimit(
            resource.RLIMIT_NOFILE,
            (soft, resource.getrlimit(resource.RLIMIT_NOFILE)[1] if hard is None else hard),
        )

    return apply


async def start_cli(*args: str, preexec_fn) -> tuple[asyncio.subprocess.Process, str]:
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "chatlib", *args, "--port", str(free_port()),
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE, preexec_fn=preexec_fn,
    )  # fmt: skip
    assert process.stdout is not None
    async with asyncio.timeout(20):
        while not (
            found := re.search(rb"http://127\.0\.0\.1:\d+", await process.stdout.readline())
        ):
            pass
    return process, found.group(0).decode()


def soft_open_files(pid: int) -> int:
    limits = Path(f"/proc/{pid}/limits").read_text()
    return int(re.search(r"Max open files\s+(\d+)", limits).group(1))


@pytest.mark.parametrize("command", ["serve", "classroom"])
async def test_the_open_file_limit_is_raised_and_nearing_it_is_one_console_line(command):
    _, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if hard != resource.RLIM_INFINITY and hard <= 256:
        pytest.skip(f"the hard open-file limit here is {hard}: nothing to raise")
    process, _ = await start_cli(command, preexec_fn=limited(256))
    try:
        assert soft_open_files(process.pid) == (hard if hard != resource.RLIM_INFINITY else 65536)
    finally:
        process.terminate()
        await process.wait()
    process, url = await start_cli(command, preexec_fn=limited(200, 200))  # cannot be raised
    try:
        assert soft_open_files(process.pid) == 200
        idle = await open_idle(url, 170)
        assert process.stderr is not None
        line = (await asyncio.wait_for(process.stderr.readline(), 10)).decode()
        assert line == (
            "warning: 160 connections open, near this process's limit of 200 open files: "
            "new clients may be refused\n"
        )
        for _, writer, _ in idle:
            writer.close()
    finally:
        process.terminate()
        await process.wait()


DEEP = '42["chat message",' + "[" * 3000 + "]" * 3000 + "]"


@pytest.mark.parametrize(
    ("frame", "logged"),
    [
        (DEEP, "mallory sent a malformed packet (RecursionError): disconnected"),
        ("4" + DEEP[2:], "a client sent a frame that is not Engine.IO: closed"),  # Engine.IO's own
        ("x", "a client sent a frame that is not Engine.IO: closed"),
        ("43999[1]", "mallory sent an acknowledgement the server never asked for: disconnected"),
        (
            '42/nowhere,["chat message","hi"]',
            "mallory sent an event for a namespace it has not joined: disconnected",
        ),
        ('42{"chat message":1}', "mallory sent an event without a name: disconnected"),
        (
            '459999999999-["chat message",{"_placeholder":true,"num":0}]',
            "mallory sent a binary packet announcing 9,999,999,999 attachments (at most 10)"
            ": disconnected",
        ),
    ],
    ids=[
        "nested 3,000 deep",
        "nested, in Engine.IO",
        "not Engine.IO",
        "ack for nothing",
        "namespace not joined",
        "no name",
        "attachments",
    ],
)
async def test_a_malformed_frame_on_serve_is_one_log_line_and_a_closed_session(
    frame, logged, caplog
):
    chat = await start_server("malformed", chat_page=True)
    add_chat_handlers(chat.sio)
    try:
        async with aiohttp.ClientSession() as http:
            ws = await http.ws_connect(
                chat.url.replace("http://", "ws://") + "/socket.io/?EIO=4&transport=websocket"
            )
            assert (await ws.receive_str(timeout=5)).startswith("0{")
            await ws.send_str("40" + json.dumps({"name": "mallory"}))
            assert (await ws.receive_str(timeout=5)).startswith("40{")
            with caplog.at_level(logging.WARNING):
                await ws.send_str(frame)
                ended = await ws.receive(timeout=5)
                while ended.type == aiohttp.WSMsgType.TEXT:
                    ended = await ws.receive(timeout=5)
            assert ended.type in (aiohttp.WSMsgType.CLOSE, aiohttp.WSMsgType.CLOSED)
        assert chat.log.lines("dropped") == [logged]
        assert [r.getMessage() for r in caplog.records if r.levelno >= logging.ERROR] == []
        await wait_until(lambda: not chat.sio.eio.sockets, what="the session closed")
    finally:
        await chat.stop()
