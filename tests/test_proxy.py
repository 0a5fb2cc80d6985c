"""chatlib.scale.proxy: polling needs sticky sessions, a websocket does not (real nodes, Redis)."""

import json

import aiohttp
import pytest

from chatlib import ChatClient, settle
from chatlib.scale.proxy import TeachingProxy


async def polling_connect(url: str) -> list[int]:
    """Engine.IO by hand: handshake, Socket.IO CONNECT (POST "40"), read the answer (GET)."""
    statuses = []
    timeout = aiohttp.ClientTimeout(total=5)
    async with aiohttp.ClientSession(timeout=timeout) as http:
        async with http.get(url + "/socket.io/?EIO=4&transport=polling") as answer:
            statuses.append(answer.status)
            sid = json.loads((await answer.text())[1:])["sid"]
        session = f"{url}/socket.io/?EIO=4&transport=polling&sid={sid}"
        async with http.post(session, data="40") as answer:
            statuses.append(answer.status)
        if answer.status != 200:
            return statuses  # a GET now would wait for the node's next ping (25 s)
        async with http.get(session) as answer:
            statuses.append(answer.status)
            if answer.status == 200:
                assert (await answer.text()).startswith("40{")
    return statuses


async def test_round_robin_breaks_polling_with_invalid_session(nodes):
    async with TeachingProxy(nodes, "round-robin") as proxy:
        assert await polling_connect(proxy.url) == [200, 400]
        assert proxy.log == [
            "GET polling (handshake) → node-a",
            'POST polling (with sid) → node-b: 400 "Invalid session <sid>"',
        ]
    assert nodes[1].log.lines("error")[-1].startswith("Invalid session")


async def test_sticky_sessions_make_polling_work(nodes):
    async with TeachingProxy(nodes, "sticky") as proxy:
        assert await polling_connect(proxy.url) == [200, 200, 200]
        assert {line.split(" → ")[1] for line in proxy.log} == {"node-a"}


async def test_websocket_only_clients_need_no_stickiness(nodes):
    async with TeachingProxy(nodes, "round-robin") as proxy:
        clients = [ChatClient(name) for name in ["alice", "bob"]]
        for client in clients:
            await client.connect(proxy.url)  # websocket only, the ChatClient default
        assert proxy.log == [
            "GET websocket (handshake) → node-a",
            "GET websocket (handshake) → node-b",
        ]
        await clients[0].emit("hello")  # no handler: nothing goes back
        await nodes[0].sio.emit("news", "through the proxy")
        delivery = await settle(nodes, clients)
        assert delivery.receivers("news") == ["alice", "bob"]
        for client in clients:
            await client.disconnect()


def test_unknown_policy_is_refused():
    with pytest.raises(ValueError, match="policy"):
        TeachingProxy([], "random")
