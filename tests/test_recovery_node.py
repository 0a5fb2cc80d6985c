"""Connection state recovery side by side: socket.io 4.8 on Node and chatlib's server.

The same scenario (``tests/interop/recovery.mjs``, the official client) runs
against Node's server with ``connectionStateRecovery`` (``tests/recovery_server.js``)
and against an ``EmbeddedServer`` with ``Recovery``, both with a 1 s window;
the two reports must be equal, and equal to what recovery promises.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from typing import Any

import pytest
import socketio

from chatlib import EmbeddedServer, Recovery

from .node_support import ROOT, require_node_client, run_node

pytestmark = pytest.mark.node

WINDOW = 1.0


def answer_join(sio: socketio.AsyncServer) -> None:
    """A ``join`` handler: enter the room, keep its name in the session, answer with it.

    The session is what recovery must give back, so the tests read it there.
    """

    @sio.on("join")
    async def join(sid: str, room: str) -> str:
        await sio.enter_room(sid, room)
        async with sio.session(sid) as session:
            session["room"] = room
        return room


def expected_rounds() -> list[dict[str, Any]]:
    """What recovery promises: everything back after a cut, nothing otherwise."""
    fresh = {"recovered": False, "serverRecovered": False, "sameId": False, "rooms": [], "data": {}}
    return [
        {
            "label": "cut",
            "recovered": True,
            "serverRecovered": True,
            "sameId": True,
            "rooms": ["room1"],
            "data": {"room": "room1"},
            "received": ["cut: to everyone", "cut: to room1", "cut: to its id", "cut: live"],
        },
        {"label": "too late", **fresh, "received": ["too late: live"]},
        {"label": "on purpose", **fresh, "received": ["on purpose: live"]},
    ]


def table(rows: list[dict[str, Any]]) -> str:
    return "\n".join(
        f"{r['label']:<10} recovered={r['recovered']!s:<5} (server: {r['serverRecovered']!s:<5}) "
        f"sameId={r['sameId']!s:<5} rooms={r['rooms']} data={r['data']} received={r['received']}"
        for r in rows
    )


@pytest.fixture
async def node_server() -> AsyncIterator[str]:
    """socket.io 4.8 on Node with connectionStateRecovery, on a free loopback port."""
    node = require_node_client()
    process = await asyncio.create_subprocess_exec(
        node,
        str(ROOT / "tests" / "recovery_server.js"),
        str(int(WINDOW * 1000)),
        cwd=ROOT,
        stdin=asyncio.subprocess.PIPE,
        stdout=asyncio.subprocess.PIPE,
    )
    assert process.stdout is not None and process.stdin is not None
    line = await asyncio.wait_for(process.stdout.readline(), 10)
    yield f"http://127.0.0.1:{json.loads(line)['port']}"
    process.stdin.close()
    try:
        await asyncio.wait_for(process.wait(), 5)
    except TimeoutError:
        process.kill()
        await process.wait()


@pytest.fixture
async def chatlib_server() -> AsyncIterator[EmbeddedServer]:
    require_node_client()
    server = EmbeddedServer("recovery-node", recovery=Recovery(max_disconnection=WINDOW))
    sio = server.sio

    answer_join(sio)

    @sio.on("send")
    async def send(sid: str, request: dict[str, str]) -> bool:
        to = None if request["to"] == "everyone" else request["to"]
        await sio.emit("news", request["text"], to=to)
        return True

    @sio.on("whoami")
    async def whoami(sid: str) -> dict[str, Any]:
        rooms = sorted(room for room in sio.rooms(sid) if room != sid)
        data = await sio.get_session(sid)
        return {"rooms": rooms, "data": data, "recovered": sio.recovered(sid)}

    async with server:
        yield server
    assert not server.errors, server.errors


@pytest.mark.parametrize("transport", ["websocket", "polling"])
async def test_node_and_chatlib_recover_the_official_client_alike(
    transport: str, node_server: str, chatlib_server: EmbeddedServer
) -> None:
    args = (transport, str(int(WINDOW * 1000)))
    on_node = await run_node("recovery.mjs", node_server, *args, timeout=30)
    on_chatlib = await run_node("recovery.mjs", chatlib_server.url, *args, timeout=30)

    node_rows, chatlib_rows = on_node["rounds"], on_chatlib["rounds"]
    print(f"\n[{transport}] Node socket.io 4.8:\n{table(node_rows)}")
    print(f"[{transport}] chatlib:\n{table(chatlib_rows)}")
    assert chatlib_rows == node_rows
    assert node_rows == expected_rounds()
