"""Engine.IO's heartbeat on the command line: ``--ping-interval`` and ``--ping-timeout``.

The server pings each client every ``ping_interval`` seconds and drops one that
has not answered within ``ping_timeout``. The defaults (25 s and 20 s, as in
socket.io) suit real use; a test or a demonstration of a dropped client wants
them short, and so does anyone watching the pings go by.
"""

from __future__ import annotations

import argparse
from typing import TypedDict


def seconds(text: str) -> int:
    """An option's type: a whole number of seconds, at least 1."""
    try:
        value = int(text)
    except ValueError:
        value = 0
    if value < 1:
        raise argparse.ArgumentTypeError(f"{text} is not a number of seconds: give 1 or more")
    return value


def add_ping_options(command: argparse.ArgumentParser) -> None:
    """Engine.IO's heartbeat, as Node's ``pingInterval``/``pingTimeout`` (in seconds here)."""
    command.add_argument(
        "--ping-interval",
        type=seconds,
        metavar="SECONDS",
        help="how often the server pings each client (default 25, as socket.io)",
    )
    command.add_argument(
        "--ping-timeout",
        type=seconds,
        metavar="SECONDS",
        help="how long a client may take to answer a ping before it is dropped (default 20)",
    )


class PingOptions(TypedDict, total=False):
    """The ping settings given, as ``AsyncServer`` keyword arguments (absent: its default)."""

    ping_interval: int
    ping_timeout: int


def ping_options(args: argparse.Namespace) -> PingOptions:
    """The ping settings given on the command line, as ``AsyncServer`` keyword arguments."""
    options = PingOptions()
    if args.ping_interval is not None:
        options["ping_interval"] = args.ping_interval
    if args.ping_timeout is not None:
        options["ping_timeout"] = args.ping_timeout
    return options
