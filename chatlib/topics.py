"""The chat page's topics: a server that says which topic rooms it offers.

``chatlib.rooms.add_room_handlers`` lets any client ``join`` and ``leave``
rooms; a widget pane knows its topics from the notebook. The chat page knows
nothing until it asks, so a topics server answers one more event, ``topics``,
in its acknowledgement: ``{"ok": True, "topics": [...]}``.

Why an acknowledgement and not a message pushed at connect time: a server
without topics (the plain chat, the durable chat) needs no change at all. It
has no ``topics`` handler, so python-socketio sends no acknowledgement, the
page's request times out after a second, and the page shows no topic buttons.
The page sends this one request *volatile*: with the page's ``retries`` option
an ordinary emit waits in the client's queue until the previous one is
acknowledged, and an unanswered request there would hold back the chat
messages typed after it (once per try).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from .observed import ObservedServer
from .rooms import add_room_handlers, check_room_name
from .server import EmbeddedServer

DEFAULT_TOPICS = ("music", "sports", "art")


def add_topic_handlers(
    sio: ObservedServer, topics: Sequence[str] = DEFAULT_TOPICS, namespace: str = "/"
) -> None:
    """The topics chat (``add_room_handlers``), plus the ``topics`` question the page asks."""
    offered = [check_room_name(topic) for topic in topics]
    if len(set(offered)) != len(offered):
        raise ValueError(f"topics must differ from one another: {offered}")
    add_room_handlers(sio, namespace)

    async def list_topics(sid: str, *_ignored: Any) -> dict[str, Any]:
        return {"ok": True, "topics": list(offered)}

    sio.on("topics", list_topics, namespace=namespace)


async def start_topics_chat(
    name: str = "topics", topics: Sequence[str] = DEFAULT_TOPICS, **options: Any
) -> EmbeddedServer:
    """Start a server that serves the chat page with topic buttons (``server.url`` opens it)."""
    server = EmbeddedServer(name, chat_page=True, **options)
    add_topic_handlers(server.sio, topics)
    return await server.start()
