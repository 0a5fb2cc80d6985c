"""Widget panes: thin views over chat clients and the server log.

Panes redraw by assigning traits, never by ``print`` or ``with out:``
(both misbehave when called from handler tasks). Redraws are coalesced: a
burst of messages costs one update per ``REDRAW_INTERVAL``, not one per
message. Every piece of text is escaped: a chat message is shown as text.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Coroutine, Sequence
from html import escape
from typing import Any
from urllib.parse import urlsplit

import ipywidgets as widgets

from .clients import ChatClient
from .jupyter_links import proxied_path
from .server import EmbeddedServer
from .theme import box_style, error_html, link_html, status_html

REDRAW_INTERVAL = 0.05
PANE_LINES = 200

_BOX_STYLE = (
    "height:180px;overflow-y:auto;display:flex;flex-direction:column-reverse;"
    "font-family:monospace;font-size:12px;line-height:1.35;"
    "white-space:pre-wrap;overflow-wrap:anywhere;box-sizing:border-box;width:100%;"
    f"padding:4px;{box_style()}"
)
PANE_WIDTH = 300


class _Redraw:
    """Run ``redraw`` soon, once, however many times ``request()`` is called meanwhile."""

    def __init__(self, redraw: Callable[[], None], interval: float = REDRAW_INTERVAL) -> None:
        self._redraw = redraw
        self._interval = interval
        self._pending = False

    def request(self) -> None:
        if self._pending:
            return
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:
            self._redraw()
            return
        self._pending = True
        loop.call_later(self._interval, self._run)

    def _run(self) -> None:
        self._pending = False
        self._redraw()


def start_from_click(tasks: set[asyncio.Task[Any]], work: Coroutine[Any, Any, Any]) -> None:
    """Run ``work`` on the kernel's loop from a widget callback, held in ``tasks`` until done.

    A click has no cell to await it, and asyncio keeps only a weak reference
    to a running task: without ``tasks`` it could be collected half-way.
    """
    task = asyncio.ensure_future(work)
    tasks.add(task)
    task.add_done_callback(tasks.discard)


def side_layout() -> widgets.Layout:
    """The column beside the panes (server log, room board): whatever width is left."""
    return widgets.Layout(flex="1 1 auto", min_width="260px", max_width="520px")


def pane_grid(panes: Sequence[widgets.Widget], columns: int = 2) -> widgets.Box:
    """Client panes side by side, ``columns`` to a row, the way every stage lays them out."""
    return widgets.GridBox(
        list(panes),
        layout=widgets.Layout(
            grid_template_columns=f"repeat({columns}, {PANE_WIDTH + 8}px)", flex="0 0 auto"
        ),
    )


def _lines_html(lines: Sequence[str]) -> str:
    # column-reverse keeps the box scrolled to its newest line, with no JavaScript
    text = "\n".join(escape(line) for line in lines)
    return f'<div style="{_BOX_STYLE}"><div>{text}</div></div>'


class ClientPane(widgets.VBox):
    """One client: its name, whether it is connected, its rooms, its messages, a Send box."""

    def __init__(self, client: ChatClient, server: EmbeddedServer | None = None) -> None:
        self.client = client
        self.server = server
        self.header = widgets.HTML()
        self.messages = widgets.HTML()
        self.text = widgets.Text(placeholder="message", layout=widgets.Layout(flex="1"))
        self.send = widgets.Button(description="Send", layout=widgets.Layout(width="64px"))
        self.status = widgets.HTML()
        self.send.on_click(self._send_clicked)
        self._tasks: set[asyncio.Task[None]] = set()
        super().__init__(
            [self.header, self.messages, widgets.HBox([self.text, self.send]), self.status],
            layout=widgets.Layout(width=f"{PANE_WIDTH}px", margin="0 8px 8px 0", flex="0 0 auto"),
        )
        # CSS classes name the parts in the browser (the JupyterLab test reads them).
        self.add_class("chatlib-client-pane")
        self.header.add_class("chatlib-pane-header")
        self.messages.add_class("chatlib-pane-messages")
        self._redraw = _Redraw(self.refresh)
        client.subscribe(self._redraw.request)
        if server is not None:
            server.log.subscribe(lambda _entry: self._redraw.request())
        self.refresh()

    def __repr__(self) -> str:
        return f"ClientPane({self.client.name})"

    def lines(self) -> list[str]:
        """The pane's message log as plain text, the last ``PANE_LINES`` messages."""
        return [str(m) for m in self.client.history(PANE_LINES)]

    def rooms(self) -> list[str]:
        if self.server is None or not self.client.connected or not self.server.running:
            return []
        return self.server.rooms_of(self.client)

    def refresh(self) -> None:
        client = self.client
        state = "connected" if client.connected else "not connected"
        rooms = ", ".join(self.rooms()) or "none"
        self.header.value = (
            f"<b>{escape(client.name)}</b> {status_html(client.connected, state)}<br>"
            f"<small>rooms: {escape(rooms)}</small>"
        )
        self.messages.value = _lines_html(self.lines())

    def _send_clicked(self, _source: object) -> None:
        text = self.text.value
        if not text:
            return
        self.text.value = ""
        start_from_click(self._tasks, self._chat(text))

    async def say(self, text: str) -> None:
        """What the Send button does with the text; a subclass may send it another way."""
        await self.client.chat(text)

    async def _chat(self, text: str) -> None:
        # Not ``_send``: that name is ipywidgets' own comm method (a frontend calls it).
        try:
            await self.say(text)
            self.status.value = ""
        except Exception as error:  # shown in the pane: a click has no cell to fail in
            self.status.value = error_html(str(error))


class ServerLogPane(widgets.VBox):
    """The server's log, its proof of life, newest line last."""

    def __init__(self, server: EmbeddedServer, lines: int = PANE_LINES) -> None:
        self.server = server
        self.max_lines = lines
        self.title = widgets.HTML(f"<b>server {escape(server.name)!s}</b> log")
        self.body = widgets.HTML()
        super().__init__([self.title, self.body], layout=side_layout())
        self.add_class("chatlib-server-log")
        self.body.add_class("chatlib-pane-messages")
        self._redraw = _Redraw(self.refresh)
        server.log.subscribe(lambda _entry: self._redraw.request())
        self.refresh()

    def __repr__(self) -> str:
        return f"ServerLogPane({self.server.name})"

    def lines(self) -> list[str]:
        return self.server.log.lines()[-self.max_lines :]

    def refresh(self) -> None:
        self.body.value = _lines_html(self.lines())


class Stage(widgets.HBox):
    """The clients' panes side by side, the server log beside them."""

    pane_class: type[ClientPane] = ClientPane

    def __init__(self, server: EmbeddedServer, clients: Sequence[ChatClient]) -> None:
        self.server = server
        self.panes = [self.pane_class(client, server) for client in clients]
        self.log_pane = ServerLogPane(server)
        super().__init__([pane_grid(self.columns()), self.side()])

    def columns(self) -> Sequence[widgets.Widget]:
        """One widget per client for the grid (a subclass may add to each pane)."""
        return self.panes

    def side(self) -> widgets.Widget:
        """What stands beside the grid (a subclass may add to the server log)."""
        return self.log_pane

    def __repr__(self) -> str:
        names = ", ".join(pane.client.name for pane in self.panes)
        return f"{type(self).__name__}(server {self.server.name!r}; clients {names})"

    def refresh(self) -> None:
        for pane in self.panes:
            pane.refresh()
        self.log_pane.refresh()


class ChatPageLink(widgets.HTML):
    """A link to a server's chat page; its text form names the server, never its port.

    Under a Jupyter server with jupyter-server-proxy the first link goes through
    the Jupyter server (the only address a remote browser can reach); the direct
    127.0.0.1 link stays beside it for a browser on the kernel's own machine.
    """

    def __init__(self, server: EmbeddedServer) -> None:
        self.server_name = server.name
        direct = f"{server.url}/"
        # From the URL: anything with a name and a url will do (a server run as a process too).
        port = urlsplit(server.url).port
        proxied = proxied_path(port) if port is not None else None
        if proxied is None:
            html = link_html(direct, f"open the chat page of server {server.name} in a new tab")
        else:
            html = (
                link_html(proxied, f"open the chat page of server {server.name} in a new tab")
                + " (through Jupyter) · "
                + link_html(direct, "direct link")
                + " (a browser on the kernel's machine)"
            )
        super().__init__(html)

    def __repr__(self) -> str:
        return f"ChatPageLink(server {self.server_name!r})"
