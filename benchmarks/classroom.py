"""The classroom at full size: 1,000 students on one node, 2,000 over two behind nginx.

Each classroom node is a process of its own (``benchmarks/classroom_node.py``,
with a ticker on its event loop); the students are websockets driven from
several processes (``tests/swarm.py``). With two nodes, the students connect
through a real nginx running the shipped config (``chatlib/deploy/nginx.conf``,
with this run's ports) from several local addresses, so that its ``ip_hash``
spreads them, and the nodes share the Redis at ``--redis`` on a channel of
their own. Every student sends its messages at once; what the class's budget
refuses is sent again after the wait the refusal names.

    .venv/bin/python benchmarks/classroom.py                      # both sizes
    .venv/bin/python benchmarks/classroom.py --runs 1:300 2:600   # nodes:students

Prints a Markdown table: students, messages, deliveries, lost, duplicated,
refusals (sent again), the longest loop stall of any node while chatting and
while the class was joining, the wall time.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import re
import shutil
import socket
import sys
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.swarm import Swarms  # noqa: E402  (the students are the tests' own)

TOKEN = "benchmark"
NGINX_CONFIG = ROOT / "chatlib" / "deploy" / "nginx.conf"


class NodeProcess:
    """A classroom node in its own process, talking over stdin/stdout."""

    def __init__(self, process: asyncio.subprocess.Process, port: int) -> None:
        self.process, self.port = process, port

    @classmethod
    async def start(cls, name: str, redis: str | None, channel: str) -> NodeProcess:
        command = [sys.executable, str(ROOT / "benchmarks" / "classroom_node.py"), name, TOKEN]
        if redis:
            command += [redis, channel]
        pipe = asyncio.subprocess.PIPE
        process = await asyncio.create_subprocess_exec(*command, stdin=pipe, stdout=pipe)
        assert process.stdout is not None
        line = (await asyncio.wait_for(process.stdout.readline(), 30)).decode()
        if not line.startswith("ready "):
            raise RuntimeError(f"the node {name} did not start: {line!r}")
        return cls(process, int(line.split()[1]))

    async def ask(self, command: str) -> dict[str, Any]:
        assert self.process.stdin is not None and self.process.stdout is not None
        self.process.stdin.write(command.encode() + b"\n")
        await self.process.stdin.drain()
        if command != "report":
            return {}
        return dict(json.loads(await asyncio.wait_for(self.process.stdout.readline(), 30)))

    async def stop(self) -> None:
        if self.process.stdin is not None:
            self.process.stdin.close()
        try:
            await asyncio.wait_for(self.process.wait(), 30)
        except TimeoutError:
            self.process.kill()
            await self.process.wait()


async def start_nginx(ports: list[int], directory: Path) -> tuple[asyncio.subprocess.Process, int]:
    """The shipped config with this run's ports, in front of the nodes."""
    nginx = shutil.which("nginx") or "/usr/sbin/nginx"
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    upstreams = "".join(f"        server 127.0.0.1:{p};\n" for p in ports)
    config = re.sub(r"( {8}server 127\.0\.0\.1:\d+;\n)+", upstreams, NGINX_CONFIG.read_text())
    config = config.replace("listen 127.0.0.1:8000;", f"listen 127.0.0.1:{port};")
    (directory / "nginx.conf").write_text(config)
    command = [nginx, "-p", str(directory), "-c", str(directory / "nginx.conf")]
    process = await asyncio.create_subprocess_exec(*command, "-e", "stderr", "-g", "daemon off;")
    for _ in range(200):
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            return process, port
        except OSError:
            await asyncio.sleep(0.05)
    raise RuntimeError("nginx did not start")


def progress(what: str) -> None:
    print(f"{time.strftime('%H:%M:%S')} {what}", file=sys.stderr, flush=True)


async def until(condition: Any, seconds: float, what: str) -> None:
    deadline = time.monotonic() + seconds
    while not await condition():
        if time.monotonic() > deadline:
            raise TimeoutError(f"gave up waiting for {what}")
        await asyncio.sleep(0.2)


async def run(nodes: int, students: int, args: argparse.Namespace) -> dict[str, Any]:
    channel = f"chatlib-bench-{uuid.uuid4().hex[:10]}"
    started_nodes: list[NodeProcess] = []
    nginx = None
    swarms = None
    began = time.perf_counter()
    try:
        for k in range(nodes):
            redis = args.redis if nodes > 1 else None
            started_nodes.append(await NodeProcess.start(f"node-{k}", redis, channel))
        directory = Path(tempfile.mkdtemp(prefix="chatlib-nginx-"))
        if nodes > 1:
            nginx, port = await start_nginx([n.port for n in started_nodes], directory)
            url = f"http://127.0.0.1:{port}"
            sources = [f"127.0.{k}.1" for k in range(1, args.processes + 1)]
        else:
            url, sources = f"http://127.0.0.1:{started_nodes[0].port}", []
        swarms = Swarms(
            url, students, args.messages, TOKEN,
            processes=args.processes, sources=sources, timeout=args.timeout,
        )  # fmt: skip

        async def watch() -> None:
            for node in started_nodes:
                await node.ask("watch")

        progress(f"{nodes} node(s) up; {students} students joining")
        await swarms.join(timeout=300, before=watch)

        async def everyone_counted() -> bool:
            reports = [await n.ask("report") for n in started_nodes]
            return all(r["class_size"] == students for r in reports)

        await until(everyone_counted, 60, "every node counting the whole class")
        joining = [await n.ask("report") for n in started_nodes]
        progress(f"joined: {[r['members'] for r in joining]}; chatting")
        await watch()
        started = time.perf_counter()
        summary = await swarms.go()
        chatting = time.perf_counter() - started
        reports = [await n.ask("report") for n in started_nodes]
        progress("done; stopping")
    finally:
        if swarms is not None:
            await swarms.close()
        for node in started_nodes:
            await node.stop()
        if nginx is not None:
            nginx.terminate()
            await nginx.wait()
    return {
        "nodes": nodes,
        "summary": summary,
        "per_node": [r["members"] for r in joining],
        "stall_ms": max(r["stall_ms"] for r in reports),
        "busy_stall_ms": max(r["busy_stall_ms"] for r in reports),
        "join_stall_ms": max(r["stall_ms"] for r in joining),
        "join_busy_stall_ms": max(r["busy_stall_ms"] for r in joining),
        "refused": sum(r["refused"] for r in reports),
        "chat_s": round(chatting, 1),
        "wall_s": round(time.perf_counter() - began, 1),
        "cpu_s": [r["cpu_s"] for r in reports],
        "gc_pause_ms": [r["gc_pause_ms"] for r in reports],
    }


def row(result: dict[str, Any], messages: int) -> str:
    s = result["summary"]
    deliveries = s["students"] * messages * s["students"]
    per_node = " / ".join(f"{n:,}" for n in result["per_node"])
    gc_pause = max(max(pauses) for pauses in result["gc_pause_ms"])
    return (
        f"| {result['nodes']} | {s['students']:,} ({per_node}) "
        f"| {s['received']:,} of {deliveries:,} | {s['lost']} | {s['duplicated']} "
        f"| {result['refused']:,} | {result['stall_ms']:.0f} / {result['busy_stall_ms']:.0f} "
        f"| {result['join_stall_ms']:.0f} / {result['join_busy_stall_ms']:.0f} "
        f"| {gc_pause:.0f} | {s['online_updates_max']} | {result['chat_s']} | {result['wall_s']} |"
    )


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", nargs="+", default=["1:1000", "2:2000"], help="NODES:STUDENTS")
    parser.add_argument("--messages", type=int, default=1, help="messages each student sends")
    parser.add_argument("--processes", type=int, default=4, help="processes driving students")
    parser.add_argument("--redis", default="redis://127.0.0.1:6379/0")
    parser.add_argument("--timeout", type=float, default=600)
    args = parser.parse_args()
    print(
        "| nodes | students (per node) | deliveries | lost | dup | refused, sent again "
        "| loop stall chatting, wall / busy ms | joining, wall / busy ms "
        "| longest GC pause ms | online updates per student | chat s | wall s |"
    )
    print("|---|---|---|---|---|---|---|---|---|---|---|---|")
    for spec in args.runs:
        nodes, students = (int(part) for part in spec.split(":"))
        result = await run(nodes, students, args)
        print(row(result, args.messages), flush=True)
        print(json.dumps(result), file=sys.stderr, flush=True)


if __name__ == "__main__":
    asyncio.run(main())
