"""The chat scaled out: each node of the chat server in its own OS process.

``ChatProcess`` runs ``python -m chatlib serve --redis URL --channel NAME`` on a
free port: the tutorial's chat server, the same code as notebook 01, as one of
several processes that share their clients through Redis. That is how a chat
grows past one process (and one CPU core) in Python, where socket.io's
tutorial uses Node's cluster module.

The kernel cannot look inside these processes, so ``settle()`` (which asks
servers in this process) does not apply; ``wait_for_messages`` waits for what
the clients hold instead, bounded by a timeout.
"""

from __future__ import annotations

import asyncio
import sys
from collections.abc import Iterable, Sequence
from typing import Self

from ..clients import ChatClient
from .cluster import Cluster, wait_for_subscribers
from .localredis import die_with_parent

START_TIMEOUT = 15.0


class ChatProcess:
    """One chat server node in a separate process, on the cluster's Redis channel.

    ``options`` are more ``serve`` options, e.g. ``["--topics", "music,art"]``
    or ``["--recovery", "30"]`` (recovered on whichever node a client comes back to).
    """

    def __init__(self, name: str, cluster: Cluster, options: Sequence[str] = ()) -> None:
        if cluster.redis_url is None:
            raise ValueError("chat processes share their clients through Redis")
        self.name = name
        self.cluster = cluster
        self.options = list(options)
        self.url = ""
        self._process: asyncio.subprocess.Process | None = None

    def __repr__(self) -> str:
        state = "running" if self.running else "stopped"
        return f"<ChatProcess {self.name!r} {state}>"

    @property
    def running(self) -> bool:
        return self._process is not None and self._process.returncode is None

    @property
    def pid(self) -> int | None:
        """The process id, e.g. to send it Ctrl+C (SIGINT): it then stops cleanly."""
        return self._process.pid if self._process is not None else None

    async def start(self) -> Self:
        """Start the process and wait until it says where it listens."""
        command = [sys.executable, "-m", "chatlib", "serve", "--port", "0"]
        command += ["--redis", str(self.cluster.redis_url), "--channel", self.cluster.channel]
        command += self.options
        self._process = await asyncio.create_subprocess_exec(
            *command,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.STDOUT,
            preexec_fn=die_with_parent if sys.platform == "linux" else None,
        )
        assert self._process.stdout is not None
        try:
            line = await asyncio.wait_for(self._process.stdout.readline(), START_TIMEOUT)
        except TimeoutError:
            await self.stop()
            raise TimeoutError(f"{self.name} did not start within {START_TIMEOUT} s") from None
        text = line.decode()
        if not text.startswith("chat server running at "):
            rest = await self._process.stdout.read()
            await self.stop()
            raise RuntimeError(f"{self.name} did not start:\n{text}{rest.decode()}")
        self.url = text.split(" at ", 1)[1].split("/ ", 1)[0]
        return self

    async def stop(self) -> None:
        """Terminate the process (its clients see a disconnect) and wait for it to end."""
        process, self._process = self._process, None
        if process is None or process.returncode is not None:
            return
        process.terminate()
        try:
            await asyncio.wait_for(process.wait(), 5)
        except TimeoutError:
            process.kill()
            await process.wait()


async def start_chat_processes(
    cluster: Cluster, names: Iterable[str], options: Sequence[str] = ()
) -> list[ChatProcess]:
    """Start one ``ChatProcess`` per name, side by side, and wait until all listen to Redis.

    Each process spends most of its start importing python-socketio and aiohttp,
    so starting them together costs about one start, not one per process. If any
    fails to start, the others are stopped and its error is raised.
    """
    started = await asyncio.gather(
        *(ChatProcess(name, cluster, options).start() for name in names), return_exceptions=True
    )
    processes = [process for process in started if isinstance(process, ChatProcess)]
    failures = [error for error in started if isinstance(error, BaseException)]
    if failures:
        await asyncio.gather(*(process.stop() for process in processes))
        raise failures[0]
    await wait_for_subscribers(
        str(cluster.redis_url), cluster.channel, len(processes) + len(cluster.nodes), 5
    )
    return processes


async def wait_for_messages(
    clients: Iterable[ChatClient], event: str, count: int, timeout: float = 5.0
) -> None:
    """Wait until every client holds at least ``count`` ``event``s; name who lacks them."""
    clients = list(clients)
    try:
        async with asyncio.timeout(timeout):
            while any(len(c.received(event)) < count for c in clients):
                await asyncio.sleep(0.005)
    except TimeoutError:
        short = [c.name for c in clients if len(c.received(event)) < count]
        raise TimeoutError(
            f"{', '.join(short)} did not get {count} {event!r} within {timeout} s"
        ) from None
