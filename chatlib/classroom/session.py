"""Classroom mode: the instructor runs one chat server for the room.

One call in a notebook (``await start_class()``) or one command
(``python -m chatlib classroom``) starts it. It is the tutorial's chat with
what a room full of people needs: display names (unique), an access token
whenever the server is reachable from the network, per-client limits, rooms,
and a bounded record of the conversation for the presenter view.

Students join from a browser (the page at ``/``) or from a notebook with
``chatlib.classroom.student.join_class``.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import gc
from collections import deque
from dataclasses import dataclass
from typing import Any, Self

from aiohttp import web
from socketio.async_pubsub_manager import AsyncPubSubManager

from .. import chat
from .._engine.managers import close_queue, participants, room_table, start_listening
from ..cli import (
    OneLineParser,
    fail,
    listen_error,
    port_number,
    redis_refusal,
    resolve_host,
    warn_on_console,
)
from ..heartbeat import PingOptions, add_ping_options, ping_options
from ..server import EmbeddedServer
from .access import (
    TokenGate,
    choose_token,
    is_loopback,
    join_message,
    join_url,
    reachable_hosts,
)
from .budget import DELIVERIES_PER_SECOND, MessageBudget
from .guard import ClassroomServer
from .limits import Limits, check_name, check_text
from .nodes import CHANNEL, node_options
from .online import TICK as ONLINE_TICK
from .online import NameCounts, OnlineBoard

BROADCASTS_AT_ONCE = 8
"""Chat messages being sent out to the room at the same moment; the rest wait their turn."""

HISTORY = 500
"""Messages the server remembers for the presenter view; older ones are dropped."""


@dataclass(frozen=True)
class ClassMessage:
    """One chat message as the room saw it."""

    name: str
    text: str
    room: str | None = None

    def __str__(self) -> str:
        where = f"[{self.room}] " if self.room else ""
        return f"{where}{self.name}: {self.text}"


def check_room(room: object) -> str:
    """A room name is a display name's sibling: short visible text."""
    try:
        return check_name(room)
    except ValueError as error:
        raise ValueError(str(error).replace("display name", "room name")) from None


class Classroom:
    """A class's chat server: ``.server`` (an ``EmbeddedServer``), its token and its record.

    ``token`` None on loopback means nobody else can reach the server, so
    none is needed; anywhere else one is generated unless given. Giving one
    always turns checking on.

    ``budget`` is the room-wide message budget (``chatlib.classroom.budget``);
    ``names`` where who-is-online is counted: this process by default, a
    ``RedisNames`` shared by the nodes of a class spread over several servers;
    ``online_tick`` how often (seconds) the students hear who came and went.
    """

    def __init__(
        self,
        name: str = "class",
        *,
        host: str = "127.0.0.1",
        port: int = 0,
        token: str | None = None,
        limits: Limits | None = None,
        budget: MessageBudget | None = None,
        names: NameCounts | None = None,
        online_tick: float = ONLINE_TICK,
        cors_allowed_origins: str | list[str] | None = None,
        **server_options: Any,
    ) -> None:
        self.limits = limits or Limits()
        self.budget = budget or MessageBudget()
        self.token = choose_token(host, token)
        self.server = EmbeddedServer(
            name,
            host=host,
            port=port,
            server_class=ClassroomServer,
            gate=TokenGate(self.token),
            limits=self.limits,
            connections_per_address=self.limits.connections_per_address,
            cors_allowed_origins=cors_allowed_origins,
            **server_options,
        )
        self.sio: ClassroomServer = self.server.sio
        self.conversation: deque[ClassMessage] = deque(maxlen=HISTORY)
        self.board = OnlineBoard(self.sio, names, tick=online_tick)
        self.server.app.router.add_get("/", _page)
        chat.add_page_files(self.server.app)
        _add_handlers(self)

    def __repr__(self) -> str:
        state = "running" if self.server.running else "stopped"
        who = "this machine only" if is_loopback(self.server.host) else "the network"
        token = "token required" if self.token else "no token"
        return f"<Classroom {self.server.name!r} {state}: {who}, {token}>"

    @property
    def url(self) -> str:
        return self.server.url

    def join_urls(self) -> list[str]:
        """Links for students, token included, one per address they might use."""
        hosts = reachable_hosts(self.server.host)
        return [join_url(host, self.server.port, self.token) for host in hosts]

    def online(self) -> list[str]:
        return self.sio.online()

    def rooms(self) -> dict[str, list[str]]:
        """Each room of the main namespace and the sorted names in it."""
        rooms: dict[str, list[str]] = {}
        for room in list(room_table(self.sio.manager, "/")):
            if room is None or self.sio.manager.is_sid_room("/", room):
                continue
            members = self.sio.manager.get_participants("/", room)
            rooms[room] = sorted(self.sio.name_of(sid) for sid, _ in members)
        return dict(sorted(rooms.items()))

    def presenter(self, **options: Any) -> Any:
        """The projector's view of this class (see ``chatlib.classroom.presenter``)."""
        from .presenter import PresenterView

        return PresenterView(self, **options)

    async def start(self) -> Self:
        await self.server.start()
        if isinstance(self.sio.manager, AsyncPubSubManager):
            start_listening(self.sio)  # a node hears the others before its first student
        self.board.start()
        return self

    async def stop(self) -> None:
        await self.board.stop()
        await self.server.stop()
        await close_queue(self.sio.manager)

    async def __aenter__(self) -> Self:
        return await self.start()

    async def __aexit__(self, *exc_info: object) -> None:
        await self.stop()


def _add_handlers(classroom: Classroom) -> None:
    """Chat to everyone or to a room the sender is in; join and leave rooms. Acks carry errors."""
    sio, limits = classroom.sio, classroom.limits
    # Each emit to the whole room starts a task per student: hundreds of emits
    # at once would queue ~100,000 of them ahead of everything else in the loop
    # (the presenter, the instructor's cells). A few at a time keeps the loop
    # responsive; one at a time would cost throughput (every frame its own write).
    broadcasting = asyncio.Semaphore(BROADCASTS_AT_ONCE)

    @sio.on("chat message")
    async def chat_message(sid: str, *args: object) -> dict[str, Any]:
        try:
            if len(args) not in (1, 2):
                raise ValueError("send the text, and a room name if it is for one room")
            text = check_text(args[0], limits.max_chars)
            room = args[1] if len(args) == 2 else None
            if room is not None:
                room = check_room(room)
                if room not in sio.rooms(sid):
                    raise ValueError(f"join the room {room!r} before writing to it")
        except ValueError as error:
            return {"ok": False, "error": str(error)}
        refusal = classroom.budget.ask(_receivers(classroom, room))
        if refusal is not None:
            return {"ok": False, "error": refusal, "busy": True}
        name = sio.name_of(sid)
        data = (name, text) if room is None else (name, text, room)
        try:
            async with broadcasting:
                classroom.conversation.append(ClassMessage(name, text, room))
                await sio.emit("chat message", data, to=room)
        finally:
            classroom.budget.finished()
        return {"ok": True}

    @sio.on("join room")
    async def join_room(sid: str, *args: object) -> dict[str, Any]:
        try:
            room = check_room(args[0] if len(args) == 1 else None)
        except ValueError as error:
            return {"ok": False, "error": str(error)}
        await sio.enter_room(sid, room)
        return {"ok": True}

    @sio.on("leave room")
    async def leave_room(sid: str, *args: object) -> dict[str, Any]:
        room = args[0] if len(args) == 1 else None
        if not isinstance(room, str) or room not in sio.rooms(sid) or room == sid:
            return {"ok": False, "error": "you are not in that room"}
        await sio.leave_room(sid, room)
        return {"ok": True}


def _receivers(classroom: Classroom, room: str | None) -> int:
    """What a message costs: everyone in the class, or everyone in the room (this node's)."""
    if room is not None:
        return len(participants(classroom.sio.manager, "/", room))
    return max(len(classroom.sio.members), classroom.board.count)


async def _page(request: web.Request) -> web.Response:
    page = (chat.STATIC / "classroom.html").read_text()
    page = page.replace("<!-- socket.io client -->", chat.client_script_tag())
    return web.Response(text=page, content_type="text/html")


async def start_class(name: str = "class", **options: Any) -> Classroom:
    """Start the class's chat server; see ``Classroom`` for the options.

    Loopback (127.0.0.1) is the default. ``host="0.0.0.0"`` lets students on
    the network join, with a generated token (``classroom.token``).
    """
    return await Classroom(name, **options).start()


# --- python -m chatlib classroom -------------------------------------------
def add_command(commands: argparse._SubParsersAction[OneLineParser]) -> None:
    """Add ``classroom`` to ``python -m chatlib``'s commands."""
    run = commands.add_parser("classroom", help="run one chat server for a class")
    run.add_argument("--host", default="127.0.0.1", help="0.0.0.0 lets the network in (token)")
    run.add_argument("--port", type=port_number, default=8000, help="0 picks a free port")
    run.add_argument("--token", help="access token (default: generated off loopback)")
    run.add_argument(
        "--allow-origin",
        action="append",
        default=None,
        help="another page origin allowed to connect (default: the chat page's own)",
    )
    run.add_argument(
        "--budget",
        type=float,
        default=DELIVERIES_PER_SECOND,
        help="deliveries per second the whole class may cause (a message to everyone "
        "costs one per student); beyond it messages are refused, with the reason",
    )
    run.add_argument(
        "--redis",
        help="run this server as one node of a class on several servers, sharing messages "
        "and who is online through this Redis URL (every node: the same --redis and --channel)",
    )
    run.add_argument(
        "--channel", default=CHANNEL, help=f"the class's Redis channel (default {CHANNEL})"
    )
    add_ping_options(run)


async def _serve(
    args: argparse.Namespace, host: str, options: PingOptions, budget: MessageBudget
) -> str | None:
    """Run the class until Ctrl+C; the one line to print when it cannot start."""
    shared = node_options(args.redis, args.channel) if args.redis else {}
    classroom = Classroom(
        host=host,
        port=args.port,
        token=args.token,
        budget=budget,
        cors_allowed_origins=args.allow_origin,
        **options,
        **shared,
    )
    try:
        await classroom.start()
    except OSError as error:
        return listen_error(args.host, args.port, error)
    warn_on_console(classroom.server.log)
    print(join_message(classroom), flush=True)
    if args.redis:
        print(
            f"One node of the class: messages and who is online are shared through Redis "
            f"({args.redis}, channel {args.channel!r}) with every node started the same way.",
            flush=True,
        )
    leave_startup_out_of_full_collections()
    try:
        await asyncio.Event().wait()
    finally:
        await classroom.stop()
    return None


def leave_startup_out_of_full_collections() -> None:
    """Move everything alive after start-up out of the garbage collector's full scans.

    A full collection walks every container object of the process, and the
    event loop waits for it: with 1,000 students it is the longest pause the
    server has. The modules, classes and functions loaded at start-up live as
    long as the process, so walking them again and again finds nothing; frozen,
    they cost the scans nothing. Only for a process that is the class's server
    (the command): an instructor's kernel keeps its own collector's settings.
    """
    gc.collect()
    gc.freeze()


def run(args: argparse.Namespace) -> None:
    """``python -m chatlib classroom``: options checked first, each refusal in one line."""
    if args.token == "":
        fail("classroom", "--token '' would let anyone in: give a real token, or leave it out")
    try:
        host = resolve_host(args.host)
    except ValueError as error:
        fail("classroom", str(error))
    try:
        budget = MessageBudget(deliveries_per_second=args.budget)
    except ValueError:
        fail("classroom", f"--budget {args.budget:g}: give a positive number of deliveries")
    options = ping_options(args)
    if args.redis and (problem := redis_refusal(args.redis)):
        fail("classroom", problem)
    refused: str | None = None
    with contextlib.suppress(KeyboardInterrupt):
        refused = asyncio.run(_serve(args, host, options, budget))
    if refused:
        fail("classroom", refused)
