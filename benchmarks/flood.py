"""Widgets under a flood, in a real kernel: 10 client panes, 1,000 messages per second, 5 s.

    .venv/bin/python benchmarks/flood.py [--panes 10] [--rate 1000] [--seconds 5]

Counts the widget (comm) messages the kernel sends per pane per second, how much
each pane keeps, and how long a new cell takes to run while the flood goes on.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import time
from collections import Counter

from jupyter_client.manager import start_new_async_kernel

SETUP = """
import asyncio, json
from chatlib import connect_clients, start_server
from chatlib.widgets import ClientPane
server = await start_server("flood")
clients = await connect_clients(server.url, [f"client{{n}}" for n in range({panes})])
panes = [ClientPane(c, server) for c in clients]
print(json.dumps({{p.messages.model_id: p.client.name for p in panes}}))
"""

FLOOD = """
async def flood(rate, seconds):
    loop = asyncio.get_running_loop()
    start = loop.time()
    for n in range(int(rate * seconds)):
        delay = start + n / rate - loop.time()
        if delay > 0:
            await asyncio.sleep(delay)
        await server.sio.emit("n", n)
flooding = asyncio.ensure_future(flood({rate}, {seconds}))
"""

REPORT = """
await flooding
import sys
print(json.dumps({
    "pane_lines": max(len(p.lines()) for p in panes),
    "pane_html_bytes": max(len(p.messages.value) for p in panes),
    "inbox": len(clients[0].inbox),
}))
"""


async def execute(client, code: str) -> tuple[float, str]:
    """Run ``code``; return (seconds until the reply, stdout). Reads only the shell channel."""
    started = time.perf_counter()
    msg_id = client.execute(code)
    while True:
        reply = await client.get_shell_msg(timeout=60)
        if reply["parent_header"].get("msg_id") == msg_id:
            break
    if reply["content"]["status"] != "ok":
        raise RuntimeError(reply["content"])
    return time.perf_counter() - started, msg_id


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--panes", type=int, default=10)
    parser.add_argument("--rate", type=float, default=1000)
    parser.add_argument("--seconds", type=float, default=5)
    args = parser.parse_args()
    manager, client = await start_new_async_kernel(kernel_name="python3")
    stdout: dict[str, list[str]] = {}
    comm_updates: Counter[str] = Counter()
    reading = True

    async def read_iopub() -> None:
        while reading:
            try:
                msg = await client.get_iopub_msg(timeout=0.2)
            except Exception:
                continue
            kind, content = msg["header"]["msg_type"], msg["content"]
            if kind == "stream":
                stdout.setdefault(msg["parent_header"].get("msg_id"), []).append(content["text"])
            elif kind == "comm_msg":
                comm_updates[content["comm_id"]] += 1

    reader = asyncio.ensure_future(read_iopub())
    try:
        _, setup_id = await execute(client, SETUP.format(panes=args.panes))
        await asyncio.sleep(0.5)  # let the setup's output arrive on iopub
        names = json.loads("".join(stdout[setup_id]))
        comm_updates.clear()
        started = time.perf_counter()
        await execute(client, FLOOD.format(rate=args.rate, seconds=args.seconds))
        cell_times = []
        while time.perf_counter() - started < args.seconds:
            elapsed, _ = await execute(client, "1 + 1")
            cell_times.append(elapsed)
            await asyncio.sleep(0.25)
        _, report_id = await execute(client, REPORT)
        flood_seconds = time.perf_counter() - started
        await asyncio.sleep(0.5)
        report = json.loads("".join(stdout[report_id]))
    finally:
        reading = False
        await reader
        client.stop_channels()
        await manager.shutdown_kernel(now=True)
    per_pane = [comm_updates[model_id] / flood_seconds for model_id in names]
    print(f"| measure ({args.panes} panes, {args.rate:g} msg/s for {args.seconds:g} s) | value |")
    print("|---|---|")
    print(f"| messages each pane received | {report['inbox']:,} |")
    print(
        f"| widget messages per pane per second, median / max | "
        f"{statistics.median(per_pane):.1f} / {max(per_pane):.1f} |"
    )
    everything = sum(comm_updates.values()) / flood_seconds / args.panes
    print(f"| every widget message of the kernel, per pane per second | {everything:.1f} |")
    print(
        f"| lines a pane keeps / its HTML, bytes | {report['pane_lines']} / "
        f"{report['pane_html_bytes']:,} |"
    )
    print(
        f"| a new cell during the flood, median / max ms | "
        f"{1000 * statistics.median(cell_times):.0f} / {1000 * max(cell_times):.0f} |"
    )


if __name__ == "__main__":
    asyncio.run(main())
