"""The emitter: a process with no Socket.IO server that still reaches the nodes' clients.

``python -m chatlib.scale.emitter REDIS_URL CHANNEL EVENT DATA [--to ROOM] [--namespace NS]``

It creates a write-only ``AsyncRedisManager`` (it publishes, never listens)
and emits once. Every node subscribed to CHANNEL receives the message and
delivers it to its own clients in ROOM. This is what a background job, a cron
script or another web app does to talk to the chat's users.
"""

from __future__ import annotations

import argparse
import asyncio

import socketio


async def emit_once(
    url: str, channel: str, event: str, data: str, to: str | None, namespace: str
) -> None:
    manager = socketio.AsyncRedisManager(url, channel=channel, write_only=True)
    try:
        await manager.emit(event, data, room=to, namespace=namespace)
    finally:
        if manager.redis is not None:
            await manager.redis.aclose()


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m chatlib.scale.emitter")
    parser.add_argument("url", help="the Redis the nodes use, e.g. redis://127.0.0.1:6379/0")
    parser.add_argument("channel", help="the channel the nodes subscribe to")
    parser.add_argument("event")
    parser.add_argument("data")
    parser.add_argument("--to", help="a room or a socket id (everyone when omitted)")
    parser.add_argument("--namespace", default="/")
    args = parser.parse_args(argv)
    asyncio.run(emit_once(args.url, args.channel, args.event, args.data, args.to, args.namespace))
    print(f"emitted {args.event!r} to {args.to or 'everyone'} from a separate process")


if __name__ == "__main__":
    main()
