"""``python -m chatlib serve --db`` as a real process: start it, and kill it without a goodbye."""

from __future__ import annotations

import asyncio
import re
import signal
import socket
import sys
from pathlib import Path


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


async def serve(db: Path, port: int) -> tuple[asyncio.subprocess.Process, str]:
    """Start the durable chat server on ``port`` with ``db``; return it and its URL."""
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "chatlib",
        "serve",
        "--port",
        str(port),
        "--db",
        str(db),
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.DEVNULL,
    )
    assert process.stdout is not None
    line = (await asyncio.wait_for(process.stdout.readline(), 20)).decode()
    found = re.search(r"http://127\.0\.0\.1:\d+", line)
    assert found, f"unexpected first line: {line!r}"
    assert str(db) in line
    return process, found.group(0)


async def kill(process: asyncio.subprocess.Process) -> None:
    """SIGKILL: no handler runs, every connection is cut as the kernel closes them."""
    if process.returncode is None:
        process.send_signal(signal.SIGKILL)
    await asyncio.wait_for(process.wait(), 10)
