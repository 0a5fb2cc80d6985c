"""Fan-out: deliveries per second, latency and server CPU per delivery, Python against Node.

    .venv/bin/python benchmarks/fanout.py [--clients 50 200 500] [--rounds 3] [--seconds 5]

Every server runs in its own process; one Node load generator (the official
socket.io-client) drives each in turn, with the same clients and the same
message. Server CPU time is read from the server's process between the load
generator's "measuring" line and its result, so connecting is not counted.
Medians of the rounds are printed as a table, with ratios to Node in the same run.
``--before DIR`` adds a row for chatlib as it was in DIR (a checkout or ``git archive``
of an earlier commit holding ``chatlib/``), so a change is measured against the code
before it in the same run.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import statistics
import sys
from pathlib import Path

import psutil

HERE = Path(__file__).resolve().parent
SERVERS = {
    "node socket.io 4.8": ["node", str(HERE / "node_server.js")],
    "chatlib (notebooks)": [sys.executable, str(HERE / "python_server.py"), "chatlib"],
    "chatlib + uvloop (serve)": [sys.executable, str(HERE / "python_server.py"), "chatlib-uvloop"],
    "python-socketio defaults": [sys.executable, str(HERE / "python_server.py"), "defaults"],
}


BEFORE = "chatlib before (--before)"
"""The row of chatlib imported from ``--before DIR``; its command is ``SERVERS``' chatlib one."""
_before_dir: str | None = None


def use_before(directory: str) -> None:
    """Measure ``chatlib`` from ``directory`` too, as the ``BEFORE`` row."""
    global _before_dir
    if not (Path(directory) / "chatlib" / "__init__.py").is_file():
        sys.exit(f"--before {directory}: no chatlib/ package there")
    _before_dir = str(Path(directory).resolve())
    SERVERS[BEFORE] = SERVERS["chatlib (notebooks)"]


async def start(command: list[str], name: str = "") -> tuple[asyncio.subprocess.Process, str]:
    env = None
    if name == BEFORE and _before_dir is not None:  # that chatlib first on the import path
        env = {**os.environ, "PYTHONPATH": _before_dir}
    process = await asyncio.create_subprocess_exec(
        *command, stdout=asyncio.subprocess.PIPE, env=env
    )
    url = (await asyncio.wait_for(process.stdout.readline(), 20)).decode().strip()
    return process, url


async def load(url: str, clients: int, mode: str, seconds: float, param: float, *pids: int) -> dict:
    """Run the load generator once; add the servers' CPU seconds while it measured."""
    servers = [psutil.Process(pid) for pid in pids]
    gen = await asyncio.create_subprocess_exec(
        "node", str(HERE / "loadgen.js"), url, str(clients), mode, str(seconds), str(param),
        stdout=asyncio.subprocess.PIPE, cwd=HERE.parent,
    )  # fmt: skip
    timeout = seconds + 120
    line = await asyncio.wait_for(gen.stdout.readline(), timeout)
    if line.strip() != b"measuring":
        raise RuntimeError(f"load generator failed before measuring: {line!r}")
    before = cpu_seconds(servers)
    result = json.loads(await asyncio.wait_for(gen.stdout.readline(), timeout))
    result["server_cpu_s"] = cpu_seconds(servers) - before
    await gen.wait()
    return result


def cpu_seconds(processes: list[psutil.Process]) -> float:
    return sum(sum(p.cpu_times()[:2]) for p in processes)


def summarize(sat: dict, rate: dict) -> dict:
    """One row's figures from a saturation run and a fixed-rate run."""
    return {
        "per_second": sat["per_second"],
        "cpu_us": 1e6 * sat["server_cpu_s"] / max(sat["deliveries"], 1),
        "p50_ms": rate["p50_ms"],
        "p99_ms": rate["p99_ms"],
        "lost": sat["lost"] + rate["lost"],
        "duplicates": sat["duplicates"] + rate["duplicates"],
    }


async def measure(name: str, clients: int, args: argparse.Namespace) -> dict:
    process, url = await start(SERVERS[name], name)
    try:
        sat = await load(url, clients, "saturate", args.seconds, args.window, process.pid)
        rate = await load(url, clients, "rate", args.seconds, args.rate, process.pid)
    finally:
        process.kill()
        await process.wait()
    return summarize(sat, rate)


def median_of(rounds: list[dict]) -> dict:
    return {key: statistics.median(r[key] for r in rounds) for key in rounds[0]}


def table(results: dict[int, dict[str, dict]], rate: float) -> str:
    lines = [
        f"| clients | server | deliveries/s | × Node | CPU µs/delivery | × Node "
        f"| p50 ms @{rate:g} msg/s | p99 ms | × Node p99 | lost | dup |",
        "|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for clients, by_server in results.items():
        node = by_server["node socket.io 4.8"]
        for name, r in by_server.items():
            lines.append(
                f"| {clients} | {name} | {r['per_second']:,.0f} "
                f"| {r['per_second'] / node['per_second']:.2f} | {r['cpu_us']:.1f} "
                f"| {r['cpu_us'] / node['cpu_us']:.2f} | {r['p50_ms']:.1f} | {r['p99_ms']:.1f} "
                f"| {r['p99_ms'] / node['p99_ms']:.2f} | {r['lost']:g} | {r['duplicates']:g} |"
            )
    return "\n".join(lines)


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clients", type=int, nargs="+", default=[50, 200, 500])
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--seconds", type=float, default=5)
    parser.add_argument("--window", type=int, default=20, help="broadcasts in flight")
    parser.add_argument("--rate", type=float, default=25, help="broadcasts/s for latency")
    parser.add_argument(
        "--servers",
        nargs="+",
        default=[name for name in SERVERS if "uvloop" not in name],
        choices=list(SERVERS),
        help="the uvloop row needs `pip install uvloop`",
    )
    parser.add_argument("--before", metavar="DIR", help="also measure chatlib/ from DIR")
    args = parser.parse_args()
    if "node socket.io 4.8" not in args.servers:
        parser.error("the Node server is the reference: keep it in --servers")
    if args.before:
        use_before(args.before)
        args.servers.append(BEFORE)
    results: dict[int, dict[str, dict]] = {}
    for clients in args.clients:
        rounds: dict[str, list[dict]] = {name: [] for name in args.servers}
        for round_number in range(args.rounds):
            for name in args.servers:  # interleaved, so drift on a shared machine hits all alike
                rounds[name].append(await measure(name, clients, args))
                print(f"N={clients} round {round_number + 1}: {name} done", file=sys.stderr)
        results[clients] = {name: median_of(r) for name, r in rounds.items()}
    print(table(results, args.rate))


if __name__ == "__main__":
    asyncio.run(main())
