"""Soak: many clients held for minutes at the default heartbeat, with chat going on.

    .venv/bin/python benchmarks/soak.py [--clients 200] [--minutes 10] [--rate 5]

Starts ``python -m chatlib serve`` (the tutorial's chat server, default ping
settings: 25 s + 20 s) and one Node process with the official socket.io-client
holding ``--clients`` websocket connections, which together send ``--rate``
chat messages per second, each broadcast to everyone. A short run says little:
the drop this guards against came after 45 s, so the default is ten minutes.
Prints disconnects, lost and duplicated deliveries (all should be 0) and the
server's resident memory once everyone is connected and at the end.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import re
import sys
from pathlib import Path

import psutil

HERE = Path(__file__).resolve().parent


async def soak(clients: int, minutes: float, rate: float) -> dict[str, float]:
    server = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "chatlib", "serve", "--port", "0",
        stdout=asyncio.subprocess.PIPE, cwd=HERE.parent,
    )  # fmt: skip
    assert server.stdout is not None
    first = (await asyncio.wait_for(server.stdout.readline(), 20)).decode()
    found = re.search(r"http://127\.0\.0\.1:\d+", first)
    if found is None:
        raise RuntimeError(f"the server did not start: {first!r}")
    seconds = minutes * 60
    load = await asyncio.create_subprocess_exec(
        "node", str(HERE / "soak.js"), found.group(0), str(clients), str(seconds), str(rate),
        stdout=asyncio.subprocess.PIPE, cwd=HERE.parent,
    )  # fmt: skip
    assert load.stdout is not None
    try:
        line = await asyncio.wait_for(load.stdout.readline(), 120)
        if line.strip() != b"connected":
            raise RuntimeError(f"the clients did not connect: {line!r}")
        process = psutil.Process(server.pid)
        rss_start = process.memory_info().rss
        while True:
            line = await asyncio.wait_for(load.stdout.readline(), seconds + 120)
            if not line.startswith(b"progress"):
                break
            print(line.decode().strip(), file=sys.stderr, flush=True)
        result = json.loads(line)
        result["rss_start_mb"] = rss_start / 2**20
        result["rss_end_mb"] = process.memory_info().rss / 2**20
        await asyncio.wait_for(load.wait(), 30)
        return result
    finally:
        for child in (load, server):
            if child.returncode is None:
                child.kill()
                await child.wait()


def table(result: dict[str, float]) -> str:
    header = (
        "| clients | minutes | messages | deliveries | disconnects | lost | duplicated "
        "| refused | RSS start MB | RSS end MB |"
    )
    row = (
        f"| {result['clients']} | {result['seconds'] / 60:g} | {result['sent']:,} "
        f"| {result['deliveries']:,} | {result['disconnects']} | {result['lost']} "
        f"| {result['duplicated']} | {result['refused']} | {result['rss_start_mb']:.1f} "
        f"| {result['rss_end_mb']:.1f} |"
    )
    return "\n".join([header, "|" + "---|" * 10, row])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clients", type=int, default=200)
    parser.add_argument("--minutes", type=float, default=10)
    parser.add_argument("--rate", type=float, default=5, help="chat messages per second, in all")
    args = parser.parse_args()
    result = asyncio.run(soak(args.clients, args.minutes, args.rate))
    print(table(result))
    held = result["disconnects"] == 0 and result["connected_at_end"] == args.clients
    if not held or result["lost"] or result["duplicated"] or result["refused"]:
        raise SystemExit("the soak lost clients or messages: see the table")


if __name__ == "__main__":
    main()
