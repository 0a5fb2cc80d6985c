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
    process, url, line = await serve_with("--port", str(port), "--db", str(db))
    assert str(db) in line
    return process, url


async def serve_with(*options: str) -> tuple[asyncio.subprocess.Process, str, str]:
    """Start ``python -m chatlib serve`` with ``options``; return it, its URL and first line."""
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "chatlib",
        "serve",
        *options,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.DEVNULL,
    )
    assert process.stdout is not None
    line = (await asyncio.wait_for(process.stdout.readline(), 20)).decode()
    found = re.search(r"http://127\.0\.0\.1:\d+", line)
    assert found, f"unexpected first line: {line!r}"
    return process, found.group(0), line


async def kill(process: asyncio.subprocess.Process) -> None:
    """SIGKILL: no handler runs, every connection is cut as the kernel closes them."""
    if process.returncode is None:
        process.send_signal(signal.SIGKILL)
    await asyncio.wait_for(process.wait(), 10)
