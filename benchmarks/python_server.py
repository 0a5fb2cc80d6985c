"""The Python servers under test, each in its own process: ``python python_server.py VARIANT``.

- ``chatlib``: the server the notebooks and the chat page use (EmbeddedServer,
  ObservedServer with its log, the chat app's validating handler).
- ``chatlib-uvloop``: the same server on uvloop (``pip install uvloop``), to see whether
  a faster loop still helps once the broadcast path is lean (a kernel's loop cannot be swapped).
- ``defaults``: python-socketio as its documentation starts it, nothing tuned.
- ``chatlib-redis REDIS_URL CHANNEL``: one chatlib node of a cluster sharing that Redis channel.
- ``aiohttp-floor``: not Socket.IO, only as much of it as keeps an idle client connected
  (the Engine.IO open packet, the namespace's CONNECT, one server-wide ping loop) on a bare
  aiohttp WebSocket handler: what any server built on aiohttp pays per idle connection.
Prints its URL on the first line, then serves until killed.
"""

import asyncio
import json
import sys

import socketio
from aiohttp import web

from chatlib import EmbeddedServer, add_chat_handlers


async def chatlib_server() -> None:
    server = EmbeddedServer("bench")
    add_chat_handlers(server.sio)
    await server.start()
    print(server.url, flush=True)
    await asyncio.Event().wait()


async def chatlib_redis_node(redis_url: str, channel: str) -> None:
    from chatlib.scale.cluster import Cluster

    node = await Cluster(redis_url, channel=channel).start_node("bench")
    add_chat_handlers(node.sio)
    print(node.url, flush=True)
    await asyncio.Event().wait()


async def defaults_server() -> None:
    sio = socketio.AsyncServer(async_mode="aiohttp")
    app = web.Application()
    sio.attach(app)

    @sio.on("chat message")
    async def chat_message(sid, msg):
        await sio.emit("chat message", msg)

    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    print(f"http://127.0.0.1:{runner.addresses[0][1]}", flush=True)
    await asyncio.Event().wait()


async def aiohttp_floor() -> None:
    sockets: set[web.WebSocketResponse] = set()

    async def engineio(request: web.Request) -> web.WebSocketResponse:
        ws = web.WebSocketResponse(compress=False)
        await ws.prepare(request)
        sid = f"{id(ws):x}"
        opening = {"sid": sid, "upgrades": [], "pingInterval": 25000, "pingTimeout": 20000}
        await ws.send_str("0" + json.dumps({**opening, "maxPayload": 1_000_000}))
        sockets.add(ws)
        try:
            async for message in ws:
                if message.data.startswith("40"):  # CONNECT to "/", with its auth
                    await ws.send_str("40" + json.dumps({"sid": sid}))
        finally:
            sockets.discard(ws)
        return ws

    async def ping_everyone() -> None:
        while True:
            await asyncio.sleep(25)
            for ws in list(sockets):
                await ws.send_str("2")

    app = web.Application()
    app.router.add_get("/socket.io/", engineio)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    pinger = asyncio.create_task(ping_everyone())
    print(f"http://127.0.0.1:{runner.addresses[0][1]}", flush=True)
    await asyncio.Event().wait()
    pinger.cancel()


if __name__ == "__main__":
    variant = sys.argv[1]
    if variant == "chatlib-redis":
        asyncio.run(chatlib_redis_node(*sys.argv[2:4]))
    elif variant == "chatlib-uvloop":
        import uvloop

        uvloop.run(chatlib_server())
    else:
        variants = {
            "chatlib": chatlib_server,
            "defaults": defaults_server,
            "aiohttp-floor": aiohttp_floor,
        }
        asyncio.run(variants[variant]())
