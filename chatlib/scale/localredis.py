"""Find a Redis for the lessons, or start a private one, so a learner sets nothing up.

Several Socket.IO servers only share their clients through a message queue,
and Redis is the usual one. ``find_redis()`` looks in three places, in order:

1. the ``REDIS_URL`` environment variable (an explicit choice always wins);
2. a Redis already answering on 127.0.0.1:6379 (the default install);
3. ``redis-server`` on the PATH: started on a free loopback port, with a
   throw-away directory and no persistence, and stopped again by ``stop()``
   (or when Python exits, or when the process that started it dies).

When none of these works it raises ``RedisUnavailable`` whose message says how
to get Redis. Under ``CI=true`` that is the end of it: a CI machine must have
Redis, so its absence fails rather than skips.
"""

from __future__ import annotations

import atexit
import contextlib
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from urllib.parse import urlparse

DEFAULT_HOST, DEFAULT_PORT = "127.0.0.1", 6379
START_TIMEOUT = 10.0

HOW_TO_GET_REDIS = (
    "No Redis was found: REDIS_URL is not set, nothing answers on 127.0.0.1:6379 and "
    "`redis-server` is not on the PATH. Install it, then run this cell again:\n"
    "  conda:          conda install -c conda-forge redis-server   (it is in environment.yml)\n"
    "  Debian/Ubuntu:  sudo apt-get install redis-server\n"
    "  or point REDIS_URL at a Redis you already have, e.g. redis://127.0.0.1:6379/0"
)


class RedisUnavailable(RuntimeError):
    """No Redis could be found or started; the message says how to get one."""


@dataclass
class LocalRedis:
    """A Redis the lessons can use: where it is, how it was found, and how to let go of it."""

    url: str
    origin: str  # "REDIS_URL", "already running" or "started by chatlib"
    process: subprocess.Popen[bytes] | None = field(default=None, repr=False)
    directory: str | None = field(default=None, repr=False)

    def __str__(self) -> str:
        return f"Redis at {self.url} ({self.origin})"

    @property
    def host(self) -> str:
        return urlparse(self.url).hostname or DEFAULT_HOST

    @property
    def port(self) -> int:
        return urlparse(self.url).port or DEFAULT_PORT

    @property
    def started_here(self) -> bool:
        return self.process is not None

    def ping(self, timeout: float = 1.0) -> bool:
        """True when the server answers PING right now."""
        return ping(self.host, self.port, timeout)

    def stop(self) -> None:
        """Stop the server if this process started it; a Redis found running is left alone."""
        process, self.process = self.process, None
        if process is not None and process.poll() is None:
            process.terminate()
            try:
                process.wait(5)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(5)
        if self.directory is not None:
            shutil.rmtree(self.directory, ignore_errors=True)
            self.directory = None


def ping(host: str, port: int, timeout: float = 1.0) -> bool:
    """Send Redis's inline ``PING`` over a plain socket: no client library needed to look."""
    try:
        with socket.create_connection((host, port), timeout=timeout) as conn:
            conn.settimeout(timeout)
            conn.sendall(b"PING\r\n")
            return conn.recv(64).startswith((b"+PONG", b"-NOAUTH"))
    except OSError:
        return False


def in_ci() -> bool:
    return os.environ.get("CI", "").lower() in ("1", "true", "yes")


def find_redis(*, start: bool = True) -> LocalRedis:
    """The Redis to use: ``REDIS_URL``, else 127.0.0.1:6379, else a private ``redis-server``.

    With ``start=False`` a missing Redis raises instead of being started.
    """
    url = os.environ.get("REDIS_URL")
    if url:
        found = LocalRedis(url, "REDIS_URL")
        if not found.ping():
            raise RedisUnavailable(f"REDIS_URL is {url}, but nothing answers PING there")
        return found
    if ping(DEFAULT_HOST, DEFAULT_PORT):
        return LocalRedis(f"redis://{DEFAULT_HOST}:{DEFAULT_PORT}/0", "already running")
    if start and shutil.which("redis-server"):
        return start_redis()
    message = HOW_TO_GET_REDIS
    if in_ci():
        message += "\n(CI=true: a missing Redis is a failure, not a skip)"
    raise RedisUnavailable(message)


def start_redis(port: int = 0, *, executable: str | None = None) -> LocalRedis:
    """Start a private ``redis-server`` on loopback (a free port when 0) and wait for PING.

    Nothing is written to disk but a throw-away directory, removed by ``stop()``.
    """
    executable = executable or shutil.which("redis-server")
    if executable is None:
        raise RedisUnavailable(HOW_TO_GET_REDIS)
    port = port or free_port()
    directory = tempfile.mkdtemp(prefix="chatlib-redis-")
    command = [
        executable,
        "--bind", DEFAULT_HOST,
        "--port", str(port),
        "--dir", directory,
        "--save", "",
        "--appendonly", "no",
        "--daemonize", "no",
        "--loglevel", "warning",
        "--logfile", os.path.join(directory, "redis.log"),
    ]  # fmt: skip
    process = subprocess.Popen(
        command,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        preexec_fn=die_with_parent if sys.platform == "linux" else None,
    )
    redis = LocalRedis(f"redis://{DEFAULT_HOST}:{port}/0", "started by chatlib", process, directory)
    atexit.register(redis.stop)
    deadline = time.monotonic() + START_TIMEOUT
    while not redis.ping(0.2):
        if process.poll() is not None or time.monotonic() > deadline:
            log = _read(os.path.join(directory, "redis.log"))
            redis.stop()
            raise RedisUnavailable(f"redis-server did not start on port {port}:\n{log}")
        time.sleep(0.02)
    return redis


def free_port() -> int:
    """A loopback TCP port that nothing listens on at this moment."""
    with socket.socket() as probe:
        probe.bind((DEFAULT_HOST, 0))
        return probe.getsockname()[1]


def die_with_parent() -> None:
    """In the child: ask Linux to stop it when its parent dies (e.g. a killed kernel)."""
    with contextlib.suppress(Exception):
        import ctypes

        ctypes.CDLL("libc.so.6", use_errno=True).prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG


def _read(path: str) -> str:
    try:
        with open(path) as file:
            return file.read()[-2000:]
    except OSError:
        return "(no log)"


def redis_for_lesson() -> LocalRedis | None:
    """``find_redis()`` for a notebook: without Redis, say how to get it and skip the rest.

    Instead of letting every later cell crash, the cells that follow only print
    that they were skipped (an IPython input transformer replaces their code).
    Under ``CI=true`` a missing Redis raises.
    """
    try:
        return find_redis()
    except RedisUnavailable as error:
        if in_ci():
            raise
        print(error)
        skip_remaining_cells("skipped: this lesson needs Redis (see the message near the top)")
        return None


def skip_remaining_cells(message: str) -> None:
    """Make every cell run after this one print ``message`` instead of running."""
    from IPython import get_ipython

    shell = get_ipython()
    if shell is None:
        return

    def replace(_lines: list[str]) -> list[str]:
        return [f"print({message!r})\n"]

    shell.input_transformers_post.append(replace)
