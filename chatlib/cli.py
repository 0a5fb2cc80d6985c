"""What ``python -m chatlib`` answers to a bad invocation: one line, what is wrong, what to do.

Someone starting a server from a terminal (an instructor a minute before
class) needs to read the answer at a glance: a 40-line traceback buries it,
and argparse's usage block repeats every option before it. Every refusal,
from the parser or from a server that cannot start, is therefore one line
``python -m chatlib COMMAND: error: …`` and a non-zero exit status (2 for
a wrong option, 1 for a server that could not start).
"""

from __future__ import annotations

import argparse
import asyncio
import errno
import ipaddress
import socket
import sys
from typing import NoReturn

import redis

from .admission import report_when_out_of_files
from .log import LogEntry, ServerLog

CONSOLE_KINDS = ("dropped", "limit")
"""Server log lines a console shows: a client cut off, a limit reached."""


class OneLineParser(argparse.ArgumentParser):
    """An ``ArgumentParser`` whose errors are one line, without the usage block.

    Sub-commands made with ``add_subparsers().add_parser`` are of the same class.
    """

    def error(self, message: str) -> NoReturn:
        self.exit(2, f"{self.prog}: error: {message}\n")


def fail(command: str, message: str) -> NoReturn:
    """Stop with one line on stderr and exit status 1."""
    print(f"python -m chatlib {command}: error: {message}", file=sys.stderr, flush=True)
    raise SystemExit(1)


def print_warnings(entry: LogEntry) -> None:
    """A server log listener: one stderr line per client dropped or limit reached.

    Someone running the server from a terminal sees an attack or a crowd as
    it happens, one line each, never a traceback.
    """
    if entry.kind in CONSOLE_KINDS:
        print_warning(entry.text)


def print_warning(text: str) -> None:
    """One warning line on stderr."""
    print(f"warning: {text}", file=sys.stderr, flush=True)


def warn_on_console(log: ServerLog) -> None:
    """From now on, one stderr line per client dropped, limit reached, or file limit met.

    For a server started from a terminal, inside its running event loop.
    """
    log.subscribe(print_warnings)
    report_when_out_of_files(asyncio.get_running_loop(), print_warning)


def port_number(text: str) -> int:
    """``--port``'s type: a TCP port, 0 meaning any free one."""
    try:
        port = int(text)
    except ValueError:
        port = -1
    if not 0 <= port <= 65535:
        raise argparse.ArgumentTypeError(
            f"{text} is not a port: give a number from 1 to 65535, or 0 for a free one"
        )
    return port


def resolve_host(host: str) -> str:
    """The IP address ``host`` names (``localhost`` → ``127.0.0.1``), or ``ValueError``.

    A name is resolved once, here, so that the server binds the address the
    loopback check saw, and the URL it prints is one a browser can open.
    """
    try:
        return str(ipaddress.ip_address(host))
    except ValueError:
        pass
    try:
        found = socket.getaddrinfo(host, None, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError):
        raise ValueError(
            f"--host {host} is neither an IP address nor a name this machine can resolve: "
            "give an address such as 127.0.0.1"
        ) from None
    addresses = [str(info[4][0]) for info in found]
    ipv4 = [a for a in addresses if ipaddress.ip_address(a).version == 4]
    return (ipv4 or addresses)[0]


def listen_error(host: str, port: int, error: OSError) -> str:
    """The one line for a server that cannot listen on ``host:port``."""
    if error.errno == errno.EADDRINUSE:
        return f"port {port} is already in use: pick another with --port (0 picks a free one)"
    if error.errno == errno.EADDRNOTAVAIL:
        return f"{host} is not an address of this machine: pick another --host"
    if error.errno in (errno.EACCES, errno.EPERM):
        return f"port {port} needs special rights here: pick one above 1023 with --port"
    reason = error.strerror or str(error)
    return f"cannot listen on {host}:{port} ({reason}): pick another --port or --host"


def redis_error(url: str, error: Exception) -> str:
    """The one line for a ``--redis`` URL that cannot be used: what failed and what to do."""
    return (
        f"cannot use Redis at {url} ({error}): start Redis, or give its URL as "
        "--redis redis://HOST:PORT"
    )


def redis_refusal(url: str) -> str | None:
    """``redis_error`` for ``url`` when nothing there answers PING in 2 s; None when it does."""
    try:
        with redis.Redis.from_url(url, socket_connect_timeout=2, socket_timeout=2) as client:
            client.ping()
    except (redis.RedisError, ValueError) as error:
        return redis_error(url, error)
    return None
