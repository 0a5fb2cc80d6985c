"""The broadcast fast path must deliver exactly what python-socketio's own path delivers."""

import aiohttp

from chatlib import EmbeddedServer, connect_clients, settle
from chatlib._engine.quickpoll import QuickPollSocket
from chatlib.fanout import FanoutManager


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


async def test_order_holds_when_frames_take_both_paths(server):
    alice, bob = await connect_clients(server.url, ["alice", "bob"])
    big = "x" * 40_000  # larger than a direct write: goes through the queue
    for n in range(60):
        await server.sio.emit("n", (n, big if n % 3 == 0 else "small"))
    await server.sio.emit("bin", b"\x00\x01\x02")
    await settle(server, alice, bob)
    for client in (alice, bob):
        assert [args[0] for args in client.received("n")] == list(range(60))
        assert client.received("bin") == [b"\x00\x01\x02"]


async def test_a_client_that_stops_reading_does_not_hold_up_the_others(server):
    """The broadcast never waits on one reader: its frames queue, the others' keep flowing."""
    import asyncio

    (alice,) = await connect_clients(server.url, ["alice"])
    url = server.url + "/socket.io/?EIO=4&transport=websocket"
    async with aiohttp.ClientSession() as http, http.ws_connect(url, compress=0) as stuck:
        assert (await stuck.receive_str()).startswith("0")  # Engine.IO open
        await stuck.send_str('40{"name":"stuck"}')  # Socket.IO connect to "/", then no more reads
        assert (await stuck.receive_str()).startswith("40")
        payload = "y" * 8_000
        started = asyncio.get_running_loop().time()
        for n in range(1_000):  # 8 MB: more than loopback buffers hold for a reader that stops
            await server.sio.emit("flood", (n, payload))
        elapsed = asyncio.get_running_loop().time() - started
        await settle(server, alice, timeout=20)
        assert [args[0] for args in alice.received("flood")] == list(range(1_000))
        stuck_socket = next(
            s for s in server.sio.eio.sockets.values() if s is not _socket_of(server, alice)
        )
        assert not stuck_socket.queue.empty(), "the stuck reader's frames should be queued"
        assert elapsed < 10


def _socket_of(server, client):
    return server.sio.eio.sockets[client.eio.sid]


async def test_the_classroom_frame_check_survives_the_uncompressed_handshake():
    from chatlib.classroom.guard import ClassroomServer

    server = await EmbeddedServer("guarded", server_class=ClassroomServer).start()
    try:
        url = server.url + "/socket.io/?EIO=4&transport=websocket"
        async with aiohttp.ClientSession() as http, http.ws_connect(url, compress=15) as ws:
            assert not ws.compress
            assert (await ws.receive_str()).startswith("0{")
            await ws.send_str("x")  # not Engine.IO at all: the check closes this connection
            closing = await ws.receive(timeout=5)
            assert closing.type in (aiohttp.WSMsgType.CLOSE, aiohttp.WSMsgType.CLOSED)
        dropped = server.log.lines("dropped")
        assert dropped == ["a client sent a frame that is not Engine.IO: closed"]
    finally:
        await server.stop()


async def test_broadcasts_that_take_turns_keep_their_order_on_every_socket(server):
    """A large broadcast yields to the loop; one emitted after it must still arrive after it,
    even where the two visit the sockets in different orders."""
    import asyncio

    from chatlib.fanout import RECEIVERS_PER_TURN

    names = [f"c{n}" for n in range(RECEIVERS_PER_TURN * 3)]
    clients = await connect_clients(server.url, names)
    for client in reversed(clients):  # the room's order is the reverse of everyone's
        await server.sio.enter_room(client.get_sid(), "reversed")
    await asyncio.gather(server.sio.emit("first", 1, to="reversed"), server.sio.emit("second", 2))
    await settle(server, clients, timeout=20)
    for client in clients:
        assert [m.event for m in client.inbox] == ["first", "second"], client.name


async def test_a_burst_of_large_broadcasts_leaves_the_loop_free_between_turns(server):
    """While 20 broadcasts to 150 clients go out, a callback queued behind them runs before
    they have all finished: the loop is not held for the whole burst."""
    import asyncio

    clients = await connect_clients(server.url, [f"c{n}" for n in range(150)])
    finished: list[int] = []

    async def emit(n: int) -> None:
        await server.sio.emit("n", n)
        finished.append(n)

    seen_by_the_callback: list[int] = []
    burst = asyncio.gather(*(emit(n) for n in range(20)))
    asyncio.get_running_loop().call_soon(lambda: seen_by_the_callback.append(len(finished)))
    await burst
    await settle(server, clients, timeout=20)
    assert seen_by_the_callback[0] < 20
    assert finished == list(range(20))  # and they finished in the order they were emitted
    assert all(len(c.inbox) == 20 for c in clients)
