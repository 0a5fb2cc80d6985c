"""Widgets for the delivery lesson: a Disconnect/Connect toggle, and panes that show the chat.

The toggle is the tutorial's step 6 button for any ``ChatClient`` pane; it
only calls ``disconnect()`` and ``reconnect()``, which cells can call too.
A ``RecoveryPane`` also says whether the client's connection is a recovered
one, as the tutorial's page does with ``socket.recovered``.
A ``DurablePane`` shows what a ``DurableClient`` displays (each stored message
once, with its id) rather than every packet, so a retried or replayed message
visibly appears once.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from typing import Any

import ipywidgets as widgets

from ..clients import ChatClient
from ..theme import error_html
from ..widgets import PANE_LINES, ClientPane, Stage, start_from_click
from .reliable import DurableClient


async def reconnect(client: ChatClient) -> None:
    """Connect ``client`` again as it first connected: same URL, ``auth``, transports.

    A callable ``auth`` is called again, so a durable client sends its
    current server offset.
    """
    if client.connected:
        return
    if not getattr(client, "connection_url", None):
        raise RuntimeError(f"{client.name} has never connected: call connect() first")
    await client.connect(
        client.connection_url,
        auth=client.connection_auth,
        transports=client.connection_transports,
        namespaces=client.connection_namespaces,
    )


class ConnectToggle(widgets.Button):
    """A button: "Disconnect" while connected, "Connect" while not; a click does it."""

    def __init__(self, client: ChatClient) -> None:
        super().__init__(layout=widgets.Layout(width="110px"))
        self.client = client
        self.problem = widgets.HTML()
        self._tasks: set[asyncio.Task[None]] = set()
        self.on_click(self._clicked)
        client.subscribe(self.refresh)
        self.refresh()

    def __repr__(self) -> str:
        return f"ConnectToggle({self.client.name})"

    def refresh(self) -> None:
        self.description = "Disconnect" if self.client.connected else "Connect"

    def _clicked(self, _button: object) -> None:
        start_from_click(self._tasks, self.toggle())

    async def toggle(self) -> None:
        try:
            if self.client.connected:
                await self.client.disconnect()
            else:
                await reconnect(self.client)
            self.problem.value = ""
        except Exception as error:  # shown by the toggle: a click has no cell to fail in
            self.problem.value = error_html(str(error))
        self.refresh()


def add_toggle(pane: ClientPane) -> ConnectToggle:
    """Put a Disconnect/Connect toggle at the bottom of ``pane``."""
    toggle = ConnectToggle(pane.client)
    pane.children = (*pane.children, widgets.HBox([toggle, toggle.problem]))
    return toggle


def add_toggles(stage: Stage) -> Stage:
    """Give every pane of ``stage`` a Disconnect/Connect toggle; return the stage."""
    for pane in stage.panes:
        add_toggle(pane)
    return stage


class RecoveryPane(ClientPane):
    """A client's pane that also tells a recovered connection from a new one.

    With connection state recovery on, a client cut off for a moment comes back
    with its old sid and the messages it missed; only ``client.recovered`` says
    so, since the messages look the same either way.
    """

    def connection_kind(self) -> str:
        """ "recovered" or "new" for a connected client; "" while it is not connected."""
        if not self.client.connected:
            return ""
        return "recovered" if self.client.recovered else "new"

    def refresh(self) -> None:
        super().refresh()
        kind = self.connection_kind()
        if kind:
            self.header.value += f"<br><small>connection: {kind}</small>"

    def __repr__(self) -> str:
        return f"RecoveryPane({self.client.name})"


class _ToggledStage(Stage):
    """A stage whose every pane has a Disconnect/Connect toggle: the lessons on recovery and
    durability are about what happens while a client is away."""

    def __init__(self, server: Any, clients: Sequence[ChatClient]) -> None:
        super().__init__(server, clients)
        add_toggles(self)


class RecoveryStage(_ToggledStage):
    """Panes that mark a recovered connection, each with a Disconnect/Connect toggle."""

    pane_class = RecoveryPane


class DurablePane(ClientPane):
    """A ``DurableClient``'s chat as it shows it: ``#id text``, each message once."""

    client: DurableClient

    def lines(self) -> list[str]:
        shown = [str(m) for m in self.client.shown[-PANE_LINES:]]
        if self.client.ignored:
            shown.append(f"({self.client.ignored} repeated message(s) not shown again)")
        return shown

    def __repr__(self) -> str:
        return f"DurablePane({self.client.name})"


class DurableStage(_ToggledStage):
    """Durable panes with toggles, and the server log, which survives server restarts."""

    pane_class = DurablePane
