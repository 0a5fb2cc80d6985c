"""The chat's memory: every message in a SQLite file, in order, each stored once.

The store is what turns Socket.IO's "at most once" into something a chat can
rely on (the tutorial's steps 7 and 8):

- ``id`` is an increasing integer. It is the *server offset*: a client that
  remembers the last id it has seen can ask for everything after it.
- ``client_offset`` is chosen by the sender and is ``UNIQUE``. A client that
  did not get an acknowledgement sends the same message again with the same
  client offset; the second insert fails and the message stays stored once.

Every call goes through ``aiosqlite``, which runs ``sqlite3`` in a thread of
its own: a slow disk never blocks the event loop, and with it the server and
every client living in the same kernel.
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass
from pathlib import Path
from typing import Self

import aiosqlite

SCHEMA = """
CREATE TABLE IF NOT EXISTS messages (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    client_offset TEXT UNIQUE,
    sender TEXT NOT NULL,
    content TEXT NOT NULL
)
"""


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
            # WAL + NORMAL: a commit is one append to the log, not two fsyncs;
            # a committed message still survives a crash of the process.
            await db.execute("PRAGMA journal_mode=WAL")
            await db.execute("PRAGMA synchronous=NORMAL")
            await db.execute(SCHEMA)
            await db.commit()
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
        try:
            cursor = await self.db.execute(
                "INSERT INTO messages (client_offset, sender, content) VALUES (?, ?, ?)",
                (client_offset, sender, content),
            )
            await self.db.commit()
        except sqlite3.IntegrityError:
            await self.db.rollback()
            rows = await self.db.execute_fetchall(
                "SELECT id FROM messages WHERE client_offset = ?", (client_offset,)
            )
            return Saved(next(iter(rows))[0], duplicate=True)
        assert cursor.lastrowid is not None
        return Saved(cursor.lastrowid, duplicate=False)

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


def read_offset(value: object) -> int | None:
    """``value`` as a server offset (an integer ≥ 0), or None when it is not one.

    Offsets come from clients, so anything may arrive: a string, a float, a
    negative number, ``True``. The caller decides what a bad one means.
    """
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        return None
    return value
