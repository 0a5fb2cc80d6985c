"""A teaching load balancer: just enough of a reverse proxy to show why sessions must stick.

NOT for production: use nginx (``chatlib/deploy/nginx.conf``), HAProxy or
your platform's balancer. This one exists so a notebook can show, in a few
printed lines, what each request of a Socket.IO client hits.

Engine.IO's long-polling transport is many HTTP requests that all carry the
session id (``sid``) the first request got. Only the node that created the
session knows it; another node answers HTTP 400 "Invalid session". Two policies:

- ``"round-robin"``: each request goes to the next node, as a plain balancer does;
- ``"sticky"``: a request carrying a ``sid`` goes to the node that issued that
  ``sid`` (the proxy reads it from the handshake's answer); others go round-robin.
  nginx's ``ip_hash`` gets the same effect by sending each client address to
  one node.

A WebSocket is one long connection, so a websocket-only client is fine with either.
"""

from __future__ import annotations

import asyncio
import itertools
import json
from typing import Any, Self

import aiohttp
from aiohttp import web

from ..server import EmbeddedServer

POLICIES = ("round-robin", "sticky")
_HOP_HEADERS = {"host", "connection", "upgrade", "content-length", "transfer-encoding"}


class TeachingProxy:
    """Forward ``/socket.io/`` traffic to ``nodes`` on loopback, keeping a readable log."""

    def __init__(self, nodes: list[EmbeddedServer], policy: str = "round-robin") -> None:
        if policy not in POLICIES:
            raise ValueError(f"policy must be one of {POLICIES}, not {policy!r}")
        self.nodes = list(nodes)
        self.policy = policy
        self.log: list[str] = []
        self._turn = itertools.cycle(range(len(self.nodes)))
        self._owner: dict[str, EmbeddedServer] = {}
        self._runner: web.AppRunner | None = None
        self._session: aiohttp.ClientSession | None = None
        self.port = 0

    def __repr__(self) -> str:
        names = ", ".join(node.name for node in self.nodes)
        return f"<TeachingProxy {self.policy} over {names}>"

    @property
    def url(self) -> str:
        if self._runner is None:
            raise RuntimeError("the proxy is not running: await its start() first")
        return f"http://127.0.0.1:{self.port}"

    async def start(self) -> Self:
        app = web.Application()
        app.router.add_route("*", "/socket.io/", self._forward)
        self._session = aiohttp.ClientSession(auto_decompress=False)
        runner = web.AppRunner(app, access_log=None, handle_signals=False)
        await runner.setup()
        await web.TCPSite(runner, "127.0.0.1", 0).start()
        self._runner, self.port = runner, runner.addresses[0][1]
        return self

    async def stop(self) -> None:
        runner, self._runner = self._runner, None
        if runner is not None:
            await runner.shutdown()
            await runner.cleanup()
        if self._session is not None:
            await self._session.close()
            self._session = None

    async def __aenter__(self) -> Self:
        return await self.start()

    async def __aexit__(self, *exc_info: object) -> None:
        await self.stop()

    # --- routing -------------------------------------------------------------
    def _choose(self, sid: str | None) -> EmbeddedServer:
        if self.policy == "sticky" and sid in self._owner:
            return self._owner[sid]
        return self.nodes[next(self._turn)]

    async def _forward(self, request: web.Request) -> web.StreamResponse:
        sid = request.query.get("sid")
        node = self._choose(sid)
        transport = request.query.get("transport", "?")
        what = f"{request.method} {transport}{' (with sid)' if sid else ' (handshake)'}"
        url = node.url + str(request.rel_url)
        if request.headers.get("Upgrade", "").lower() == "websocket":
            return await self._forward_websocket(request, url, node, what)
        headers = {k: v for k, v in request.headers.items() if k.lower() not in _HOP_HEADERS}
        assert self._session is not None
        async with self._session.request(
            request.method, url, headers=headers, data=await request.read()
        ) as answer:
            body = await answer.read()
            if sid is None and answer.status == 200:
                self._learn_owner(body, node)
            note = f": {answer.status} {_text(body, sid)}" if answer.status >= 400 else ""
            self.log.append(f"{what} → {node.name}{note}")
            keep = {k: v for k, v in answer.headers.items() if k.lower() not in _HOP_HEADERS}
            return web.Response(status=answer.status, body=body, headers=keep)

    def _learn_owner(self, body: bytes, node: EmbeddedServer) -> None:
        """Remember which node gave out the ``sid`` in a handshake answer (``0{"sid":…}``)."""
        text = body.decode(errors="replace")
        if text.startswith("0{"):
            self._owner[json.loads(text[1:]).get("sid", "")] = node

    async def _forward_websocket(
        self, request: web.Request, url: str, node: EmbeddedServer, what: str
    ) -> web.StreamResponse:
        assert self._session is not None
        try:
            upstream = await self._session.ws_connect(url.replace("http", "ws", 1))
        except aiohttp.WSServerHandshakeError as error:
            self.log.append(f"{what} → {node.name}: {error.status} refused")
            return web.Response(status=error.status, text="upstream refused the WebSocket")
        self.log.append(f"{what} → {node.name}")
        downstream = web.WebSocketResponse()
        await downstream.prepare(request)
        await asyncio.gather(_pump(downstream, upstream), _pump(upstream, downstream))
        return downstream


async def _pump(source: Any, sink: Any) -> None:
    """Copy WebSocket messages from ``source`` to ``sink`` until either side closes."""
    try:
        async for message in source:
            if message.type == aiohttp.WSMsgType.TEXT:
                await sink.send_str(message.data)
            elif message.type == aiohttp.WSMsgType.BINARY:
                await sink.send_bytes(message.data)
            else:
                break
    except (ConnectionError, RuntimeError):
        pass
    finally:
        await sink.close()


def _text(body: bytes, sid: str | None) -> str:
    """An error answer as a short line, the session id (random) written as ``<sid>``."""
    text = body.decode(errors="replace").strip()
    return (text.replace(sid, "<sid>") if sid else text)[:60]
