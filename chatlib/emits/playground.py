"""The emit playground: pick who an emit targets, read it in two languages, send it.

A thin view over ``chatlib.emits.plan.EmitPlan``. The controls only build a
plan; the plan writes the JavaScript and Python lines and performs the emit;
``settle()`` then reports who received it. Everything a click does is also a
method (``select``, ``send``) so tests and notebook cells can drive the
playground without a browser, and a plain-text ``summary()`` says what the
widget shows, for nbval to compare.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from html import escape
from typing import Any

import ipywidgets as widgets

from ..clients import ChatClient
from ..delivery import Delivery, settle
from ..server import EmbeddedServer
from ..theme import error_html
from ..widgets import start_from_click
from .plan import EVENT, EmitPlan, Member

_CODE_STYLE = "font-family:monospace;font-size:12px;white-space:pre-wrap;margin:2px 0"
_NOBODY = "(none)"


class Playground(widgets.VBox):
    """Controls for one server-side emit, its two spellings, and who received it on Send."""

    def __init__(
        self,
        server: EmbeddedServer,
        clients: Sequence[ChatClient],
        rooms: Sequence[str] = ("room1", "room2", "room3"),
        namespaces: Sequence[str] = ("/",),
        other_nodes: Sequence[EmbeddedServer] = (),
    ) -> None:
        self.server = server
        self.other_nodes = list(other_nodes)
        """Nodes sharing ``server``'s queue: their clients can be targeted and predicted."""
        self.clients = list(clients)
        names = [c.name for c in self.clients]
        self.sender = widgets.Dropdown(options=names, description="sender")
        self.rooms = widgets.SelectMultiple(options=list(rooms), description="to rooms", rows=3)
        self.socket = widgets.Dropdown(options=[_NOBODY, *names], description="to socket")
        self.except_rooms = widgets.SelectMultiple(
            options=list(rooms), description="except rooms", rows=3
        )
        self.namespace = widgets.Dropdown(options=list(namespaces), description="namespace")
        self.include_sender = widgets.Checkbox(value=True, description="include the sender")
        self.local = widgets.Checkbox(value=False, description="this node only")
        self.data = widgets.Text(value="hi", description="data")
        self.send_button = widgets.Button(description="Send", button_style="primary")
        self.code = widgets.HTML()
        self.result = widgets.HTML()
        self.last_delivery: Delivery | None = None
        self.last_error = ""
        self._tasks: set[asyncio.Task[Any]] = set()
        controls = [
            self.sender,
            self.rooms,
            self.socket,
            self.except_rooms,
            self.namespace,
            self.include_sender,
            self.local,
            self.data,
        ]
        for control in controls:
            control.observe(self._changed, names="value")
        self.send_button.on_click(self._send_clicked)
        left = widgets.VBox(controls[:4])
        right = widgets.VBox([*controls[4:], self.send_button])
        super().__init__([widgets.HBox([left, right]), self.code, self.result])
        self._changed()

    def __repr__(self) -> str:
        names = ", ".join(c.name for c in self.clients)
        return f"Playground(server {self.server.name!r}; clients {names})"

    # --- the plan ------------------------------------------------------------
    def plan(self) -> EmitPlan:
        """The emit the controls describe now."""
        socket = self.socket.value
        return EmitPlan(
            sender=self.sender.value,
            rooms=tuple(self.rooms.value),
            socket=None if socket == _NOBODY else socket,
            namespace=self.namespace.value,
            except_rooms=tuple(self.except_rooms.value),
            include_sender=self.include_sender.value,
            local=self.local.value,
            data=self.data.value,
        )

    def select(self, **choices: Any) -> EmitPlan:
        """Set controls by name, as a learner would by clicking; returns the new plan.

        ``select(sender="bob", rooms=["room1"], socket=None, include_sender=False)``
        """
        for name, value in choices.items():
            control = getattr(self, name, None)
            if not isinstance(control, widgets.ValueWidget):
                raise ValueError(f"the playground has no control called {name!r}")
            if name == "socket" and value is None:
                value = _NOBODY
            elif isinstance(control, widgets.SelectMultiple):
                value = tuple([value] if isinstance(value, str) else value)
            control.value = value
        return self.plan()

    def _changed(self, _change: object = None) -> None:
        plan = self.plan()
        self.last_delivery, self.last_error = None, ""  # a result belongs to the plan it sent
        self.result.value = ""
        self.code.value = "".join(
            [
                f"<div><b>{escape(plan.describe())}</b></div>",
                f'<div style="{_CODE_STYLE}">JavaScript: {escape(plan.javascript())}</div>',
                f'<div style="{_CODE_STYLE}">Python:     {escape(plan.python())}</div>',
                *[f"<div><em>{escape(line)}</em></div>" for line in self._notes(plan)],
            ]
        )

    def _notes(self, plan: EmitPlan) -> list[str]:
        caveat = plan.caveat()
        return ([f"caveat: {caveat}"] if caveat else []) + [self.predict(plan)]

    # --- predicting ----------------------------------------------------------
    def _sids(self, namespace: str) -> dict[str, str]:
        """Each client's socket id in ``namespace``, as the client itself knows it."""
        found = {}
        for client in self.clients:
            sid = client.get_sid(namespace) if client.connected else None
            if sid is not None:
                found[client.name] = sid
        return found

    def _home(self, client: ChatClient) -> EmbeddedServer | None:
        servers = [self.server, *self.other_nodes]
        return next((s for s in servers if client.eio.sid in s.sio.eio.sockets), None)

    def predict(self, plan: EmitPlan | None = None) -> str:
        """Who the Python line should reach, read from the rooms each client's node records.

        Clients on other nodes count when the playground was given those nodes
        (``other_nodes``); for a client on a node it was not given, it says it
        cannot tell rather than guess.
        """
        plan = plan or self.plan()
        sids = self._sids(plan.namespace)
        members, unknown = [], []
        for client in self.clients:
            sid = sids.get(client.name)
            if sid is None:
                continue  # not in this namespace: nothing reaches it there
            home = self._home(client)
            if home is None:
                unknown.append(client.name)
                continue
            rooms = frozenset(home.sio.rooms(sid, plan.namespace)) - {sid}
            members.append(Member(client.name, rooms, home is self.server))
        line = "predicted: " + (", ".join(plan.predict(members)) or "nobody")
        if unknown:
            line += (
                f"; cannot tell for {', '.join(sorted(unknown))}: connected to a node "
                "this playground was not given (other_nodes)"
            )
        return line

    # --- sending -------------------------------------------------------------
    async def send(self) -> Delivery:
        """Perform the Python emit on the live server; return (and show) who received it."""
        plan = self.plan()
        await plan.send(self.server.sio, self._sids(plan.namespace))
        delivery = await settle(self.server, *self.other_nodes, self.clients)
        self.last_delivery, self.last_error = delivery, ""
        receivers = ", ".join(delivery.receivers(EVENT)) or "nobody"
        self.result.value = f"<div>received by: {escape(receivers)}</div>" + delivery._repr_html_()
        return delivery

    def _send_clicked(self, _button: object) -> None:
        start_from_click(self._tasks, self._send_and_show_errors())

    async def _send_and_show_errors(self) -> None:
        try:
            await self.send()
        except Exception as error:  # a click has no cell to fail in: show it in the widget
            self.last_error = f"{type(error).__name__}: {error}"
            self.result.value = error_html(self.last_error)

    async def wait_for_clicks(self, timeout: float = 5) -> None:
        """Wait (bounded) for the sends that clicks started; for tests and scripts."""
        if self._tasks:
            await asyncio.wait_for(asyncio.gather(*self._tasks), timeout)

    def summary(self) -> str:
        """What the widget shows, as plain text."""
        plan = self.plan()
        lines = [
            plan.describe(),
            f"JavaScript: {plan.javascript()}",
            f"Python:     {plan.python()}",
            *self._notes(plan),
        ]
        if self.last_error:
            lines.append(f"error: {self.last_error}")
        elif self.last_delivery is not None:
            receivers = ", ".join(self.last_delivery.receivers(EVENT)) or "nobody"
            lines.append(f"received by: {receivers}")
        return "\n".join(lines)
