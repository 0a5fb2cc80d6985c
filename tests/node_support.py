"""The official JavaScript client, run by Node.js against chatlib's server.

Each interop scenario is a small script in ``tests/interop/`` that takes the
server's URL, talks to it with ``socket.io-client`` (installed by ``npm ci``
from the pinned ``package.json``) and prints what it saw as one JSON object on
its last line. The test runs it as a subprocess of the test's own event loop,
so the embedded server keeps serving while Node talks to it.
"""

from __future__ import annotations

import asyncio
import json
import shutil
from pathlib import Path
from typing import Any

from .support import require

ROOT = Path(__file__).resolve().parent.parent
SCRIPTS = ROOT / "tests" / "interop"
CLIENT_PACKAGE = ROOT / "node_modules" / "socket.io-client" / "package.json"


def pinned_client_version() -> str:
    """The socket.io-client version ``package.json`` pins."""
    return json.loads((ROOT / "package.json").read_text())["dependencies"]["socket.io-client"]


def require_node_client() -> str:
    """The ``node`` executable; skip (fail under CI) without it or without ``npm ci``."""
    node = shutil.which("node")
    require(node is not None, "Node.js", "sudo apt-get install -y nodejs npm")
    require(CLIENT_PACKAGE.is_file(), "the npm package socket.io-client", "run `npm ci`")
    assert node is not None
    return node


async def run_node(script: str, *args: str, timeout: float = 20) -> dict[str, Any]:
    """Run ``tests/interop/<script>`` with ``args``; return the JSON it printed last.

    A script that fails, prints no JSON or outlives ``timeout`` fails the test
    with its output, so a broken scenario never looks like a passing one.
    """
    node = require_node_client()
    process = await asyncio.create_subprocess_exec(
        node,
        str(SCRIPTS / script),
        *args,
        cwd=ROOT,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    try:
        out, err = await asyncio.wait_for(process.communicate(), timeout)
    except TimeoutError:
        process.kill()
        out, err = await process.communicate()
        raise AssertionError(
            f"{script} still running after {timeout} s\nstdout:\n{out.decode()}\n"
            f"stderr:\n{err.decode()}"
        ) from None
    lines = out.decode().strip().splitlines()
    if process.returncode != 0 or not lines:
        raise AssertionError(
            f"{script} exited with {process.returncode}\nstdout:\n{out.decode()}\n"
            f"stderr:\n{err.decode()}"
        )
    return json.loads(lines[-1])
