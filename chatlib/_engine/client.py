"""python-socketio's ``AsyncClient`` with two internal steps turned into hooks.

A recording client must see each event the moment its packet is read,
before any handler runs (handlers run concurrently, so only the packet order
is the order of the wire), and must see connect, disconnect and
connect_error whether or not a handler is registered. python-socketio has no
public way to do either, so this class overrides the private methods once and
calls hooks that ``ChatClient`` and ``DurableClient`` override:

- ``on_event_packet(namespace, data)``: an EVENT packet, before dispatch
  (return False to swallow it);
- ``on_handler(event, namespace, args)``: every handler call; ``run_handler``
  runs the one python-socketio would run.

``tests/test_engine_contract.py`` pins both private methods.
"""

from __future__ import annotations

from typing import Any

import socketio

from .versions import check_versions


class EngineClient(socketio.AsyncClient):
    """An ``AsyncClient`` whose packets and handler calls reach overridable hooks."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        check_versions()
        super().__init__(*args, **kwargs)

    def on_event_packet(self, namespace: str, data: list[Any]) -> bool:
        """An EVENT packet ``[event, *args]`` as it is read; False swallows it.

        Runs before any await of the reader, so calls come in wire order.
        """
        return True

    async def on_handler(self, event: str, namespace: str, args: tuple[Any, ...]) -> Any:
        """Called for every handler call, events and connection events alike."""
        return await self.run_handler(event, namespace, args)

    async def run_handler(self, event: str, namespace: str, args: tuple[Any, ...]) -> Any:
        """Run the handler python-socketio would run for ``event``."""
        return await super()._trigger_event(event, namespace, *args)

    async def _handle_event(self, namespace: str | None, id: int | None, data: list[Any]) -> None:
        namespace = namespace or "/"
        if self.on_event_packet(namespace, data):
            await super()._handle_event(namespace, id, data)

    async def _trigger_event(self, event: str, namespace: str, *args: Any) -> Any:
        return await self.on_handler(event, namespace, args)
