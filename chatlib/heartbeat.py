"""Engine.IO's heartbeat on the command line: ``--ping-interval`` and ``--ping-timeout``.

The server pings each client every ``ping_interval`` seconds and drops one that
has not answered within ``ping_timeout``. The defaults (25 s and 20 s, as in
socket.io) suit real use; a test or a demonstration of a dropped client wants
them short, and so does anyone watching the pings go by.
"""

from __future__ import annotations

import argparse


def add_ping_options(command: argparse.ArgumentParser) -> None:
    """Engine.IO's heartbeat, as Node's ``pingInterval``/``pingTimeout`` (in seconds here)."""
    command.add_argument(
        "--ping-interval",
        type=int,
        metavar="SECONDS",
        help="how often the server pings each client (default 25, as socket.io)",
    )
    command.add_argument(
        "--ping-timeout",
        type=int,
        metavar="SECONDS",
        help="how long a client may take to answer a ping before it is dropped (default 20)",
    )


def ping_options(args: argparse.Namespace) -> dict[str, int]:
    """The ping settings given on the command line, as ``AsyncServer`` keyword arguments."""
    given = {"ping_interval": args.ping_interval, "ping_timeout": args.ping_timeout}
    for option, seconds in given.items():
        if seconds is not None and seconds < 1:
            raise SystemExit(f"--{option.replace('_', '-')} must be at least 1 second")
    return {option: seconds for option, seconds in given.items() if seconds is not None}
