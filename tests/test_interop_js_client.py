"""The official JavaScript client against chatlib's server: does python-socketio speak Socket.IO?

Each test registers handlers on a real ``EmbeddedServer``, runs one Node script
from ``tests/interop/`` with the npm package ``socket.io-client`` (the version
pinned in ``package.json``), and checks both sides: what the script reports and
what the server saw.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from typing import Any

import pytest
import socketio

from chatlib import ChatClient, EmbeddedServer, settle

from .node_support import pinned_client_version, require_node_client, run_node

pytestmark = pytest.mark.node


@pytest.fixture
async def server() -> AsyncIterator[EmbeddedServer]:
    require_node_client()
    async with EmbeddedServer("interop") as server:
        yield server
    assert not server.errors, server.errors


async def test_connect_with_auth_and_a_refusal(server: EmbeddedServer) -> None:
    sio = server.sio

    @sio.event
    async def connect(sid: str, environ: dict, auth: dict) -> None:
        if auth.get("token") != "let me in":
            raise socketio.exceptions.ConnectionRefusedError("bad token", {"hint": "ask"})
        await sio.save_session(sid, {"auth": auth})

    @sio.on("whoami")
    async def whoami(sid: str) -> dict[str, Any]:
        return {"sid": sid, **(await sio.get_session(sid))}

    report = await run_node("connect-auth.mjs", server.url)

    assert report["clientVersion"] == pinned_client_version()
    assert report["connected"] is True
    assert report["whoami"]["auth"] == {"name": "node", "token": "let me in"}
    assert report["sameId"] is True  # the client's socket.id is the server's sid
    assert report["refused"] == {
        "connected": False,
        "message": "bad token",
        "data": {"hint": "ask"},
    }
    assert server.log.lines("connect") == [
        "node connected to /",
        "mallory refused on /: bad token",
    ]


async def test_rooms_with_javascript_and_python_clients(server: EmbeddedServer) -> None:
    sio = server.sio

    @sio.on("join")
    async def join(sid: str, room: str) -> list[str]:
        await sio.enter_room(sid, room)
        return sorted(r for r in sio.rooms(sid) if r != sid)

    @sio.on("leave")
    async def leave(sid: str, room: str) -> list[str]:
        await sio.leave_room(sid, room)
        return sorted(r for r in sio.rooms(sid) if r != sid)

    @sio.on("say")
    async def say(sid: str, message: dict[str, str]) -> bool:
        await sio.emit("said", message["text"], to=message["room"], skip_sid=sid)
        return True

    @sio.on("end round")
    async def end_round(sid: str) -> bool:
        await sio.emit("end of round")
        return True

    py = ChatClient("py")
    await py.connect(server.url)
    assert await py.call("join", "red", timeout=5) == ["red"]

    report = await run_node("rooms.mjs", server.url)
    await settle(server, py)

    assert report["rooms"] == {"ann": ["red"], "ben": ["red"], "cy": ["blue"]}
    assert report["received"] == {
        "ann": ["cy to red, from outside it"],  # skip_sid kept ann's own line from her
        "ben": ["ann to red"],  # ben left red before the second round
        "cy": [],  # cy is in blue only
    }
    assert py.received("said") == ["ann to red", "cy to red, from outside it"]
    assert "ben left 'red'" in server.log.lines("room")
    await py.disconnect()


async def test_namespaces_middleware_refusals_and_connect_error(server: EmbeddedServer) -> None:
    sio = server.sio

    @sio.on("connect", namespace="/admin")
    async def admin_connect(sid: str, environ: dict, auth: dict) -> bool | None:
        if auth.get("name") == "banned":
            return False
        if auth.get("token") != "admin":
            raise socketio.exceptions.ConnectionRefusedError(
                "not an admin", {"need": "the admin token"}
            )
        return None

    @sio.on("where am i", namespace="/admin")
    async def where_am_i(sid: str) -> dict[str, str]:
        return {"namespace": "/admin", "name": sio.name_of(sid, "/admin")}

    report = await run_node("namespaces.mjs", server.url)

    assert report["multiplexed"] is True  # one Engine.IO connection for / and /admin
    assert report["ids"] == {"differ": True}  # but one socket id per namespace
    assert report["whereAmI"] == {"namespace": "/admin", "name": "node"}
    assert report["wrongToken"] == {
        "message": "not an admin",
        "data": {"need": "the admin token"},
        "active": False,  # a refusal by the middleware is final: no retry
    }
    assert report["banned"] == {
        "message": "Connection rejected by server",
        "data": None,
        "active": False,
    }
    # A difference from the JavaScript server, which answers {message: "Invalid namespace"}:
    # python-socketio 5.18 sends the bare string 'Unable to connect', and socket.io-client
    # reads `.message` of it, so the error's message is empty. The refusal is still final.
    assert report["unknown"] == {"message": "", "data": None, "active": False}
    assert server.log.lines("connect") == [
        "node connected to /",
        "node connected to /admin",
        "eve refused on /admin: not an admin",
        "banned refused on /admin",
    ]


async def test_acknowledgements_both_ways_and_timeouts(server: EmbeddedServer) -> None:
    sio = server.sio
    asked: list[str] = []

    @sio.on("add")
    async def add(sid: str, a: int, b: int) -> int:
        return a + b  # in Python the handler's return value is the acknowledgement

    @sio.on("several")
    async def several(sid: str, letter: str, number: int) -> tuple[str, int, str]:
        return letter * 2, number + 1, "python"  # a tuple: several ack arguments

    @sio.on("ask me")
    async def ask_me(sid: str) -> dict[str, Any]:
        answer = await sio.call("question", "are you there?", to=sid, timeout=2)
        try:
            await sio.call("ignored", "answer me", to=sid, timeout=0.3)
            ignored = "answered"
        except socketio.exceptions.TimeoutError:
            ignored = "timed out"
        asked.append(ignored)
        return {"answer": answer, "ignored": ignored}

    report = await run_node("acks.mjs", server.url)

    assert report["sum"] == 5
    assert report["viaCallback"] == 42
    assert report["severalArgs"] == ["aa", 2, "python"]
    # No handler for 'nobody answers': python-socketio sends no ack, the client times out.
    assert report["timeoutError"] == "operation has timed out"
    assert report["timedOutAfterAtLeast300ms"] is True
    assert report["rejected"] == "operation has timed out"
    assert report["serverSide"] == {
        "answer": ["ARE YOU THERE?", "from node"],
        "ignored": "timed out",
    }
    assert asked == ["timed out"]
    assert server.log.lines("received").count("node → 'nobody answers' 'hello?'") == 1


async def test_binary_payloads_both_ways(server: EmbeddedServer) -> None:
    sio = server.sio
    seen: dict[str, Any] = {}

    @sio.on("echo bytes")
    async def echo_bytes(sid: str, data: bytes, nested: dict[str, Any]) -> tuple[bytes, dict]:
        seen.update(data=data, nested=nested)
        summary = {
            "types": [type(data).__name__, type(nested["blob"]).__name__],
            "list": [type(item).__name__ for item in nested["list"]],
            "label": nested["label"],
        }
        return data[::-1], summary

    @sio.on("send me bytes")
    async def send_me_bytes(sid: str, size: int) -> None:
        meta = {"name": "inner", "inner": b"\x00\xff"}
        await sio.emit("blob", (bytes(range(size)), meta), to=sid)

    report = await run_node("binary.mjs", server.url)

    assert seen["data"] == bytes([0, 1, 2, 254, 255])
    assert seen["nested"] == {"label": "nested", "blob": bytes([10, 20, 30]), "list": [b"hi"]}
    assert report["reply"] == {"isBuffer": True, "values": [255, 254, 2, 1, 0]}
    assert report["summary"] == {"types": ["bytes", "bytes"], "list": ["bytes"], "label": "nested"}
    assert report["blob"] == {
        "isBuffer": True,
        "length": 256,
        "first": 0,
        "last": 255,
        "metaIsBuffer": True,
        "meta": {"name": "inner", "inner": [0, 255]},
    }


@pytest.mark.parametrize(
    ("mode", "first", "last"),
    [
        ("polling", "polling", "polling"),
        ("websocket", "websocket", "websocket"),
        ("upgrade", "polling", "websocket"),
    ],
)
async def test_transports(server: EmbeddedServer, mode: str, first: str, last: str) -> None:
    sio = server.sio

    @sio.on("echo")
    async def echo(sid: str, text: str) -> dict[str, str]:
        return {"text": text, "transport": sio.transport(sid)}  # as the server sees it

    report = await run_node("transports.mjs", server.url, mode)

    assert (report["first"], report["last"]) == (first, last)
    assert report["echo"] == {"text": f"hello over {mode}", "transport": last}
    assert server.log.lines("connect") == [f"node-{mode} connected to /"]


async def test_stop_does_not_wait_for_a_polling_client_that_vanished() -> None:
    require_node_client()
    server = await EmbeddedServer("interop-vanish").start()
    report = await run_node("vanish.mjs", server.url)
    assert report == {"connected": True}
    assert len(server.sio.eio.sockets) == 1  # the server cannot know it is gone

    started = time.monotonic()
    await asyncio.wait_for(server.stop(), 10)
    took = time.monotonic() - started
    assert took < 3, f"stop() took {took:.1f} s"
