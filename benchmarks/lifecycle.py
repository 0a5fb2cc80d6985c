"""Server start and stop, with three clients connected, as a notebook does them.

    .venv/bin/python benchmarks/lifecycle.py [--rounds 50]

Prints the median and 90th percentile, in milliseconds, of: start (listening),
connecting alice, bob and carol, and stop (clients disconnected, port closed).
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import time

from chatlib import connect_clients, start_server

STEPS = ("start", "connect 3 clients", "stop with 3 clients")


async def one_round() -> tuple[float, float, float]:
    t0 = time.perf_counter()
    server = await start_server("lifecycle")
    t1 = time.perf_counter()
    await connect_clients(server.url, ["alice", "bob", "carol"])
    t2 = time.perf_counter()
    await server.stop()
    t3 = time.perf_counter()
    return t1 - t0, t2 - t1, t3 - t2


def summary(values: list[float]) -> str:
    ms = sorted(v * 1000 for v in values)
    return f"{statistics.median(ms):7.2f} | {ms[int(0.9 * (len(ms) - 1))]:7.2f}"


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=50)
    args = parser.parse_args()
    rounds = [await one_round() for _ in range(args.rounds)]
    print(f"| step ({args.rounds} rounds) | median ms | p90 ms |")
    print("|---|---|---|")
    for name, values in zip(STEPS, zip(*rounds, strict=True), strict=True):
        print(f"| {name} | {summary(list(values))} |")


if __name__ == "__main__":
    asyncio.run(main())
