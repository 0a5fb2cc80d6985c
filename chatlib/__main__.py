"""``python -m chatlib serve``: the tutorial's chat server outside a notebook.

A bad invocation is answered in one line (``chatlib.cli``): options are
checked before anything starts, and what only starting can tell (a port in
use, Redis down, a file that is not a database) is caught and said the same way.
"""

from __future__ import annotations

import asyncio
import contextlib
import ipaddress
import sqlite3
import sys
from pathlib import Path
from typing import Any

from redis.exceptions import RedisError

from .chat import add_chat_handlers
from .classroom import session as classroom
from .cli import (
    OneLineParser,
    fail,
    listen_error,
    port_number,
    redis_error,
    resolve_host,
    warn_on_console,
)
from .durable.server import DurableChatServer
from .heartbeat import add_ping_options, ping_options
from .log import LogEntry
from .observed import ObservedServer
from .recovery import Recovery
from .rooms import check_room_name
from .server import EmbeddedServer
from .topics import add_topic_handlers


class CannotStart(Exception):
    """The server could not start; the text is the one line to print."""


async def serve(
    host: str,
    port: int,
    db: Path | None = None,
    redis: str | None = None,
    channel: str = "socketio",
    topics: list[str] | None = None,
    **server_options: Any,
) -> None:
    """Serve the chat page.

    With ``db`` every message is stored there and replayed to reconnecting
    clients; with ``redis`` this process is one node of several sharing one
    conversation through that Redis. With ``topics`` the page shows one button
    per topic room, and a message goes to its sender's topics.
    ``server_options`` go to python-socketio's ``AsyncServer`` (the ping settings).
    """

    def add_handlers(sio: ObservedServer) -> None:
        if topics:
            add_topic_handlers(sio, topics)
        else:
            add_chat_handlers(sio)

    server: EmbeddedServer | DurableChatServer
    try:
        if db is not None:
            server = DurableChatServer("chat", db, host=host, port=port, **server_options)
            server.log.subscribe(_print_errors)
            await server.start()
        elif redis:
            from .scale.cluster import Cluster

            server = await Cluster(redis, channel=channel).start_node(
                "chat", host=host, port=port, chat_page=True, **server_options
            )
            add_handlers(server.sio)
        else:
            server = await EmbeddedServer(
                "chat", host=host, port=port, chat_page=True, **server_options
            ).start()
            add_handlers(server.sio)
    except OSError as error:
        if isinstance(error, ConnectionError) and redis:
            raise CannotStart(redis_error(redis, error)) from None
        raise CannotStart(listen_error(host, port, error)) from None
    except sqlite3.Error as error:
        raise CannotStart(_db_error(db, error)) from None
    except (RedisError, ValueError) as error:
        if redis:
            raise CannotStart(redis_error(redis, error)) from None
        raise
    warn_on_console(server.log)
    kept = f", messages kept in {db}" if db is not None else ""
    print(f"chat server running at {server.url}/{kept} (Ctrl+C to stop)", flush=True)
    try:
        await asyncio.Event().wait()
    finally:
        await server.stop()


def _print_errors(entry: LogEntry) -> None:
    """The durable server's console: one line for each problem it meets (a full disk…)."""
    if entry.kind == "error":
        print(f"error: {entry.text}", file=sys.stderr, flush=True)


def _db_error(db: Path | None, error: sqlite3.Error) -> str:
    if "not a database" in str(error):
        return f"--db {db} is not a SQLite database ({error}): give a new or a chat file's path"
    if "readonly" in str(error):
        return f"--db {db} cannot be written ({error}): give a file you may write to"
    return f"cannot open --db {db} ({error}): give a file path in a folder you may write to"


def _check_db_path(parser: OneLineParser, db: Path) -> None:
    if db.is_dir():
        parser.error(f"--db {db} is a folder: give a file path, such as {db / 'chat.db'}")
    if not db.parent.is_dir():
        parser.error(f"--db {db}: the folder {db.parent} does not exist; create it first")


def main(argv: list[str] | None = None) -> None:
    parser = OneLineParser(prog="python -m chatlib")
    commands = parser.add_subparsers(dest="command", required=True)
    run = commands.add_parser("serve", help="run the chat server and its page")
    run.add_argument("--host", default="127.0.0.1", help="loopback only (default 127.0.0.1)")
    run.add_argument("--port", type=port_number, default=8000, help="0 picks a free port")
    run.add_argument(
        "--recovery",
        type=float,
        metavar="SECONDS",
        help="connection state recovery: a client whose connection drops gets its rooms and "
        "the messages it missed back if it returns within SECONDS (not with --db; with --redis "
        "they are kept in Redis, and it may come back through any node)",
    )
    kept = run.add_mutually_exclusive_group()
    kept.add_argument(
        "--db",
        type=Path,
        metavar="PATH",
        help="SQLite file to keep messages in; reconnecting clients get what they missed",
    )
    kept.add_argument("--redis", help="share clients with other nodes through this Redis URL")
    run.add_argument("--channel", default="socketio", help="the nodes' Redis channel")
    run.add_argument(
        "--topics",
        metavar="A,B,C",
        help="topic rooms the page offers as buttons, e.g. music,sports,art (not with --db)",
    )
    add_ping_options(run)
    classroom.add_command(commands)
    args = parser.parse_args(argv)
    if args.command == "classroom":
        return classroom.run(args)
    try:
        host = resolve_host(args.host)
    except ValueError as error:
        run.error(str(error))
    if not ipaddress.ip_address(host).is_loopback:
        run.error(
            f"--host {args.host} is not a loopback address: the chat server binds loopback "
            "only; use 127.0.0.1, or the classroom command for a room"
        )
    topics = [topic.strip() for topic in args.topics.split(",")] if args.topics else None
    if topics and args.db is not None:
        run.error("--topics and --db cannot be combined: the durable chat has no rooms")
    try:
        topics = [check_room_name(topic) for topic in topics or []] or None
    except ValueError as error:
        run.error(f"--topics: {error}")
    if topics and len(set(topics)) != len(topics):
        run.error(f"--topics {args.topics}: each topic once, e.g. music,sports,art")
    if args.db is not None:
        _check_db_path(run, args.db)
    options: dict[str, Any] = dict(ping_options(args))
    if args.recovery is not None:
        if args.db is not None:
            run.error(
                "--recovery and --db cannot be combined: the durable chat replays from its "
                "database instead"
            )
        if args.recovery <= 0:
            run.error("--recovery must be a positive number of seconds")
        options["recovery"] = Recovery(max_disconnection=args.recovery)
    try:
        with contextlib.suppress(KeyboardInterrupt):
            asyncio.run(
                serve(host, args.port, args.db, args.redis, args.channel, topics, **options)
            )
    except CannotStart as error:
        fail("serve", str(error))


if __name__ == "__main__":
    main()
