"""Hostile clients against the real command-line servers: memory, idle sockets, sessions, caps.

    .venv/bin/python benchmarks/hostile.py [--only flood,idle,unjoined,cap] [--flood-mb 150]
                                           [--idle 1100] [--sessions 200] [--json]

Each part starts ``python -m chatlib serve`` and ``python -m chatlib classroom``
as separate processes (their open-file soft limit set to 1,024, a common
default) and attacks them from this one over loopback:

- flood: binary attachments streamed as fast as loopback takes them:
  ``--flood-mb`` after announcing 9,999,999,999 of them
  (``459999999999-[…]``), then as much again after announcing ten,
  reconnecting whenever cut off. The server's
  RSS is sampled every 20 ms: its start, its peak and its end;
- idle: ``--idle`` TCP connections that send nothing (a tenth of them half
  an HTTP request); how long ``GET /`` takes meanwhile, and how long until
  the server has closed every one;
- unjoined: ``--sessions`` Engine.IO sessions that never join a namespace:
  how long until each is closed, and ``GET /`` meanwhile;
- cap (classroom): 40 connections from one other address (127.0.0.2): how
  many the classroom keeps.

The servers' own console lines (``warning: …``) are counted too.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import re
import resource
import socket
import sys
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import aiohttp

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.idle_sockets import open_idle, seconds_until_closed  # noqa: E402  (the tests' own)

SOFT_LIMIT = 1024
ANNOUNCE_MANY = '459999999999-["chat message",{"_placeholder":true,"num":0}]'
ANNOUNCE_TEN = (
    '4510-["chat message",['
    + ",".join(
        json.dumps({"_placeholder": True, "num": n}, separators=(",", ":")) for n in range(10)
    )
    + "]]"
)


@dataclass
class Server:
    """A ``python -m chatlib`` process: its URL, pid, and console lines so far."""

    command: str
    process: asyncio.subprocess.Process
    url: str
    console: list[str] = field(default_factory=list)

    @property
    def pid(self) -> int:
        return self.process.pid

    def rss_mb(self) -> float:
        status = Path(f"/proc/{self.pid}/status").read_text()
        found = re.search(r"VmRSS:\s+(\d+) kB", status)
        return int(found.group(1)) / 1024 if found else 0.0

    def open_file_limit(self) -> int:
        limits = Path(f"/proc/{self.pid}/limits").read_text()
        found = re.search(r"Max open files\s+(\d+)", limits)
        return int(found.group(1)) if found else -1

    def warnings(self, text: str) -> int:
        return sum(text in line for line in self.console)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _lower_open_files(soft: int, hard: int | None) -> None:
    _, current_hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (soft, current_hard if hard is None else hard))


@contextlib.asynccontextmanager
async def running(command: str, hard_limit: int | None = None) -> AsyncIterator[Server]:
    """Start ``python -m chatlib COMMAND`` with a 1,024 soft open-file limit; stop it after."""
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "chatlib", command, "--port", str(free_port()),
        cwd=ROOT, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
        preexec_fn=lambda: _lower_open_files(SOFT_LIMIT, hard_limit),
    )  # fmt: skip
    assert process.stdout is not None and process.stderr is not None
    url = ""
    async with asyncio.timeout(30):
        while not url:
            line = (await process.stdout.readline()).decode()
            if not line:
                raise RuntimeError(f"{command} ended: {(await process.stderr.read()).decode()}")
            found = re.search(r"http://127\.0\.0\.1:\d+", line)
            url = found.group(0) if found else ""
    server = Server(command, process, url)

    async def read_console() -> None:
        assert process.stderr is not None
        while line := await process.stderr.readline():
            server.console.append(line.decode().rstrip())

    reading = asyncio.ensure_future(read_console())
    try:
        await asyncio.sleep(0.5)  # let it finish starting before anything is measured
        yield server
    finally:
        process.terminate()
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(process.wait(), 10)
        if process.returncode is None:
            process.kill()
            await process.wait()
        reading.cancel()


async def joined_websocket(http: aiohttp.ClientSession, url: str, name: str) -> Any:
    """A raw WebSocket that has joined ``/`` as ``name`` (as a hostile client would write it)."""
    ws = await http.ws_connect(
        url.replace("http://", "ws://") + "/socket.io/?EIO=4&transport=websocket"
    )
    await ws.receive_str(timeout=5)
    await ws.send_str("40" + json.dumps({"name": name}))
    await ws.receive_str(timeout=5)
    return ws


# --- flood -------------------------------------------------------------------
async def flood(server: Server, megabytes: int, seconds: float = 40) -> dict[str, Any]:
    """Two floods of ``megabytes`` of binary attachments; the server's RSS meanwhile."""
    frame = 15_000 if server.command == "classroom" else 60_000  # under each frame limit
    chunk = b"\x01" * frame
    total = megabytes * 1_000_000
    start = server.rss_mb()
    peak = start
    sent = connections = 0
    sampling = True

    async def sample() -> None:
        nonlocal peak
        while sampling:
            peak = max(peak, server.rss_mb())
            await asyncio.sleep(0.02)

    sampler = asyncio.ensure_future(sample())
    began = time.perf_counter()
    async with aiohttp.ClientSession() as http:
        for share, announce in ((total, ANNOUNCE_MANY), (2 * total, ANNOUNCE_TEN)):
            while sent < share and time.perf_counter() - began < seconds:
                connections += 1
                try:
                    ws = await joined_websocket(http, server.url, f"flood{connections}")
                except (aiohttp.ClientError, OSError, TimeoutError):
                    await asyncio.sleep(0.05)
                    continue
                try:
                    await ws.send_str(announce)
                    while sent < share and not ws.closed:
                        await ws.send_bytes(chunk)
                        sent += frame
                except (aiohttp.ClientError, OSError):
                    pass
                finally:
                    with contextlib.suppress(Exception):
                        await asyncio.wait_for(ws.close(), 2)
    elapsed = time.perf_counter() - began
    await asyncio.sleep(1.0)
    sampling = False
    await sampler
    return {
        "server": server.command,
        "sent_mb": round(sent / 1_000_000),
        "seconds": round(elapsed, 1),
        "connections": connections,
        "rss_start_mb": round(start),
        "rss_peak_mb": round(peak),
        "rss_end_mb": round(server.rss_mb()),
        "growth_mb": round(peak - start),
        "dropped_lines": server.warnings("disconnected"),
    }


# --- idle sockets ------------------------------------------------------------
async def page_latency(url: str, timeout: float = 60) -> float:
    """Seconds ``GET /`` takes on a fresh connection (``timeout`` if it never answers)."""
    began = time.perf_counter()
    try:
        http_timeout = aiohttp.ClientTimeout(total=timeout)
        async with aiohttp.ClientSession(timeout=http_timeout) as http, http.get(url + "/") as r:
            await r.read()
    except (aiohttp.ClientError, OSError, TimeoutError):
        return timeout
    return time.perf_counter() - began


async def held_until_closed(url: str, count: int, wait: float, source: str = "127.0.0.1"):
    """Open ``count`` idle connections; seconds until each is closed by the server (or None)."""
    opened = await open_idle(url, count, source, skip_refused=True)
    waits = [asyncio.ensure_future(seconds_until_closed(r, t, wait)) for r, _, t in opened]
    return opened, waits


async def idle(server: Server, count: int, wait: float = 20) -> dict[str, Any]:
    """``count`` connections that send nothing: GET / meanwhile, and when they are closed."""
    opened, waits = await held_until_closed(server.url, count, wait)
    latency = await page_latency(server.url)
    closed = await asyncio.gather(*waits)
    for _, writer, _ in opened:
        writer.close()
    times = [t for t in closed if t is not None]
    return {
        "server": server.command,
        "open_file_limit": server.open_file_limit(),
        "opened": len(opened),
        "get_page_s": round(latency, 3),
        "closed": len(times),
        "first_closed_s": round(min(times), 1) if times else None,
        "last_closed_s": round(max(times), 1) if times else None,
        "limit_lines": server.warnings("open files"),
    }


# --- sessions without a namespace ---------------------------------------------
async def unjoined(server: Server, count: int, wait: float = 20) -> dict[str, Any]:
    """``count`` Engine.IO sessions (half WebSocket, half polling) that never join a namespace."""
    closed_at: list[float] = []
    async with aiohttp.ClientSession() as http:

        async def websocket_session() -> None:
            ws_url = (
                server.url.replace("http://", "ws://") + "/socket.io/?EIO=4&transport=websocket"
            )
            async with http.ws_connect(ws_url) as ws:
                opened = time.perf_counter()
                with contextlib.suppress(TimeoutError):
                    async with asyncio.timeout(wait):
                        while (await ws.receive()).type == aiohttp.WSMsgType.TEXT:
                            pass  # the open packet, pings (answered by nobody), the close
                        closed_at.append(time.perf_counter() - opened)

        async def polling_session() -> None:
            base = server.url + "/socket.io/?EIO=4&transport=polling"
            async with http.get(base) as response:
                sid = json.loads((await response.text())[1:])["sid"]
            opened = time.perf_counter()
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(wait):
                    while True:
                        async with http.get(f"{base}&sid={sid}") as response:
                            body = await response.text()
                        if response.status != 200 or "1" in body.split("\x1e"):
                            closed_at.append(time.perf_counter() - opened)
                            return

        sessions = [websocket_session() for _ in range(count // 2)]
        sessions += [polling_session() for _ in range(count - count // 2)]
        tasks = [asyncio.ensure_future(s) for s in sessions]
        await asyncio.sleep(1)
        latency = await page_latency(server.url)
        await asyncio.gather(*tasks, return_exceptions=True)
    return {
        "server": server.command,
        "sessions": count,
        "get_page_s": round(latency, 3),
        "closed": len(closed_at),
        "first_closed_s": round(min(closed_at), 1) if closed_at else None,
        "last_closed_s": round(max(closed_at), 1) if closed_at else None,
    }


# --- per-address cap ------------------------------------------------------------
async def cap(server: Server, count: int = 40) -> dict[str, Any]:
    """``count`` idle connections from 127.0.0.2: how many are kept past the first second."""
    opened, waits = await held_until_closed(server.url, count, 1.0, source="127.0.0.2")
    closed = await asyncio.gather(*waits)
    kept = sum(t is None for t in closed)
    latency = await page_latency(server.url)
    for _, writer, _ in opened:
        writer.close()
    return {
        "server": server.command,
        "opened": len(opened),
        "kept": kept,
        "cut_at_once": count - kept,
        "get_page_s": round(latency, 3),
        "cap_lines": server.warnings("connections from 127.0.0.2"),
    }


def table(title: str, rows: list[dict[str, Any]]) -> str:
    keys = list(rows[0])
    lines = [f"\n{title}", "| " + " | ".join(keys) + " |", "|" + "---|" * len(keys)]
    lines += ["| " + " | ".join(str(row[k]) for k in keys) + " |" for row in rows]
    return "\n".join(lines)


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", default="flood,idle,unjoined,cap")
    parser.add_argument("--flood-mb", type=int, default=150)
    parser.add_argument("--idle", type=int, default=1100)
    parser.add_argument("--sessions", type=int, default=200)
    parser.add_argument("--json", action="store_true", help="one JSON object instead of tables")
    args = parser.parse_args()
    parts = args.only.split(",")
    results: dict[str, list[dict[str, Any]]] = {}
    for command in ("serve", "classroom"):
        if "flood" in parts:
            async with running(command) as server:
                results.setdefault("flood", []).append(await flood(server, args.flood_mb))
        if "idle" in parts:
            async with running(command) as server:
                results.setdefault("idle", []).append(await idle(server, args.idle))
            async with running(command, hard_limit=SOFT_LIMIT) as server:  # cannot be raised
                results.setdefault("idle", []).append(await idle(server, args.idle))
        if "unjoined" in parts:
            async with running(command) as server:
                results.setdefault("unjoined", []).append(await unjoined(server, args.sessions))
        if "cap" in parts and command == "classroom":
            async with running(command) as server:
                results.setdefault("cap", []).append(await cap(server))
    if args.json:
        print(json.dumps(results))
        return
    for part, rows in results.items():
        print(table(part, rows))


if __name__ == "__main__":
    asyncio.run(main())
