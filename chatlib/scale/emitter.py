"""The emitter: a process with no Socket.IO server that still reaches the nodes' clients.

``python -m chatlib.scale.emitter REDIS_URL CHANNEL EVENT DATA [--to ROOM] [--namespace NS]``
``python -m chatlib.scale.emitter REDIS_URL CHANNEL --code LINES [--sids JSON]``

It creates a write-only ``AsyncRedisManager`` (it publishes, never listens)
and emits once. Every node subscribed to CHANNEL receives the message and
delivers it to its own clients in ROOM. This is what a background job, a cron
script or another web app does to talk to the chat's users.

With ``--recovery SECONDS`` (the nodes' window; ``--recovery-max N`` their
``max_packets``) the manager is a write-only
``RecoveringRedisManager``: the event is kept in the nodes' recovery stream and
carries an offset, so a client away at that moment gets it when it comes back.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import textwrap

import socketio
from socketio.async_pubsub_manager import AsyncPubSubManager

from .._engine.shared_recovery import RecoveringRedisManager
from ..recovery import Recovery


def write_only_manager(
    url: str, channel: str, recovery: Recovery | None = None
) -> AsyncPubSubManager:
    """The emitter's manager: python-socketio's, or one that writes the recovery stream too."""
    if recovery is None:
        return socketio.AsyncRedisManager(url, channel=channel, write_only=True)
    return RecoveringRedisManager(url, channel, recovery, write_only=True)


async def close_manager(manager: AsyncPubSubManager) -> None:
    redis = getattr(manager, "redis", None)
    if redis is not None:
        await redis.aclose()
    if isinstance(manager, RecoveringRedisManager):
        await manager.aclose()


async def emit_once(
    url: str, channel: str, event: str, data: str, to: str | None, namespace: str
) -> None:
    manager = socketio.AsyncRedisManager(url, channel=channel, write_only=True)
    try:
        await manager.emit(event, data, room=to, namespace=namespace)
    finally:
        if manager.redis is not None:
            await manager.redis.aclose()


async def emit_once_kept(
    url: str,
    channel: str,
    event: str,
    data: str,
    to: str | None,
    namespace: str,
    recovery: Recovery,
) -> None:
    """``emit_once`` for nodes that recover connections: the event is kept in their stream."""
    manager = write_only_manager(url, channel, recovery)
    try:
        await manager.emit(event, data, room=to, namespace=namespace)
    finally:
        await close_manager(manager)


async def run_lines(
    url: str, channel: str, code: str, sids: dict[str, str], recovery: Recovery | None = None
) -> str:
    """Run ``code`` with a write-only manager named ``emitter`` in scope; say how it ended.

    This is how a lesson shows each line of socket.io's emitter cheatsheet done
    the Python way, from a process that has no server: ``code`` is the body of
    an async function that sees ``emitter`` and ``sids`` (names to socket ids,
    which a real job would read from a shared store). A line python-socketio
    cannot run raises, and the error's type and message are the answer, so the
    lesson shows it instead of claiming it.
    """
    emitter = write_only_manager(url, channel, recovery)
    scope: dict[str, object] = {}
    exec("async def lines(emitter, sids):\n" + textwrap.indent(code, "    "), scope)
    try:
        await scope["lines"](emitter, sids)  # type: ignore[operator]
        return "ran"
    except Exception as error:
        return f"failed: {type(error).__name__}: {error}"
    finally:
        await close_manager(emitter)


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
    parser.add_argument(
        "--recovery",
        type=float,
        metavar="SECONDS",
        help="the nodes recover connections within SECONDS: keep the event for them too",
    )
    parser.add_argument("--recovery-max", type=int, default=10_000, metavar="N")
    args = parser.parse_args(argv)
    recovery = None
    if args.recovery is not None:
        try:
            recovery = Recovery(max_disconnection=args.recovery, max_packets=args.recovery_max)
        except ValueError as error:
            parser.error(f"--recovery: {error}")
    if args.code is not None:
        sids = json.loads(args.sids)
        print(asyncio.run(run_lines(args.url, args.channel, args.code, sids, recovery)))
        return
    if args.event is None or args.data is None:
        parser.error("give EVENT and DATA, or --code")
    if recovery is None:
        asyncio.run(
            emit_once(args.url, args.channel, args.event, args.data, args.to, args.namespace)
        )
    else:
        where = (args.url, args.channel)
        asyncio.run(
            emit_once_kept(*where, args.event, args.data, args.to, args.namespace, recovery)
        )
    print(f"emitted {args.event!r} to {args.to or 'everyone'} from a separate process")


if __name__ == "__main__":
    main()
