"""The chat server of the tutorial's steps 7 and 8: nothing is lost, nothing is shown twice.

python-socketio has no connection state recovery (the JavaScript server's
``connectionStateRecovery`` option): a client that was offline simply misses
what was broadcast meanwhile. This server does what the tutorial builds next:

- **server delivery**: each chat message is stored (``chatlib.durable.store``) and
  broadcast with its id, the server offset. A (re)connecting client sends the
  last offset it saw in ``auth``; the server replays everything after it.
- **client delivery**: a message carries the sender's client offset; a retry
  of a message already stored is acknowledged again but not stored or
  broadcast again.

A message the store cannot keep (a full disk, a database file deleted or
replaced mid-run) is never acknowledged ``ok``: its acknowledgement says why,
with ``retry: True`` so the client sends it again later, and the log says it
once per problem (an ``error`` line, which ``serve`` prints on its console).

Order is kept by one lock: storing + broadcasting a message, and replaying
to a client that just connected, never interleave. A connecting client joins
the ``live`` room (which broadcasts go to) only once its replay is queued, so
a message is never sent to it both live and replayed, nor out of order.

``DurableChatServer`` owns the store and an ``EmbeddedServer``, and can be
stopped, crashed and restarted on the same port and database file while
clients keep reconnecting. Its log survives restarts, so its pane does too.
"""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any, Self

from ..chat import check_message
from ..clients import ChatClient
from ..log import ServerLog
from ..observed import HandlerError, ObservedServer
from ..server import EmbeddedServer
from .store import MessageStore, StoreUnavailable, read_offset

LIVE_ROOM = "live"
MAX_CLIENT_OFFSET_LENGTH = 100
NAME_GRACE = 60.0
"""Seconds a sid's name is kept after its disconnect: its last messages may still be queued."""


def check_client_offset(value: object) -> str | None:
    """The sender's client offset: None (no de-duplication) or a short non-empty string."""
    if value is None:
        return None
    if not isinstance(value, str) or not value or len(value) > MAX_CLIENT_OFFSET_LENGTH:
        raise ValueError(
            f"a client offset must be a non-empty string of at most {MAX_CLIENT_OFFSET_LENGTH} "
            f"characters, not {type(value).__name__} {str(value)[:20]!r}"
        )
    return value


class DurableChat:
    """The handlers of steps 7–8 on one ``ObservedServer``, writing to one store."""

    def __init__(self, sio: ObservedServer, store: MessageStore, ack_delay: float = 0.0) -> None:
        self.sio = sio
        self.store = store
        self.ack_delay = ack_delay
        self.duplicates = 0
        self.closed = False
        self.unavailable: str | None = None
        """Why the store refused the last message; None while it stores them."""
        self._lock = asyncio.Lock()
        self._senders: dict[str, str] = {}
        sio.on("connect", self.connect)
        sio.on("disconnect", self.disconnect)
        sio.on("chat message", self.chat_message)

    async def connect(self, sid: str, environ: dict[str, Any], auth: Any) -> None:
        """Replay what the client missed, in order, then let it hear live messages."""
        self._senders[sid] = self.sio.name_of(sid)
        raw = auth.get("serverOffset") if isinstance(auth, dict) else None
        offset = read_offset(raw if raw is not None else 0)
        if offset is None:
            self.sio.log.add(
                "server",
                f"{self.sio.name_of(sid)} sent serverOffset {str(raw)[:20]!r}, which is not a "
                "message id: sending the whole history",
            )
        async with self._lock:
            if self.closed:
                return
            if offset and offset > await self.store.last_id():
                self.sio.log.add(
                    "server",
                    f"{self.sio.name_of(sid)}'s serverOffset {offset} is newer than any stored "
                    "message (another database?): sending the whole history",
                )
                offset = 0
            missed = await self.store.since(offset or 0)
            for message in missed:
                await self.sio.emit("chat message", (message.content, message.id), to=sid)
            await self.sio.enter_room(sid, LIVE_ROOM)

    async def disconnect(self, sid: str, reason: str) -> None:
        # A message handler may still be waiting for the lock: keep the name a while.
        asyncio.get_running_loop().call_later(NAME_GRACE, self._senders.pop, sid, None)

    async def chat_message(
        self, sid: str, message: object = None, client_offset: object = None, *_more: object
    ) -> dict[str, Any] | None:
        """Store, broadcast, acknowledge; acknowledge a retry without storing it twice."""
        try:
            text = check_message(message)
            offset = check_client_offset(client_offset)
        except ValueError as error:
            return {"ok": False, "error": str(error)}
        async with self._lock:
            if self.closed:  # the server died while this message waited: no answer
                return None
            try:
                saved = await self.store.add(text, self.sender(sid), offset)
            except StoreUnavailable as error:
                self._refusing(str(error))
                return {"ok": False, "error": f"not stored: {error}", "retry": error.retry}
            self._storing()
            if not saved.duplicate:
                await self.sio.emit("chat message", (text, saved.id), to=LIVE_ROOM)
        if saved.duplicate:
            self.duplicates += 1
            self.sio.log.add(
                "server",
                f"{self.sender(sid)} sent message #{saved.id} again: "
                "acknowledged, not stored or broadcast twice",
            )
            return {"ok": True, "offset": saved.id, "duplicate": True}
        if self.ack_delay:
            await asyncio.sleep(self.ack_delay)  # the fault: stored and sent, acknowledged late
        return {"ok": True, "offset": saved.id}

    def _refusing(self, reason: str) -> None:
        """Log a store problem once, not once per message that meets it."""
        if reason != self.unavailable:
            self.unavailable = reason
            self.sio.log.add("error", f"chat messages are not being stored: {reason}")

    def _storing(self) -> None:
        if self.unavailable is not None:
            self.unavailable = None
            self.sio.log.add("server", "chat messages are stored again")

    def sender(self, sid: str) -> str:
        return self._senders.get(sid) or self.sio.name_of(sid)

    async def close(self) -> None:
        """Stop storing (waiting for a message being stored), then close the store."""
        async with self._lock:
            self.closed = True
            await self.store.close()


class DurableChatServer:
    """A chat server with a SQLite file behind it, which can crash and come back.

    ``stop()`` is a polite shutdown; ``crash()`` cuts every connection as a
    killed process would; ``restart()`` crashes and starts a new server (new
    ``AsyncServer``, new database connection) on the same port and file.
    Clients with ``reconnection=True`` find it again by themselves.
    """

    def __init__(
        self,
        name: str = "chat",
        db: str | Path = "chat.db",
        *,
        host: str = "127.0.0.1",
        port: int = 0,
        chat_page: bool = True,
        ack_delay: float = 0.0,
        **server_options: Any,
    ) -> None:
        self.name = name
        self.db = Path(db)
        self.host = host
        self.port = port
        self.chat_page = chat_page
        self.server_options = server_options
        self.log = ServerLog()
        self.server: EmbeddedServer | None = None
        self.chat: DurableChat | None = None
        self.starts = 0
        self._ack_delay = ack_delay
        self._duplicates_before = 0
        self._past: list[ObservedServer] = []  # keeps every run's handler errors reachable

    def __repr__(self) -> str:
        return f"<DurableChatServer {self.name!r} {'running' if self.running else 'stopped'}>"

    async def start(self) -> Self:
        if self.running:
            return self
        server = EmbeddedServer(
            self.name,
            host=self.host,
            port=self.port,
            chat_page=self.chat_page,
            **self.server_options,
        )
        store = await MessageStore.open(self.db)
        server.sio.log = self.log
        self.chat = DurableChat(server.sio, store, self._ack_delay)
        try:
            await server.start()
        except BaseException:
            await self.chat.close()  # aiosqlite's thread would keep the process alive
            raise
        self.server, self.port = server, server.port
        self._past.append(server.sio)
        self.starts += 1
        return self

    async def stop(self, *, crash: bool = False) -> None:
        if self.server is None or self.chat is None:
            return
        server, chat = self.server, self.chat
        self.server = None
        self._duplicates_before += chat.duplicates
        await server.stop(crash=crash)
        await chat.close()

    async def crash(self) -> None:
        """Cut every connection and close the database, as if the process had been killed."""
        await self.stop(crash=True)

    async def restart(self) -> Self:
        """Crash, then start again on the same port and database file."""
        await self.crash()
        return await self.start()

    async def __aenter__(self) -> Self:
        return await self.start()

    async def __aexit__(self, *exc_info: object) -> None:
        await self.stop()

    # --- what a lesson reads ----------------------------------------------
    @property
    def running(self) -> bool:
        return self.server is not None and self.server.running

    def _started(self) -> EmbeddedServer:
        """The server of this run; read before ``start()``, a clear error says what to do."""
        if self.server is None:
            raise RuntimeError(f"server {self.name!r} is not running: await its start() first")
        return self.server

    @property
    def url(self) -> str:
        return self._started().url

    @property
    def sio(self) -> ObservedServer:
        """The running server's ``AsyncServer`` (what ``settle()`` waits on)."""
        return self._started().sio

    @property
    def store(self) -> MessageStore:
        if self.chat is None:
            raise RuntimeError(f"server {self.name!r} has never started")
        return self.chat.store

    @property
    def ack_delay(self) -> float:
        """Seconds the server waits before acknowledging a new message (0: at once)."""
        return self._ack_delay

    @ack_delay.setter
    def ack_delay(self, seconds: float) -> None:
        self._ack_delay = seconds
        if self.chat is not None:
            self.chat.ack_delay = seconds

    @property
    def duplicates(self) -> int:
        """Retries recognised by their client offset, across restarts."""
        return self._duplicates_before + (self.chat.duplicates if self.chat else 0)

    @property
    def errors(self) -> list[HandlerError]:
        return [error for sio in self._past for error in sio.errors]

    def rooms_of(self, client: ChatClient) -> list[str]:
        return self.server.rooms_of(client) if self.running and self.server else []
