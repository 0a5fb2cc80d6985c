"""The Python servers under test, each in its own process: ``python python_server.py VARIANT``.

- ``chatlib``: the server the notebooks and the chat page use (EmbeddedServer,
  ObservedServer with its log, the chat app's validating handler).
- ``chatlib-uvloop``: the same server on uvloop (``pip install uvloop``), to see whether
  a faster loop still helps once the broadcast path is lean (a kernel's loop cannot be swapped).
- ``defaults``: python-socketio as its documentation starts it, nothing tuned.
- ``chatlib-redis REDIS_URL CHANNEL``: one chatlib node of a cluster sharing that Redis channel.
Prints its URL on the first line, then serves until killed.
"""

import asyncio
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


if __name__ == "__main__":
    variant = sys.argv[1]
    if variant == "chatlib-redis":
        asyncio.run(chatlib_redis_node(*sys.argv[2:4]))
    elif variant == "chatlib-uvloop":
        import uvloop

        uvloop.run(chatlib_server())
    else:
        asyncio.run({"chatlib": chatlib_server, "defaults": defaults_server}[variant]())
