"""A student's side of classroom mode: one call joins the class from a notebook.

``me = await join_class(link, name="ada")`` takes the join link the
instructor shared (its token is read from it) or a bare URL plus ``token=``,
connects a ``ChatClient`` and returns its pane. Refusals (wrong token, name
taken, too many messages) come back as plain sentences, never as a stack of
Socket.IO internals.
"""

from __future__ import annotations

import asyncio
import secrets
from typing import Any
from urllib.parse import parse_qs, urlsplit

from socketio import exceptions

from ..clients import ChatClient
from ..widgets import ClientPane

_seats: dict[tuple[str, str], str] = {}
"""One seat key per (server, name) in this kernel: re-running the join cell takes the seat back."""


class JoinRefused(ConnectionError):
    """The classroom server said no; the message says why and what to do."""


class ClassroomPane(ClientPane):
    """A student's pane: the class's messages, a Send box, and ``say()`` for code."""

    def __repr__(self) -> str:
        return f"ClassroomPane({self.client.name})"

    async def say(self, text: str, room: str | None = None, timeout: float = 5) -> None:
        """Send a chat message; raise ``ValueError`` with the server's reason if refused."""
        data = text if room is None else (text, room)
        answer = await self.client.call("chat message", data, timeout=timeout)
        if not (isinstance(answer, dict) and answer.get("ok")):
            error = answer.get("error") if isinstance(answer, dict) else repr(answer)
            raise ValueError(f"the server refused the message: {error}")

    async def join_room(self, room: str, timeout: float = 5) -> None:
        answer = await self.client.call("join room", room, timeout=timeout)
        if not (isinstance(answer, dict) and answer.get("ok")):
            raise ValueError(f"the server refused: {answer.get('error')}")

    def chat_lines(self) -> list[str]:
        """The chat as ``name: text`` lines, oldest first."""
        lines = []
        for data in self.client.received("chat message"):
            name, text, *room = data if isinstance(data, tuple) else ("?", data)
            lines.append(f"[{room[0]}] {name}: {text}" if room else f"{name}: {text}")
        return lines


def split_join_link(link: str, token: str | None = None) -> tuple[str, str | None]:
    """``http://host:port/?token=abc`` -> (``http://host:port``, ``abc``); ``token`` wins."""
    parts = urlsplit(link.strip())
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise ValueError(f"{link!r} is not a join link: it should start with http://")
    in_link = parse_qs(parts.query).get("token", [None])[0]
    return f"{parts.scheme}://{parts.netloc}", token or in_link


async def join_class(
    link: str, name: str, token: str | None = None, *, timeout: float = 5, **client_options: Any
) -> ClassroomPane:
    """Connect to the class as ``name`` and return the pane (display it as the cell's result).

    ``link`` is the join link or the server's URL; ``token`` is needed when
    the link has none and the server asks for one.
    """
    url, token = split_join_link(link, token)
    seat = _seats.setdefault((url, name), secrets.token_urlsafe(16))
    client = ChatClient(name, **client_options)
    auth = {"seat": seat, **({"token": token} if token else {})}
    try:
        await asyncio.wait_for(client.connect(url, auth=auth, wait_timeout=timeout), timeout + 1)
    except (exceptions.ConnectionError, TimeoutError) as error:
        reasons = [e.get("message") for e in client.connect_errors if isinstance(e, dict)]
        if reasons and reasons[-1]:
            raise JoinRefused(f"{url} refused {name!r}: {reasons[-1]}") from None
        raise JoinRefused(
            f"cannot reach {url}: check the address, and that the instructor's server is "
            f"running and its port is open on this network ({error})"
        ) from None
    return ClassroomPane(client)
