"""The inspector as a panel of ipywidgets: state, a filtered log, and action buttons.

All logic lives in ``chatlib.diagram.inspector``; this module lays it out. Redraws
are coalesced (one per ``REDRAW_INTERVAL`` however many events arrive) and
the socket table shows at most ``MAX_ROWS`` rows, so the panel stays quick
with hundreds of clients: type in the socket filter to find one.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable
from html import escape
from typing import Any

import ipywidgets as widgets

from ..theme import error_html
from ..widgets import _lines_html, _Redraw, start_from_click
from .inspector import Inspector, NodeView

MAX_ROWS = 50
_TABLE = "font-family:monospace;font-size:12px;border-collapse:collapse"


def _text(placeholder: str, width: str = "120px") -> widgets.Text:
    return widgets.Text(placeholder=placeholder, layout=widgets.Layout(width=width))


class InspectorPanel(widgets.VBox):
    """Per node: namespaces, rooms, sockets; a filterable, pausable log; actions."""

    def __init__(self, *servers: Any) -> None:
        self.inspector = Inspector(*servers)
        names = self.inspector.node_names()
        self.node = widgets.Dropdown(options=names, value=names[0], description="node")
        self.state_html = widgets.HTML()
        self.f_socket, self.f_namespace, self.f_event = (
            _text("socket"), _text("namespace"), _text("event"),
        )  # fmt: skip
        self.pause = widgets.ToggleButton(description="pause log", value=False)
        self.log_html = widgets.HTML()
        self.who, self.room = _text("socket name"), _text("room")
        self.event, self.data = _text("event"), _text("data (text)")
        buttons = ["join", "leave", "disconnect", "emit to socket", "emit to room"]
        self.buttons = {label: widgets.Button(description=label) for label in buttons}
        self.status = widgets.HTML()
        self._tasks: set[asyncio.Task[None]] = set()
        super().__init__(
            [
                self.node,
                self.state_html,
                widgets.HBox([widgets.HTML("<b>log</b> filter:"), self.f_socket,
                              self.f_namespace, self.f_event, self.pause]),
                self.log_html,
                widgets.HBox([self.who, self.room, *(self.buttons[b] for b in buttons[:3])]),
                widgets.HBox([self.event, self.data, *(self.buttons[b] for b in buttons[3:])]),
                self.status,
            ],
            layout=widgets.Layout(width="760px"),
        )  # fmt: skip
        self._redraw = _Redraw(self.refresh)
        self.inspector.subscribe(self._redraw.request)
        for control in (self.node, self.f_socket, self.f_namespace, self.f_event):
            control.observe(lambda _change: self.refresh(), names="value")
        self.pause.observe(self._pause_changed, names="value")
        for label, button in self.buttons.items():
            button.on_click(lambda _b, label=label: self._act(label))
        self.refresh()

    def __repr__(self) -> str:
        return f"InspectorPanel(nodes {', '.join(self.inspector.node_names())})"

    # --- drawing ----------------------------------------------------------------
    def refresh(self) -> None:
        (view,) = self.inspector.snapshot(self.node.value)
        self.state_html.value = self._state_html(view, self.f_socket.value.strip())
        self.log_html.value = _lines_html(self.log_lines())

    def log_lines(self) -> list[str]:
        """The log as the filters and the pause button say."""
        return self.inspector.log(
            socket=self.f_socket.value.strip() or None,
            namespace=self.f_namespace.value.strip() or None,
            event=self.f_event.value.strip() or None,
        )

    def _state_html(self, view: NodeView, only: str) -> str:
        parts = []
        for ns in view.namespaces:
            rooms = "; ".join(
                f"<b>{escape(r)}</b> ({escape(', '.join(m))})" for r, m in ns.rooms.items()
            )
            sockets = [s for s in ns.sockets if not only or only in s.name]
            rows = "".join(
                f"<tr><td>{escape(s.name)}</td><td>{s.transport}</td>"
                f"<td>{escape(', '.join(s.rooms))}</td></tr>"
                for s in sockets[:MAX_ROWS]
            )
            more = len(sockets) - MAX_ROWS
            if more > 0:
                rows += f"<tr><td colspan=3>… {more} more: filter by socket name</td></tr>"
            parts.append(
                f"<p><b>namespace {escape(ns.name)}</b>: {len(ns.sockets)} socket(s); "
                f"rooms: {rooms or 'none'}</p><table style='{_TABLE}'>"
                f"<tr><th>socket</th><th>transport</th><th>rooms</th></tr>{rows}</table>"
            )
        return "".join(parts) or "<p><em>no namespace has a socket</em></p>"

    # --- actions ------------------------------------------------------------------
    def _pause_changed(self, change: dict[str, Any]) -> None:
        self.inspector.pause() if change["new"] else self.inspector.resume()
        self.pause.description = "resume log" if change["new"] else "pause log"
        self.refresh()

    def _act(self, label: str) -> None:
        node, who, room = self.node.value, self.who.value.strip(), self.room.value.strip()
        ins, event, data = self.inspector, self.event.value.strip(), self.data.value
        actions: dict[str, Any] = {
            "join": lambda: ins.join(who, room, node=node),
            "leave": lambda: ins.leave(who, room, node=node),
            "disconnect": lambda: ins.disconnect(who, node=node),
            "emit to socket": lambda: ins.emit(event, data, socket=who, node=node),
            "emit to room": lambda: ins.emit(event, data, room=room, node=node),
        }
        start_from_click(self._tasks, self._run(label, actions[label]()))

    async def _run(self, label: str, action: Awaitable[None]) -> None:
        try:
            await action
            self.status.value = f"done: {escape(label)}"
        except Exception as error:  # shown in the panel: a click has no cell to fail in
            self.status.value = error_html(str(error))
        self.refresh()
