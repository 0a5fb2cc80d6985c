"""The live room board, and room buttons under each client pane.

``RoomBoard`` shows, for each namespace, who is connected and who is in which
room, redrawn whenever the server's log says something changed (a connect, a
join, a leave, a disconnect). It reads the server's room table rather than
replaying the log, so it can never drift from what the server would deliver.

``TopicPicker`` is a row of buttons, one per topic room: a click asks the
server to ``join`` or ``leave`` (see ``chatlib.rooms.add_room_handlers``),
exactly as a page would. ``RoomStage`` puts panes, pickers, the board and the
server log together. Like the other panes, these are views: their text form
(``str(board)``, ``board.lines()``) is what cells print and tests check.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from html import escape

import ipywidgets as widgets

from .clients import ChatClient
from .rooms import connected_names, room_members
from .server import EmbeddedServer
from .theme import BORDER, error_html
from .widgets import (
    Stage,
    _Redraw,
    side_layout,
    start_from_click,
)

_TABLE_STYLE = "font-family:monospace;font-size:12px;border-collapse:collapse"
_CELL = f"padding:2px 8px;border-bottom:1px solid {BORDER};text-align:left"
EVERYONE = "(connected)"
"""The board's first row per namespace: every socket connected to it."""


class RoomBoard(widgets.VBox):
    """Who is connected to each namespace and who is in which room, kept up to date."""

    def __init__(self, server: EmbeddedServer, namespaces: Sequence[str] | None = None) -> None:
        self.server = server
        self.namespaces = list(namespaces) if namespaces else None
        self.title = widgets.HTML(f"<b>rooms on server {escape(server.name)}</b>")
        self.body = widgets.HTML()
        super().__init__([self.title, self.body], layout=side_layout())
        self._redraw = _Redraw(self.refresh)
        server.log.subscribe(self._log_changed)
        self.refresh()

    def __repr__(self) -> str:
        return f"RoomBoard(server {self.server.name!r})"

    def __str__(self) -> str:
        return "\n".join(self.lines()) or "nobody is connected"

    def _log_changed(self, entry: object) -> None:
        if getattr(entry, "kind", None) in ("connect", "disconnect", "room", "server"):
            self._redraw.request()

    def snapshot(self) -> dict[str, dict[str, list[str]]]:
        """``{namespace: {"(connected)": names, room: names, ...}}``, all sorted."""
        if not self.server.running:
            return {}
        sio = self.server.sio
        namespaces = self.namespaces or sorted(sio.manager.get_namespaces())
        return {
            ns: {EVERYONE: connected_names(sio, ns), **room_members(sio, ns)} for ns in namespaces
        }

    def lines(self) -> list[str]:
        """One line per room: ``"/  music: alice, bob"``; namespaces in order, then rooms."""
        rows = []
        for ns, rooms in self.snapshot().items():
            for room, names in rooms.items():
                rows.append(f"{ns}  {room}: {', '.join(names) or 'nobody'}")
        return rows

    def refresh(self) -> None:
        snapshot = self.snapshot()
        if not snapshot:
            self.body.value = "<i>nobody is connected</i>"
            return
        head = f'<tr><th style="{_CELL}">namespace</th><th style="{_CELL}">room</th>'
        head += f'<th style="{_CELL}">members</th></tr>'
        rows = []
        for ns, rooms in snapshot.items():
            for room, names in rooms.items():
                label = f"<i>{escape(room)}</i>" if room == EVERYONE else f"<b>{escape(room)}</b>"
                members = escape(", ".join(names)) or "<i>nobody</i>"
                rows.append(
                    f'<tr><td style="{_CELL}">{escape(ns)}</td><td style="{_CELL}">{label}</td>'
                    f'<td style="{_CELL}">{members}</td></tr>'
                )
        self.body.value = f'<table style="{_TABLE_STYLE}">{head}{"".join(rows)}</table>'


class TopicPicker(widgets.VBox):
    """One button per topic room; a click joins or leaves it through the client's own socket."""

    def __init__(self, client: ChatClient, server: EmbeddedServer, topics: Sequence[str]) -> None:
        self.client = client
        self.server = server
        self.topics = list(topics)
        self.buttons = {topic: widgets.Button(description=topic) for topic in self.topics}
        for topic, button in self.buttons.items():
            button.layout = widgets.Layout(width="auto")
            button.on_click(lambda _b, topic=topic: self._clicked(topic))
        self.status = widgets.HTML()
        self.pending: set[asyncio.Task[None]] = set()
        self._ask_timeout = 5.0
        super().__init__([widgets.HBox(list(self.buttons.values())), self.status])
        self._redraw = _Redraw(self.refresh)
        server.log.subscribe(lambda _entry: self._redraw.request())
        self.refresh()

    def __repr__(self) -> str:
        return f"TopicPicker({self.client.name}; {', '.join(self.topics)})"

    def joined(self) -> list[str]:
        """The topics this client is in, as the server sees it."""
        if not self.server.running or not self.client.connected:
            return []
        return [t for t in self.topics if t in self.server.rooms_of(self.client)]

    def refresh(self) -> None:
        joined = set(self.joined())
        for topic, button in self.buttons.items():
            # A check mark, not the green "success" style: white on JupyterLab's green is
            # below WCAG's 4.5:1 in the Light theme.
            button.description = f"✓ {topic}" if topic in joined else topic
            button.tooltip = f"leave {topic}" if topic in joined else f"join {topic}"

    def _clicked(self, topic: str) -> None:
        event = "leave" if topic in self.joined() else "join"
        start_from_click(self.pending, self._ask(event, topic))

    async def _ask(self, event: str, topic: str) -> None:
        try:
            answer = await self.client.call(event, topic, timeout=self._ask_timeout)
        except Exception as error:  # a click has no cell to fail in: show it here
            answer = {"ok": False, "error": f"{type(error).__name__}: {error}"}
        if isinstance(answer, dict) and answer.get("ok") is False:
            self.status.value = error_html(str(answer["error"]))
        else:
            self.status.value = ""
        self.refresh()


class RoomStage(Stage):
    """A ``Stage`` whose panes carry topic buttons, with the room board above the server log."""

    def __init__(
        self, server: EmbeddedServer, clients: Sequence[ChatClient], topics: Sequence[str] = ()
    ) -> None:
        self.topics = list(topics)
        self.pickers = [TopicPicker(client, server, self.topics) for client in clients]
        self.board = RoomBoard(server)
        super().__init__(server, clients)

    def columns(self) -> Sequence[widgets.Widget]:
        if not self.topics:
            return self.panes
        return [
            widgets.VBox([pane, picker])
            for pane, picker in zip(self.panes, self.pickers, strict=True)
        ]

    def side(self) -> widgets.Widget:
        return widgets.VBox([self.board, self.log_pane], layout=side_layout())

    def __repr__(self) -> str:
        topics = f"; topics {', '.join(self.topics)}" if self.topics else ""
        return super().__repr__()[:-1] + topics + ")"

    def refresh(self) -> None:
        super().refresh()
        for picker in self.pickers:
            picker.refresh()
        self.board.refresh()
