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
from collections import deque
from html import escape
from typing import Any
from urllib.parse import parse_qs, urlsplit

from socketio import exceptions

from ..clients import ChatClient
from ..widgets import ClientPane
from .online import ONLINE_EVENT

ONLINE_UPDATES_KEPT = 20
"""``online`` updates a student's client keeps as they came (for a lesson to print)."""

SHOWN_NAMES = 12
"""Names a pane's header lists; a bigger class shows how many more there are."""

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

    def online(self) -> list[str]:
        """Who is online, as this student was told: the last full list, then each change."""
        client = self.client
        return sorted(client.online_names) if isinstance(client, ClassroomClient) else []

    def refresh(self) -> None:
        super().refresh()
        names = self.online()
        if names:
            more = len(names) - SHOWN_NAMES
            listed = ", ".join(names[:SHOWN_NAMES]) + (f" and {more} more" if more > 0 else "")
            self.header.value += f"<br><small>online ({len(names)}): {escape(listed)}</small>"

    def chat_lines(self) -> list[str]:
        """The chat as ``name: text`` lines, oldest first."""
        lines = []
        for data in self.client.received("chat message"):
            name, text, *room = data if isinstance(data, tuple) else ("?", data)
            lines.append(f"[{room[0]}] {name}: {text}" if room else f"{name}: {text}")
        return lines


def apply_online(names: set[str], update: Any) -> set[str]:
    """The names after one ``online`` event (see ``chatlib.classroom.online``)."""
    if not isinstance(update, dict):
        return names
    if isinstance(update.get("everyone"), list):
        return {str(name) for name in update["everyone"]}
    left = {str(name) for name in update.get("left", [])}
    return (names - left) | {str(name) for name in update.get("joined", [])}


class ClassroomClient(ChatClient):
    """A ``ChatClient`` that keeps who is online beside its inbox, not in it.

    The ``online`` updates are the class's bookkeeping, not messages: in the
    inbox they would crowd the pane and every delivery table. ``online_names``
    is what they add up to; ``online_updates`` the last few, as they came.
    """

    def __init__(self, name: str, **options: Any) -> None:
        super().__init__(name, **options)
        self.online_names: set[str] = set()
        self.online_updates: deque[Any] = deque(maxlen=ONLINE_UPDATES_KEPT)

    def on_event_packet(self, namespace: str, data: list[Any]) -> bool:
        if namespace != "/" or not data or data[0] != ONLINE_EVENT:
            return super().on_event_packet(namespace, data)
        update = data[1] if len(data) > 1 else None
        self.online_updates.append(update)
        self.online_names = apply_online(self.online_names, update)
        self._notify()
        # Past ChatClient's inbox; a handler the student registers for it still runs.
        return super(ChatClient, self).on_event_packet(namespace, data)


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
    client = ClassroomClient(name, **client_options)
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
