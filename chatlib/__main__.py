"""``python -m chatlib serve``: the tutorial's chat server outside a notebook."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import ipaddress
from collections.abc import Coroutine
from pathlib import Path
from typing import Any

from .chat import add_chat_handlers
from .durable import DurableChatServer
from .server import EmbeddedServer


async def serve(host: str, port: int, db: Path | None = None) -> None:
    """Serve the chat page; with ``db``, every message is stored there and replayed."""
    server: EmbeddedServer | DurableChatServer
    if db is None:
        server = EmbeddedServer("chat", host=host, port=port, chat_page=True)
        add_chat_handlers(server.sio)
    else:
        server = DurableChatServer("chat", db, host=host, port=port)
    await server.start()
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
    run.add_argument(
        "--db",
        type=Path,
        metavar="PATH",
        help="SQLite file to keep messages in; reconnecting clients get what they missed",
    )
    args = parser.parse_args(argv)
    if not ipaddress.ip_address(args.host).is_loopback:
        parser.error(f"{args.host} is not a loopback address: the chat server binds loopback only")
    with contextlib.suppress(KeyboardInterrupt):
        run_loop(serve(args.host, args.port, args.db))


def run_loop(main: Coroutine[Any, Any, None]) -> None:
    """Run on uvloop when it is installed (the ``serve`` extra): ~1.6× the broadcasts per
    second of asyncio's own loop (benchmarks/README.md). A notebook's kernel keeps its loop."""
    try:
        import uvloop
    except ImportError:
        asyncio.run(main)
    else:
        uvloop.run(main)


if __name__ == "__main__":
    main()
