"""Connections that say nothing, and how long a server takes to close them.

Shared by ``tests/test_hostile.py`` and ``benchmarks/hostile.py``: the test
checks the bounds, the benchmark measures them at the size of an attack.
"""

from __future__ import annotations

import asyncio
import contextlib
import time

Opened = tuple[asyncio.StreamReader, asyncio.StreamWriter, float]


async def open_idle(
    url: str, count: int, source: str = "127.0.0.1", *, skip_refused: bool = False
) -> list[Opened]:
    """``count`` TCP connections that send nothing (every tenth: half an HTTP request).

    Each comes with the ``time.monotonic()`` it was opened at. ``skip_refused``
    leaves out a connection the system refuses (out of open files) instead of
    raising, as an attack would carry on.
    """
    host, port = url.removeprefix("http://").split(":")
    opened: list[Opened] = []
    for n in range(count):
        with contextlib.suppress(*((OSError,) if skip_refused else ())):
            reader, writer = await asyncio.open_connection(host, int(port), local_addr=(source, 0))
            if n % 10 == 9:  # half a request: a slow client, or a slowloris
                writer.write(b"GET / HTTP/1.1\r\nHost: x\r\n")
            opened.append((reader, writer, time.monotonic()))
    return opened


async def seconds_until_closed(
    reader: asyncio.StreamReader, began: float, bound: float
) -> float | None:
    """Seconds from ``began`` until the server closes the connection (None: not in ``bound``)."""
    try:
        async with asyncio.timeout(bound):
            while await reader.read(1024):
                pass
    except TimeoutError:
        return None
    except OSError:
        pass
    return time.monotonic() - began
