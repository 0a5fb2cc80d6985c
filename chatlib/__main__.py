"""``python -m chatlib serve``: the tutorial's chat server outside a notebook."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import ipaddress

from . import classroom
from .chat import add_chat_handlers
from .server import EmbeddedServer


async def serve(host: str, port: int) -> None:
    server = EmbeddedServer("chat", host=host, port=port, chat_page=True)
    add_chat_handlers(server.sio)
    await server.start()
    print(f"chat server running at {server.url}/ (Ctrl+C to stop)", flush=True)
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
    classroom.add_command(commands)
    args = parser.parse_args(argv)
    if args.command == "classroom":
        return classroom.run(args)
    if not ipaddress.ip_address(args.host).is_loopback:
        parser.error(f"{args.host} is not a loopback address: the chat server binds loopback only")
    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(serve(args.host, args.port))


if __name__ == "__main__":
    main()
