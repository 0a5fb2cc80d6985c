"""The chat's memory: every message in a SQLite file, in order, each stored once.

The store is what turns Socket.IO's "at most once" into something a chat can
rely on (the tutorial's steps 7 and 8):

- ``id`` is an increasing integer. It is the *server offset*: a client that
  remembers the last id it has seen can ask for everything after it.
- ``client_offset`` is chosen by the sender and is unique *per sender*. A
  client that did not get an acknowledgement sends the same message again
  with the same client offset; the second insert fails and the message stays
  stored once. Scoping it to the sender matters: were it unique across
  everyone, a client that learnt another's offset could send it first and
  make that person's next message vanish while it is still acknowledged.

A store that cannot keep a message says so with ``StoreUnavailable`` instead
of acknowledging it: when its disk is full, and when its file was deleted or
replaced while the server ran (the open connection would otherwise go on
writing into a file that no longer has a name, lost at the next restart).

Every call goes through ``aiosqlite``, which runs ``sqlite3`` in a thread of
its own: a slow disk never blocks the event loop, and with it the server and
every client living in the same kernel.
"""

from __future__ import annotations

import contextlib
import os
import sqlite3
from dataclasses import dataclass
from pathlib import Path
from typing import Self

import aiosqlite

SCHEMA_VERSION = 2
"""``PRAGMA user_version`` of a store whose client offsets are unique per sender.

Version 0 is a file of the first schema (``client_offset TEXT UNIQUE``): its
table is rebuilt once, keeping every id, when it is opened.
"""

CREATE_MESSAGES = """
CREATE TABLE {table} (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    client_offset TEXT,
    sender TEXT NOT NULL,
    content TEXT NOT NULL,
    UNIQUE (sender, client_offset)
)
"""


class StoreUnavailable(Exception):
    """The message was not stored; the text says why and what to do.

    ``retry`` is True when sending the same message again later can succeed
    (a disk with space again, a server restarted on a new file).
    """

    retry = True


class StoreFull(StoreUnavailable):
    """SQLite answered SQLITE_FULL: the disk (or the database's page limit) is full."""


class StoreGone(StoreUnavailable):
    """The database file was deleted or replaced since the store opened it."""


@dataclass(frozen=True)
class StoredMessage:
    """One row of the store."""

    id: int
    sender: str
    content: str
    client_offset: str | None = None


@dataclass(frozen=True)
class Saved:
    """The outcome of ``add``: the message's id, and whether it was already there."""

    id: int
    duplicate: bool


class MessageStore:
    """An append-only message table in a SQLite file, used with ``await``."""

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        self._db: aiosqlite.Connection | None = None
        self._identity: tuple[int, int] | None = None

    def __repr__(self) -> str:
        state = "open" if self._db is not None else "closed"
        return f"<MessageStore {self.path.name} ({state})>"

    @classmethod
    async def open(cls, path: str | Path) -> MessageStore:
        """Open (or create) the store in the file ``path``."""
        return await cls(path).connect()

    async def connect(self) -> Self:
        if self._db is None:
            db = await aiosqlite.connect(self.path)
            try:
                # WAL + NORMAL: a commit is one append to the log, not two fsyncs;
                # a committed message still survives a crash of the process.
                await db.execute("PRAGMA journal_mode=WAL")
                await db.execute("PRAGMA synchronous=NORMAL")
                await _create_or_migrate(db)
                self._identity = _identity(os.stat(self.path))
            except BaseException:
                # aiosqlite's thread keeps the process alive until it is closed
                await db.close()
                raise
            self._db = db
        return self

    async def close(self) -> None:
        if self._db is not None:
            db, self._db = self._db, None
            await db.close()

    async def __aenter__(self) -> Self:
        return await self.connect()

    async def __aexit__(self, *exc_info: object) -> None:
        await self.close()

    @property
    def db(self) -> aiosqlite.Connection:
        if self._db is None:
            raise RuntimeError(f"the store {self.path.name} is closed")
        return self._db

    async def add(self, content: str, sender: str, client_offset: str | None = None) -> Saved:
        """Store a message; when ``client_offset`` is already known, return the first copy's id.

        A message without a client offset cannot be recognised when it is
        sent again: it is always stored (``UNIQUE`` lets any number of NULLs in).
        """
        self.check_file()
        try:
            cursor = await self.db.execute(
                "INSERT INTO messages (client_offset, sender, content) VALUES (?, ?, ?)",
                (client_offset, sender, content),
            )
            await self.db.commit()
        except sqlite3.IntegrityError:
            await self.db.rollback()
            rows = await self.db.execute_fetchall(
                "SELECT id FROM messages WHERE sender = ? AND client_offset = ?",
                (sender, client_offset),
            )
            return Saved(next(iter(rows))[0], duplicate=True)
        except sqlite3.OperationalError as error:
            with contextlib.suppress(sqlite3.Error):
                await self.db.rollback()
            if error.sqlite_errorcode == sqlite3.SQLITE_FULL:
                raise StoreFull(
                    f"the disk holding {self.path.name} is full: free some space "
                    "(messages not acknowledged are sent again)"
                ) from None
            raise
        # Checked again after the commit: a file deleted while it was written
        # took this message with it.
        self.check_file()
        assert cursor.lastrowid is not None
        return Saved(cursor.lastrowid, duplicate=False)

    def check_file(self) -> None:
        """Raise ``StoreGone`` unless ``path`` still names the file this store opened.

        SQLite keeps writing through its open file descriptor when the file is
        deleted or replaced, and reports success: only the path can tell.
        """
        try:
            now = _identity(os.stat(self.path))
        except FileNotFoundError:
            raise StoreGone(
                f"the database file {self.path} was deleted while the server ran: "
                "restart the server to start a new file"
            ) from None
        if now != self._identity:
            raise StoreGone(
                f"the database file {self.path} was replaced while the server ran: "
                "restart the server to open the new file"
            )

    async def since(self, offset: int = 0) -> list[StoredMessage]:
        """Every message with an id greater than ``offset``, oldest first."""
        rows = await self.db.execute_fetchall(
            "SELECT id, sender, content, client_offset FROM messages WHERE id > ? ORDER BY id",
            (offset,),
        )
        return [StoredMessage(*row) for row in rows]

    async def all(self) -> list[StoredMessage]:
        return await self.since(0)

    async def last_id(self) -> int:
        """The newest message's id; 0 when the store is empty."""
        rows = await self.db.execute_fetchall("SELECT COALESCE(MAX(id), 0) FROM messages")
        return int(next(iter(rows))[0])

    async def count(self) -> int:
        rows = await self.db.execute_fetchall("SELECT COUNT(*) FROM messages")
        return int(next(iter(rows))[0])


def _identity(stat: os.stat_result) -> tuple[int, int]:
    return (stat.st_dev, stat.st_ino)


async def _create_or_migrate(db: aiosqlite.Connection) -> None:
    """Create the table, or rebuild one of the first schema with per-sender client offsets.

    SQLite cannot change a column's constraint in place: the rows (ids
    included) are copied into a new table, which then takes the old one's
    name, all in one transaction, so a crash leaves either schema, never half.
    """
    version = next(iter(await db.execute_fetchall("PRAGMA user_version")))[0]
    if version >= SCHEMA_VERSION:
        return
    tables = await db.execute_fetchall(
        "SELECT name FROM sqlite_master WHERE type = 'table' AND name = 'messages'"
    )
    await db.execute("BEGIN IMMEDIATE")
    try:
        if not list(tables):
            await db.execute(CREATE_MESSAGES.format(table="messages"))
        else:
            await db.execute(CREATE_MESSAGES.format(table="messages_by_sender"))
            await db.execute(
                "INSERT INTO messages_by_sender (id, client_offset, sender, content) "
                "SELECT id, client_offset, sender, content FROM messages ORDER BY id"
            )
            await db.execute(
                "UPDATE sqlite_sequence SET seq = (SELECT MAX(seq) FROM sqlite_sequence "
                "WHERE name IN ('messages', 'messages_by_sender')) "
                "WHERE name = 'messages_by_sender'"
            )  # an id is never reused, even one above the last row
            await db.execute("DROP TABLE messages")
            await db.execute("ALTER TABLE messages_by_sender RENAME TO messages")
        await db.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")
        await db.commit()
    except BaseException:
        await db.rollback()
        raise


def read_offset(value: object) -> int | None:
    """``value`` as a server offset (an integer ≥ 0), or None when it is not one.

    Offsets come from clients, so anything may arrive: a string, a float, a
    negative number, ``True``. The caller decides what a bad one means.
    """
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        return None
    return value
