"""``python -m chatlib serve``: the tutorial's chat server outside a notebook."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import ipaddress
from pathlib import Path
from typing import Any

from .chat import add_chat_handlers
from .classroom import session as classroom
from .durable.server import DurableChatServer
from .heartbeat import add_ping_options, ping_options
from .observed import ObservedServer
from .rooms import check_room_name
from .server import EmbeddedServer
from .topics import add_topic_handlers


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
    if db is not None:
        server = DurableChatServer("chat", db, host=host, port=port, **server_options)
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
    kept = f", messages kept in {db}" if db is not None else ""
    print(f"chat server running at {server.url}/{kept} (Ctrl+C to stop)", flush=True)
    try:
        await asyncio.Event().wait()
    finally:
        await server.stop()


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m chatlib")
    commands = parser.add_subparsers(dest="command", required=True)
    run = commands.add_parser("serve", help="run the chat server and its page")
    run.add_argument("--host", default="127.0.0.1", help="loopback only (default 127.0.0.1)")
    run.add_argument("--port", type=int, default=8000, help="0 picks a free port")
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
    if not ipaddress.ip_address(args.host).is_loopback:
        parser.error(f"{args.host} is not a loopback address: the chat server binds loopback only")
    topics = [topic.strip() for topic in args.topics.split(",")] if args.topics else None
    if topics and args.db is not None:
        parser.error("--topics and --db cannot be combined: the durable chat has no rooms")
    try:
        topics = [check_room_name(topic) for topic in topics or []] or None
    except ValueError as error:
        parser.error(f"--topics: {error}")
    options = ping_options(args)
    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(
            serve(args.host, args.port, args.db, args.redis, args.channel, topics, **options)
        )


if __name__ == "__main__":
    main()
