"""Hostile clients against both of chatlib's network servers: `serve`'s chat and the classroom.

Sessions that never join a namespace are closed within seconds while
everyone else still gets in; a malformed frame closes its sender's session
in one log line, without a traceback.
"""

import asyncio
import json
import logging
import time

import aiohttp
import pytest

from chatlib import start_server, wait_until
from chatlib._engine.server import JOIN_TIMEOUT
from chatlib.chat import add_chat_handlers
from chatlib.classroom.session import start_class
from chatlib.clients import ChatClient


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


async def get_page(url: str) -> float:
    began = time.monotonic()
    timeout = aiohttp.ClientTimeout(total=30)
    async with aiohttp.ClientSession(timeout=timeout) as http, http.get(url + "/") as response:
        assert response.status == 200
        await response.read()
    return time.monotonic() - began


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


DEEP = '42["chat message",' + "[" * 3000 + "]" * 3000 + "]"


@pytest.mark.parametrize(
    ("frame", "logged"),
    [
        (DEEP, "mallory sent a malformed packet (RecursionError): disconnected"),
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
    ids=["nested 3,000 deep", "ack for nothing", "namespace not joined", "no name", "attachments"],
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
