"""The delivery diagram widget: a ``DeliveryFlow`` drawn by a small ES module.

Python owns the state (``chatlib.diagram.flow``); ``static/diagram.js`` only draws the
step it is given and sends button presses back as actions. Updates are
batched: however many messages arrive, the widget sends at most one state
update per ``FLUSH_INTERVAL``, so a burst of a thousand messages costs a
handful of widget messages, not thousands. ``messages_sent`` counts them.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import anywidget
import traitlets

from ..clients import ChatClient
from ..widgets import _Redraw
from .flow import WINDOW, DeliveryFlow

STATIC = Path(__file__).parent.parent / "static"
FLUSH_INTERVAL = 0.1
"""Seconds between state updates at most: ≤ 10 widget messages a second during a burst."""
REPLAY_STEP = 0.7
"""Seconds each step stays on screen during a replay (long enough to watch the arrows)."""


class DeliveryDiagram(anywidget.AnyWidget):
    """sender → server (node) → namespace and rooms → receivers, one step at a time.

    ``DeliveryDiagram(server, clients)``; several servers: pass a list. Buttons
    pause, step back and forth through the last ``window`` steps, and replay
    them; the same is available from Python (``pause()``, ``step()``, ``replay()``).
    """

    _esm = STATIC / "diagram.js"
    _css = STATIC / "diagram.css"
    state = traitlets.Dict().tag(sync=True)

    def __init__(self, servers: Any, clients: Iterable[ChatClient], window: int = WINDOW) -> None:
        servers = list(servers) if isinstance(servers, list | tuple) else [servers]
        self.flow = DeliveryFlow(servers, clients, window)
        self.messages_sent = 0
        self._replay: asyncio.Task[None] | None = None
        super().__init__(state=self.flow.state())
        self._flush = _Redraw(self.flush, FLUSH_INTERVAL)
        self.flow.subscribe(self._flush.request)
        self.on_msg(self._on_action)
        self.observe(self._count_message, names="state")

    def __repr__(self) -> str:
        nodes = ", ".join(repr(n) for n in self.flow.state()["nodes"])
        clients = ", ".join(c.name for c in self.flow.clients)
        return f"DeliveryDiagram(server {nodes}; clients {clients})"

    # --- state to the browser, batched --------------------------------------
    def flush(self) -> None:
        """Send the current state now (normally called at most every ``FLUSH_INTERVAL``)."""
        self.state = self.flow.state()

    def _count_message(self, _change: object) -> None:
        """Each change of the synced ``state`` is one update message to the browser."""
        self.messages_sent += 1

    # --- playback -----------------------------------------------------------
    def pause(self) -> None:
        self._stop_replay()
        self.flow.pause()

    def resume(self) -> None:
        self._stop_replay()
        self.flow.resume()

    def step(self, delta: int = -1) -> str:
        """Show an earlier (negative) or later step; return it in words."""
        self._stop_replay()
        shown = self.flow.step(delta)
        return shown.summary() if shown else "no step yet"

    def replay(self) -> asyncio.Task[None]:
        """Show the last steps again, oldest first, one every ``REPLAY_STEP`` seconds."""
        self._stop_replay()
        self._replay = asyncio.ensure_future(self._run_replay())
        return self._replay

    async def _run_replay(self) -> None:
        self.flow.pause()
        for index in range(len(self.flow.view())):
            self.flow.show(index)
            self.flush()
            await asyncio.sleep(REPLAY_STEP)  # pacing for the eye, not a wait for a result

    def _stop_replay(self) -> None:
        if self._replay is not None and not self._replay.done():
            self._replay.cancel()
        self._replay = None

    def _on_action(self, _widget: object, content: dict[str, Any], _buffers: object) -> None:
        action = content.get("action")
        if action == "toggle":
            self.resume() if self.flow.paused else self.pause()
        elif action == "pause":
            self.pause()
        elif action == "live":
            self.resume()
        elif action == "step":
            self.step(int(content.get("delta", -1)))
        elif action == "show":
            self._stop_replay()
            self.flow.show(int(content.get("index", 0)))
        elif action == "replay":
            self.replay()
