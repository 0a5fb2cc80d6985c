"""``python -m chatlib serve --db`` as a real process: start it, and kill it without a goodbye."""

from __future__ import annotations

import asyncio
import contextlib
import re
import signal
import socket
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest


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


@contextlib.contextmanager
def small_disk(folder: Path, size: str = "2m") -> Iterator[Path]:
    """A tmpfs of ``size`` mounted on ``folder``: a disk that a test can really fill.

    Mounting needs root (the tests' CI runs as root); elsewhere the test is skipped.
    """
    folder.mkdir()
    mounted = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", f"size={size}", "tmpfs", str(folder)], capture_output=True
    )
    if mounted.returncode != 0:
        pytest.skip(f"a small tmpfs cannot be mounted here: {mounted.stderr.decode().strip()}")
    try:
        yield folder
    finally:
        subprocess.run(["umount", "--lazy", str(folder)], check=True)


def fill(disk: Path) -> Path:
    """Write a file that takes every free byte of ``disk``; delete it to free the space."""
    filler = disk / "filler"
    with filler.open("wb", buffering=0) as out:
        for chunk in (65536, 4096, 512, 1):
            with contextlib.suppress(OSError):
                while True:
                    out.write(b"\0" * chunk)
    return filler


async def serve_watched(db: Path, port: int) -> tuple[asyncio.subprocess.Process, str]:
    """``serve --db`` like ``serve``, its console errors (stderr) kept to be read."""
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "chatlib", "serve", "--port", str(port), "--db", str(db),
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
    )  # fmt: skip
    assert process.stdout is not None
    line = (await asyncio.wait_for(process.stdout.readline(), 20)).decode()
    found = re.search(r"http://127\.0\.0\.1:\d+", line)
    assert found, f"unexpected first line: {line!r}"
    return process, found.group(0)
