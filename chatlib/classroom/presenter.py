"""The presenter view: the class's chat in large type, for the projector.

It shows the last few messages, who is online and the rooms, and follows the
server live. It stays cheap however busy the room is: it redraws at most
once per ``REDRAW_INTERVAL`` (a burst of 4,000 messages costs a handful of
redraws), and each redraw renders a bounded amount (the last ``lines``
messages, at most ``max_names`` names). All text is escaped: a name or a
message that looks like HTML is shown as those characters.
"""

from __future__ import annotations

import time
from html import escape
from typing import TYPE_CHECKING

import ipywidgets as widgets

from ..theme import link_html
from ..widgets import _Redraw
from .access import join_message, proxied_join_path

if TYPE_CHECKING:
    from .session import Classroom

_CONVERSATION_STYLE = (
    "font-size:28px;line-height:1.3;font-family:system-ui,sans-serif;"
    "min-height:12em;white-space:pre-wrap;word-break:break-word"
)
_SIDE_STYLE = "font-size:20px;line-height:1.3;font-family:system-ui,sans-serif"


class PresenterView(widgets.HBox):
    """Large-font conversation on the left; online people and rooms on the right."""

    def __init__(self, classroom: Classroom, *, lines: int = 10, max_names: int = 40) -> None:
        self.classroom = classroom
        self.max_lines = lines
        self.max_names = max_names
        self.redraws = 0
        self.last_redraw_seconds = 0.0
        self.conversation = widgets.HTML(layout=widgets.Layout(flex="3"))
        self.side = widgets.HTML(layout=widgets.Layout(flex="1", margin="0 0 0 24px"))
        super().__init__([self.conversation, self.side], layout=widgets.Layout(width="100%"))
        self._redraw = _Redraw(self.refresh)
        self._listener = lambda _entry: self._redraw.request()
        classroom.server.log.subscribe(self._listener)
        self.refresh()

    def __repr__(self) -> str:
        return f"PresenterView(class {self.classroom.server.name!r})"

    def close(self) -> None:
        self.classroom.server.log.unsubscribe(self._listener)
        super().close()

    # --- what is shown, as data --------------------------------------------
    def recent(self) -> list[str]:
        conversation = self.classroom.conversation
        start = max(0, len(conversation) - self.max_lines)
        return [str(conversation[i]) for i in range(start, len(conversation))]

    def people(self) -> tuple[list[str], int]:
        """The first ``max_names`` names online and how many more there are."""
        names = self.classroom.online()
        return names[: self.max_names], max(0, len(names) - self.max_names)

    def text(self) -> str:
        """The view as plain text (what a notebook prints; the widget is the same, larger)."""
        shown, more = self.people()
        online = ", ".join(shown) + (f" and {more} more" if more else "")
        rooms = self.classroom.rooms()
        lines = [f"{len(shown) + more} online: {online or 'nobody yet'}"]
        lines += [f"room {room}: {', '.join(names)}" for room, names in rooms.items()]
        lines += ["—", *(self.recent() or ["(no messages yet)"])]
        return "\n".join(lines)

    # --- drawing -----------------------------------------------------------
    def refresh(self) -> None:
        started = time.perf_counter()
        recent = self.recent() or ["(no messages yet)"]
        self.conversation.value = (
            f'<div style="{_CONVERSATION_STYLE}">' + "\n".join(map(escape, recent)) + "</div>"
        )
        shown, more = self.people()
        names = "<br>".join(map(escape, shown)) + (f"<br>… and {more} more" if more else "")
        rooms = "".join(
            f"<li>{escape(room)} ({len(members)})</li>"
            for room, members in self.classroom.rooms().items()
        )
        self.side.value = (
            f'<div style="{_SIDE_STYLE}"><b>{len(shown) + more} online</b><br>{names}'
            f"<br><br><b>rooms</b><ul>{rooms or '<li>none</li>'}</ul></div>"
        )
        self.redraws += 1
        self.last_redraw_seconds = time.perf_counter() - started


class JoinCard(widgets.HTML):
    """The join links and the notebook call, to share with students.

    A widget so that its port and token stay out of the notebook's saved text
    output: its plain-text form names the class only.
    """

    def __init__(self, classroom: Classroom) -> None:
        self.class_name = classroom.server.name
        text = join_message(classroom, stop_hint="")
        html = f'<pre style="{_SIDE_STYLE}">{escape(text)}</pre>'
        proxied = proxied_join_path(classroom.server.port, classroom.token)
        if proxied is not None:
            # Under a remote Jupyter the direct links are unreachable from this browser.
            link = link_html(proxied, "open the class page through this Jupyter server")
            html = f'<div style="{_SIDE_STYLE}">{link}</div>' + html
        super().__init__(html)

    def __repr__(self) -> str:
        return f"JoinCard(class {self.class_name!r})"
