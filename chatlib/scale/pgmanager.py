"""A PostgreSQL adapter for python-socketio: nodes share their clients over LISTEN/NOTIFY.

socket.io has ``@socket.io/postgres-adapter``; python-socketio has no such
manager, but any pub/sub system becomes one by subclassing
``AsyncPubSubManager`` and writing two methods: ``_publish`` (send one
message to every node) and ``_listen`` (yield the messages other nodes
sent). Here ``_publish`` is ``SELECT pg_notify(channel, payload)`` and
``_listen`` is asyncpg's ``add_listener`` on a connection of its own.

NOTIFY refuses payloads of 8000 bytes or more. A larger message is cut into
numbered chunks sent in one transaction (PostgreSQL delivers a transaction's
notifications together and in order) and put back together by each
listener, so no message is dropped for its size. Above ``MAX_MESSAGE_BYTES``
``_publish`` raises ``MessageTooLarge``: the emit fails loudly (the emitting
node's own clients already have it; python-socketio delivers locally first).
"""

from __future__ import annotations

import asyncio
import uuid
from typing import Any

from socketio.async_pubsub_manager import AsyncPubSubManager

try:
    import asyncpg
except ImportError as error:  # an extra: only this adapter needs the driver
    raise ImportError(
        "the PostgreSQL adapter needs asyncpg: pip install 'chatlib[postgres]' "
        "(or pip install asyncpg)"
    ) from error

NOTIFY_LIMIT = 8000  # bytes; PostgreSQL's limit on one payload (exclusive)
CHUNK_CHARS = 7800  # of ASCII text, leaving room for the chunk header
MAX_MESSAGE_BYTES = 16 * 1024 * 1024


class MessageTooLarge(ValueError):
    """A message is larger than this adapter will carry."""


class AsyncPostgresManager(AsyncPubSubManager):
    """Share clients between nodes through PostgreSQL: ``client_manager=AsyncPostgresManager(url)``.

    ``url`` is an asyncpg DSN (``postgresql://user@host/db``); every node uses
    the same ``channel``. ``write_only=True`` makes an emitter, as with Redis.
    """

    name = "asyncpg"

    def __init__(
        self,
        url: str = "postgresql://127.0.0.1/postgres",
        channel: str = "socketio",
        write_only: bool = False,
        logger: Any = None,
        json: Any = None,
    ) -> None:
        super().__init__(channel=channel, write_only=write_only, logger=logger, json=json)
        self.url = url
        self._publisher: asyncpg.Connection | None = None
        self._listener: asyncpg.Connection | None = None
        self._inbox: asyncio.Queue[str | Exception] = asyncio.Queue()
        self._listening = asyncio.Event()
        self._partial: dict[str, dict[int, str]] = {}

    async def ready(self) -> None:
        """Return once this node is listening (a message sent before that would miss it)."""
        await self._listening.wait()

    async def aclose(self) -> None:
        """Close both connections (the listening task should be cancelled first)."""
        for connection in (self._publisher, self._listener):
            if connection is not None and not connection.is_closed():
                await connection.close(timeout=5)
        self._publisher = self._listener = None
        self._listening.clear()

    # --- sending -------------------------------------------------------------
    async def _publish(self, data: Any) -> None:
        payload = self.json.dumps(data)
        chunks = split_payload(payload)
        if self._publisher is None or self._publisher.is_closed():
            self._publisher = await asyncpg.connect(self.url)
        async with self._publisher.transaction():
            for chunk in chunks:
                await self._publisher.execute("SELECT pg_notify($1, $2)", self.channel, chunk)

    # --- receiving -----------------------------------------------------------
    async def _listen(self):
        retry = 0.5
        while True:
            try:
                await self._subscribe()
                retry = 0.5
                while True:
                    item = await self._inbox.get()
                    if isinstance(item, Exception):
                        raise item
                    message = self._reassemble(item)
                    if message is not None:
                        yield message
            except (OSError, asyncpg.PostgresError, ConnectionError) as error:
                self._listening.clear()
                self._get_logger().error(
                    f"Cannot receive from PostgreSQL... retrying in {retry} secs ({error})"
                )
                await asyncio.sleep(retry)
                retry = min(retry * 2, 30)

    async def _subscribe(self) -> None:
        if self._listener is not None and not self._listener.is_closed():
            await self._listener.close(timeout=5)
        self._listener = await asyncpg.connect(self.url)
        self._listener.add_termination_listener(self._on_lost)
        await self._listener.add_listener(self.channel, self._on_notify)
        self._listening.set()

    def _on_notify(self, _connection: Any, _pid: int, _channel: str, payload: str) -> None:
        self._inbox.put_nowait(payload)

    def _on_lost(self, _connection: Any) -> None:
        self._inbox.put_nowait(ConnectionError("the listening connection to PostgreSQL closed"))

    def _reassemble(self, notification: str) -> str | None:
        """The whole message once its last chunk has arrived; None before that."""
        message_id, index, count, piece = notification.split(":", 3)
        if count == "1":
            return piece
        parts = self._partial.setdefault(message_id, {})
        parts[int(index)] = piece
        if len(parts) < int(count):
            return None
        del self._partial[message_id]
        return "".join(parts[i] for i in range(int(count)))


def split_payload(payload: str) -> list[str]:
    """Cut ``payload`` into notifications ``id:index:count:piece``, each under NOTIFY's limit."""
    size = len(payload.encode())
    if size > MAX_MESSAGE_BYTES:
        raise MessageTooLarge(
            f"a Socket.IO message of {size} bytes is over this adapter's limit of "
            f"{MAX_MESSAGE_BYTES} bytes; send a link to the data instead"
        )
    step = CHUNK_CHARS if payload.isascii() else CHUNK_CHARS // 4  # UTF-8: ≤ 4 bytes a char
    pieces = [payload[i : i + step] for i in range(0, len(payload), step)] or [""]
    message_id = uuid.uuid4().hex[:16]
    return [f"{message_id}:{i}:{len(pieces)}:{piece}" for i, piece in enumerate(pieces)]
