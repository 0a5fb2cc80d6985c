"""The Redis adapter's cost: one node in memory against two nodes sharing Redis.

    .venv/bin/python benchmarks/redis_cost.py [--clients 200] [--rounds 3] [--seconds 4]

The same load generator and message as fanout.py. With two nodes, clients are
dealt to both and the sender sits on the first, so every broadcast crosses
Redis; server CPU is the sum of both nodes'. Redis comes from REDIS_URL,
127.0.0.1:6379, or a private redis-server (chatlib.scale.localredis).
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import uuid

from fanout import HERE, load, median_of, start, summarize

from chatlib.scale.localredis import find_redis

ONE_NODE = [sys.executable, str(HERE / "python_server.py"), "chatlib"]


def node(redis_url: str, channel: str) -> list[str]:
    return [sys.executable, str(HERE / "python_server.py"), "chatlib-redis", redis_url, channel]


async def measure(commands: list[list[str]], clients: int, args: argparse.Namespace) -> dict:
    started = [await start(command) for command in commands]
    urls = ",".join(url for _, url in started)
    pids = [process.pid for process, _ in started]
    try:
        sat = await load(urls, clients, "saturate", args.seconds, args.window, *pids)
        rate = await load(urls, clients, "rate", args.seconds, args.rate, *pids)
    finally:
        for process, _ in started:
            process.kill()
            await process.wait()
    return summarize(sat, rate)


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clients", type=int, default=200)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--seconds", type=float, default=4)
    parser.add_argument("--window", type=int, default=20)
    parser.add_argument("--rate", type=float, default=25)
    args = parser.parse_args()
    redis = find_redis()
    try:
        rows: dict[str, list[dict]] = {"one node, in memory": [], "two nodes, Redis": []}
        for _ in range(args.rounds):
            channel = f"bench-{uuid.uuid4().hex[:8]}"
            rows["one node, in memory"].append(await measure([ONE_NODE], args.clients, args))
            pair = [node(redis.url, channel), node(redis.url, channel)]
            rows["two nodes, Redis"].append(await measure(pair, args.clients, args))
    finally:
        redis.stop()
    print(
        f"| {args.clients} clients | deliveries/s | CPU µs/delivery (all nodes) "
        f"| p50 ms @{args.rate:g} msg/s | p99 ms | lost | dup |"
    )
    print("|---|---|---|---|---|---|---|")
    for name, results in rows.items():
        r = median_of(results)
        print(
            f"| {name} | {r['per_second']:,.0f} | {r['cpu_us']:.1f} | {r['p50_ms']:.1f} "
            f"| {r['p99_ms']:.1f} | {r['lost']:g} | {r['duplicates']:g} |"
        )


if __name__ == "__main__":
    asyncio.run(main())
