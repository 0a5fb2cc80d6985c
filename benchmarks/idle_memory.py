"""Memory per idle connection: the server's resident memory with N idle WebSocket clients.

    .venv/bin/python benchmarks/idle_memory.py [--clients 10000] [--rounds 3]

Each server runs in its own process, as in ``fanout.py``; one Node process
(``idle_clients.js``, the official socket.io-client, websocket only) connects N
clients that then send nothing but their answers to the server's pings. The
server's RSS is read before any client connects and again once all are up and
the server has been idle for a few seconds; the difference divided by N is the
cost of one idle connection. Servers are measured in turn, round by round, and
the medians are printed as a table with ratios to Node in the same run.
``--before DIR`` adds chatlib as it was in DIR, as ``fanout.py`` does.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import resource
import statistics
import sys
from pathlib import Path

import psutil

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from fanout import BEFORE, SERVERS, start, use_before  # noqa: E402  (a sibling script)

NODE = "node socket.io 4.8"
FLOOR = "aiohttp floor (not Socket.IO)"
SERVERS[FLOOR] = [sys.executable, str(HERE / "python_server.py"), "aiohttp-floor"]
"""Besides fan-out's servers, a bare aiohttp WebSocket handler that keeps the clients connected:
the part of a Python server's cost per connection that is aiohttp's."""
SETTLE_SECONDS = 3.0
"""Idle time after the last connection before the server's memory is read."""


def raise_open_file_limit(needed: int) -> None:
    """Let this process and its children (servers, clients) hold ``needed`` sockets."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    wanted = needed + 1_000
    if soft < wanted:
        if hard != resource.RLIM_INFINITY and hard < wanted:
            sys.exit(f"open-file limit {hard} is below the {wanted} needed: raise `ulimit -Hn`")
        resource.setrlimit(resource.RLIMIT_NOFILE, (wanted, hard))


def rss_mb(pid: int) -> float:
    return psutil.Process(pid).memory_info().rss / 2**20


async def measure(name: str, clients: int, batch: int) -> dict[str, float]:
    server, url = await start(SERVERS[name], name)
    holder = None
    try:
        await asyncio.sleep(1.0)  # past start-up: imports done, first allocations made
        before = rss_mb(server.pid)
        holder = await asyncio.create_subprocess_exec(
            "node", str(HERE / "idle_clients.js"), url, str(clients), str(batch),
            stdin=asyncio.subprocess.PIPE, stdout=asyncio.subprocess.PIPE, cwd=HERE.parent,
        )  # fmt: skip
        assert holder.stdout is not None and holder.stdin is not None
        line = await asyncio.wait_for(holder.stdout.readline(), 30 + clients / 20)
        if not line:
            raise RuntimeError(f"{name}: the clients failed to connect")
        await asyncio.sleep(SETTLE_SECONDS)
        after = rss_mb(server.pid)
        holder.stdin.write(b"still there?\n")
        await holder.stdin.drain()
        still = json.loads(await asyncio.wait_for(holder.stdout.readline(), 10))["connected"]
        if still != clients:
            raise RuntimeError(f"{name}: {clients - still} of {clients} clients were dropped")
        return {
            "before_mb": before,
            "after_mb": after,
            "kb_per_client": (after - before) * 1024 / clients,
            "load": os.getloadavg()[0],
        }
    finally:
        for process in (holder, server):
            if process is not None and process.returncode is None:
                process.kill()
                await process.wait()


def table(results: dict[str, list[dict[str, float]]], clients: int) -> str:
    medians = {
        name: {key: statistics.median(r[key] for r in rounds) for key in rounds[0]}
        for name, rounds in results.items()
    }
    node = medians[NODE]["kb_per_client"]
    lines = [
        f"| server | RSS idle MB | RSS with {clients:,} clients MB | KiB per client "
        "| × Node | each round, KiB per client | load average (1 min) |",
        "|---|---|---|---|---|---|---|",
    ]
    for name, m in medians.items():
        each = ", ".join(f"{r['kb_per_client']:.1f}" for r in results[name])
        loads = ", ".join(f"{r['load']:.1f}" for r in results[name])
        lines.append(
            f"| {name} | {m['before_mb']:.1f} | {m['after_mb']:.1f} | {m['kb_per_client']:.1f} "
            f"| {m['kb_per_client'] / node:.2f} | {each} | {loads} |"
        )
    return "\n".join(lines)


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clients", type=int, default=10_000)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--batch", type=int, default=200, help="clients connecting at once")
    parser.add_argument(
        "--servers",
        nargs="+",
        default=[NODE, "chatlib (notebooks)"],
        choices=list(SERVERS),
    )
    parser.add_argument("--before", metavar="DIR", help="also measure chatlib/ from DIR")
    args = parser.parse_args()
    if NODE not in args.servers:
        parser.error("the Node server is the reference: keep it in --servers")
    if args.before:
        use_before(args.before)
        args.servers.append(BEFORE)
    raise_open_file_limit(args.clients)
    results: dict[str, list[dict[str, float]]] = {name: [] for name in args.servers}
    for round_number in range(args.rounds):
        for name in args.servers:  # interleaved, so drift on a shared machine hits all alike
            results[name].append(await measure(name, args.clients, args.batch))
            print(f"round {round_number + 1}: {name} done", file=sys.stderr)
    print(table(results, args.clients))


if __name__ == "__main__":
    asyncio.run(main())
