"""Several Socket.IO servers ("nodes") in one kernel, sharing their clients through a queue.

Each node is an ``EmbeddedServer`` whose ``client_manager`` is a pub/sub
manager (``AsyncRedisManager`` by default). Three things make such nodes
usable in a lesson:

- **Subscribe now, not later.** python-socketio subscribes a node to the queue
  when its first client connects, in a background task. A message published
  before that subscription is lost for that node. ``start_node`` initialises
  the manager at once and waits until the node is really subscribed.
- **Own channel.** All nodes of a cluster use one channel; every new cluster
  picks a fresh channel name, so two lessons running on the same Redis at the
  same time never hear each other.
- **Failures in the log.** A manager reports a lost queue with Python
  ``logging``, which no cell shows. The node's manager logs into the node's own
  server log instead (kind ``"error"``), next to its emits.

``start_node(name, recovery=Recovery(...))`` turns connection state recovery
on as for one server, with sessions and missed events kept in Redis, so a
client that comes back through another node is recovered too (see
``chatlib.scale.shared_recovery``). Give every node of a cluster the same one.
"""

from __future__ import annotations

import asyncio
import json
import logging
import sys
import uuid
from collections.abc import Callable
from typing import Any

import socketio
from socketio.async_pubsub_manager import AsyncPubSubManager

from .._engine.managers import close_queue, start_listening
from .._engine.shared_recovery import RecoveringRedisManager
from ..fanout import FanoutRedisManager
from ..recovery import Recovery
from ..server import EmbeddedServer
from .localredis import LocalRedis

READY_TIMEOUT = 5.0


class Cluster:
    """Nodes that share one queue: ``await cluster.start_node("node-a")``.

    ``redis`` is a ``LocalRedis`` (see ``chatlib.scale.localredis``) or a URL. For
    another queue, pass ``manager``: a function of the channel name that
    returns a fresh ``AsyncPubSubManager`` for one node.
    """

    def __init__(
        self,
        redis: LocalRedis | str | None = None,
        *,
        manager: Callable[[str], AsyncPubSubManager] | None = None,
        channel: str | None = None,
    ) -> None:
        if redis is None and manager is None:
            raise ValueError("give a Redis (LocalRedis or URL) or a manager factory")
        self.redis_url = redis.url if isinstance(redis, LocalRedis) else redis
        self.channel = channel or f"chatlib-{uuid.uuid4().hex[:12]}"
        self._manager = manager
        self.nodes: list[EmbeddedServer] = []
        self.recovery: Recovery | None = None
        """The nodes' recovery, once a node started with one: the emitter keeps events for it."""

    def __repr__(self) -> str:
        names = ", ".join(node.name for node in self.nodes) or "no nodes"
        return f"<Cluster of {names}>"

    def new_manager(
        self, *, write_only: bool = False, recovery: Recovery | None = None
    ) -> AsyncPubSubManager:
        """A manager on this cluster's queue and channel (``write_only`` for an emitter).

        With ``recovery`` it keeps sessions and missed events in this cluster's Redis.
        """
        if recovery is not None:
            if self._manager is not None or self.redis_url is None:
                raise ValueError("recovery across nodes keeps its state in Redis: give a Redis")
            return RecoveringRedisManager(self.redis_url, self.channel, recovery)
        if self._manager is not None:
            return self._manager(self.channel)
        if write_only:  # an emitter delivers to nobody itself
            return socketio.AsyncRedisManager(self.redis_url, channel=self.channel, write_only=True)
        return FanoutRedisManager(self.redis_url, channel=self.channel)

    async def start_node(self, name: str, **server_options: Any) -> EmbeddedServer:
        """Start a node called ``name`` on a free port, subscribed before it returns.

        ``server_options`` go to ``EmbeddedServer``; ``recovery=Recovery(...)``
        keeps what recovery needs in Redis, for every node.
        """
        recovery = server_options.get("recovery")
        manager = self.new_manager(recovery=recovery)
        if recovery is not None:
            self.recovery = recovery
        logger = node_logger(name)
        server_options.setdefault("logger", logger)
        server_options.setdefault("engineio_logger", logger)
        node = Node(name, client_manager=manager, **server_options)
        manager.logger = logger
        if isinstance(manager, RecoveringRedisManager):
            manager.store.logger = logger
        logger.handlers[0].node = node  # type: ignore[attr-defined]
        await node.start()
        start_listening(node.sio)
        self.nodes = [n for n in self.nodes if n.name != name and n.running] + [node]
        await self.wait_subscribed()
        if isinstance(manager, RecoveringRedisManager):
            await manager.mark_position()
        return node

    async def wait_subscribed(self, timeout: float = READY_TIMEOUT) -> None:
        """Wait until every running node listens on the channel (checked in Redis itself).

        For a manager that is not Redis, a ``ready()`` coroutine on it is awaited
        when it has one; otherwise there is nothing to check.
        """
        running = [node for node in self.nodes if node.running]
        if self._manager is not None:
            for node in running:
                ready = getattr(node.sio.manager, "ready", None)
                if ready is not None:
                    await asyncio.wait_for(ready(), timeout)
            return
        if self.redis_url is None:
            raise RuntimeError("a cluster without Redis and without a manager factory")
        await wait_for_subscribers(self.redis_url, self.channel, len(running), timeout)

    async def stop(self) -> None:
        """Stop every node of the cluster (their clients are disconnected first)."""
        for node in self.nodes:
            await node.stop()
        self.nodes = []


class Node(EmbeddedServer):
    """An ``EmbeddedServer`` whose ``stop()`` also ends its subscription to the queue.

    python-socketio's manager listens in a background task that outlives the
    web server; without this, every re-run cell would leave one more listener.
    It also drops long-polling sessions first: closing one waits until its
    client fetches the goodbye, and a client that went away never will.

    A node whose recovery keeps sessions in Redis hands its clients over
    instead of saying goodbye: it stops accepting connections, keeps every
    client's session as if its connection had been lost, and cuts the
    connections, so the clients come back through another node and are
    recovered there (socket.io's ``io.close()`` does the same). ``crash=True``
    keeps nothing, as a killed process.
    """

    _handing_over = False

    async def stop(self, *, crash: bool = False) -> None:
        self._handing_over = not crash and self.running and self.sio.shared_recovery is not None
        if self._handing_over:
            await self._stop_listening()
            kept = await self.sio.keep_sessions()
            self.log.add("server", f"{kept} session(s) kept in Redis, for another node")
        for socket in list(self.sio.eio.sockets.values()):
            if not socket.upgraded:  # still on long-polling
                await socket.close(wait=False, abort=True)
        await super().stop(crash=crash)
        await close_queue(self.sio.manager)

    async def _stop_listening(self) -> None:
        """Accept no new connection: a client that comes back must reach another node."""
        if self._runner is not None:
            for site in list(self._runner.sites):
                await site.stop()

    async def _say_goodbye(self) -> None:
        if self._handing_over:
            self._cut_connections()
        else:
            await super()._say_goodbye()


async def wait_for_subscribers(url: str, channel: str, count: int, timeout: float) -> None:
    """Wait until at least ``count`` connections subscribe to ``channel`` on Redis ``url``."""
    from redis import asyncio as aioredis

    client = aioredis.Redis.from_url(url)
    try:
        async with asyncio.timeout(timeout):
            while True:
                [(_name, subscribers)] = await client.pubsub_numsub(channel)
                if subscribers >= count:
                    return
                await asyncio.sleep(0.01)
    except TimeoutError:
        raise TimeoutError(
            f"only {subscribers} of {count} nodes subscribed to Redis within {timeout} s"
        ) from None
    finally:
        await client.aclose()


def node_logger(name: str) -> logging.Logger:
    """A logger whose warnings and errors become ``"error"`` lines of a node's server log.

    The node's Socket.IO server, its Engine.IO server and its manager all log
    here: what would go to stderr (and be lost, or pollute a cell) goes to the
    node's log, where a lesson can show it. A fresh ``Logger`` object rather
    than ``logging.getLogger``: re-running a cell does not pile up handlers.
    Attach the node with ``logger.handlers[0].node = node``.
    """
    logger = logging.Logger(f"chatlib.node.{name}", logging.WARNING)
    logger.addHandler(_ServerLogHandler())
    return logger


class _ServerLogHandler(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.WARNING)
        self.node: EmbeddedServer | None = None

    def emit(self, record: logging.LogRecord) -> None:
        if self.node is not None:
            self.node.log.add("error", record.getMessage())


async def run_emitter(
    cluster: Cluster, event: str, data: str, *, to: str | None = None, namespace: str = "/"
) -> str:
    """Run ``python -m chatlib.scale.emitter`` as a separate OS process; return what it printed.

    The process has no server and no clients: it only publishes on the cluster's
    Redis channel, and the nodes deliver to their own clients.
    """
    arguments = [event, data, "--namespace", namespace] + (["--to", to] if to else [])
    return await _emitter_process(cluster, arguments)


async def run_emitter_lines(cluster: Cluster, code: str, sids: dict[str, str] | None = None) -> str:
    """Run ``code`` in a separate emitter process (``emitter`` and ``sids`` in scope).

    Returns "ran", or "failed: <error>" when python-socketio cannot do what the
    line asks: a lesson prints that instead of asserting it in prose.
    """
    arguments = ["--code", code, "--sids", json.dumps(sids or {})]
    return await _emitter_process(cluster, arguments)


async def _emitter_process(cluster: Cluster, arguments: list[str]) -> str:
    if cluster.redis_url is None:
        raise ValueError("the emitter process speaks to Redis; this cluster has no Redis")
    command = [sys.executable, "-m", "chatlib.scale.emitter", cluster.redis_url, cluster.channel]
    if cluster.recovery is not None:  # after EVENT DATA: argparse reads those first
        window, cap = cluster.recovery.max_disconnection, cluster.recovery.max_packets
        arguments = [*arguments, "--recovery", str(window), "--recovery-max", str(cap)]
    process = await asyncio.create_subprocess_exec(
        *command, *arguments, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT
    )
    try:
        output, _ = await asyncio.wait_for(process.communicate(), 20)
    except TimeoutError:
        process.kill()
        await process.wait()
        raise TimeoutError("the emitter process did not finish within 20 s") from None
    if process.returncode:
        raise RuntimeError(f"the emitter process failed:\n{output.decode()}")
    return output.decode().strip()


async def wait_for_log(node: EmbeddedServer, text: str, timeout: float = 5.0) -> str:
    """The first line of ``node``'s log that contains ``text``, once there is one (bounded)."""
    try:
        async with asyncio.timeout(timeout):
            while True:
                found = [line for line in node.log.lines() if text in line]
                if found:
                    return found[0]
                await asyncio.sleep(0.01)
    except TimeoutError:
        raise TimeoutError(f"{node.name}'s log has no {text!r} after {timeout} s") from None
