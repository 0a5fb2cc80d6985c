"""The emitter: a process with no Socket.IO server that still reaches the nodes' clients.

``python -m chatlib.scale.emitter REDIS_URL CHANNEL EVENT DATA [--to ROOM] [--namespace NS]``
``python -m chatlib.scale.emitter REDIS_URL CHANNEL --code LINES [--sids JSON]``

It creates a write-only ``AsyncRedisManager`` (it publishes, never listens)
and emits once. Every node subscribed to CHANNEL receives the message and
delivers it to its own clients in ROOM. This is what a background job, a cron
script or another web app does to talk to the chat's users.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import textwrap

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


async def run_lines(url: str, channel: str, code: str, sids: dict[str, str]) -> str:
    """Run ``code`` with a write-only manager named ``emitter`` in scope; say how it ended.

    This is how a lesson shows each line of socket.io's emitter cheatsheet done
    the Python way, from a process that has no server: ``code`` is the body of
    an async function that sees ``emitter`` and ``sids`` (names to socket ids,
    which a real job would read from a shared store). A line python-socketio
    cannot run raises, and the error's type and message are the answer, so the
    lesson shows it instead of claiming it.
    """
    emitter = socketio.AsyncRedisManager(url, channel=channel, write_only=True)
    scope: dict[str, object] = {}
    exec("async def lines(emitter, sids):\n" + textwrap.indent(code, "    "), scope)
    try:
        await scope["lines"](emitter, sids)  # type: ignore[operator]
        return "ran"
    except Exception as error:
        return f"failed: {type(error).__name__}: {error}"
    finally:
        if emitter.redis is not None:
            await emitter.redis.aclose()


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m chatlib.scale.emitter")
    parser.add_argument("url", help="the Redis the nodes use, e.g. redis://127.0.0.1:6379/0")
    parser.add_argument("channel", help="the channel the nodes subscribe to")
    parser.add_argument("event", nargs="?")
    parser.add_argument("data", nargs="?")
    parser.add_argument("--to", help="a room or a socket id (everyone when omitted)")
    parser.add_argument("--namespace", default="/")
    parser.add_argument("--code", help="lines to run with a write-only manager named `emitter`")
    parser.add_argument("--sids", default="{}", help="JSON: names to socket ids, as `sids`")
    args = parser.parse_args(argv)
    if args.code is not None:
        print(asyncio.run(run_lines(args.url, args.channel, args.code, json.loads(args.sids))))
        return
    if args.event is None or args.data is None:
        parser.error("give EVENT and DATA, or --code")
    asyncio.run(emit_once(args.url, args.channel, args.event, args.data, args.to, args.namespace))
    print(f"emitted {args.event!r} to {args.to or 'everyone'} from a separate process")


if __name__ == "__main__":
    main()
