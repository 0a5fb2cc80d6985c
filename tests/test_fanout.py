"""The broadcast fast path must deliver exactly what python-socketio's own path delivers."""

import aiohttp

from chatlib import EmbeddedServer, connect_clients, settle
from chatlib.fanout import FanoutManager, QuickPollSocket


async def test_fast_and_stock_managers_reach_the_same_clients():
    import socketio

    results = {}
    for manager in (FanoutManager(), socketio.AsyncManager()):
        server = await EmbeddedServer("fanout", client_manager=manager).start()
        clients = await connect_clients(server.url, ["alice", "bob", "carol", "dave"])
        sio, sid = server.sio, server.sio.sid_of
        await sio.enter_room(sid("alice"), "r1")
        await sio.enter_room(sid("bob"), "r1")
        await sio.enter_room(sid("carol"), "r2")
        await sio.emit("all", 1)
        await sio.emit("r1", (1, "two"), to="r1")
        await sio.emit("both", None, to=["r1", "r2"], skip_sid=[sid("bob")])
        await sio.emit("one", {"x": 1}, to=sid("dave"))
        for n in range(50):
            await sio.emit("order", n, to="r2")
        delivery = await settle(server, clients)
        results[type(manager).__name__] = (
            str(delivery),
            clients[2].received("order"),
            clients[0].received("r1"),
        )
        await server.stop()
    assert results["FanoutManager"] == results["AsyncManager"]
    _, order, args = results["FanoutManager"]
    assert order == list(range(50))
    assert args == [(1, "two")]


async def test_sockets_poll_without_a_task_per_wakeup(server):
    await connect_clients(server.url, ["alice"])
    (socket,) = server.sio.eio.sockets.values()
    assert type(socket) is QuickPollSocket
    assert isinstance(server.sio.manager, FanoutManager)


async def test_websocket_compression_is_declined_unless_asked_for():
    for compression in (False, True):
        server = await EmbeddedServer("ws", websocket_compression=compression).start()
        url = server.url + "/socket.io/?EIO=4&transport=websocket"
        async with aiohttp.ClientSession() as http, http.ws_connect(url, compress=15) as ws:
            assert bool(ws.compress) is compression  # the client asked; the server decided
            assert (await ws.receive_str()).startswith("0{")  # the Engine.IO open packet
        await server.stop()
