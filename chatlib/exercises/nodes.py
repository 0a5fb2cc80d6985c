"""The exercises of notebook 06 (adapters and nodes), checked against live nodes.

Each checker runs the learner's function for real on the lesson's nodes and
clients, and compares who received what (or what it returned) with the truth.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from ..clients import ChatClient
from ..delivery import settle
from ..server import EmbeddedServer
from .scaffold import CORRECT, INCORRECT, Exercise, Outcome, compare_receivers


def home_of(client: ChatClient, nodes: Sequence[EmbeddedServer]) -> EmbeddedServer | None:
    """The node ``client`` is connected to."""
    return next((n for n in nodes if client.eio.sid in n.sio.eio.sockets), None)


async def _check_this_node_only(
    answer: Callable[..., Any], nodes: Sequence[EmbeddedServer], clients: list[ChatClient]
) -> Outcome:
    await settle(nodes, clients)  # start from a clean record
    node = nodes[0]
    await answer(node, "only on this node")
    delivery = await settle(nodes, clients)
    expected = [c.name for c in clients if home_of(c, nodes) is node]
    return compare_receivers(expected, delivery.receivers("notice"))


this_node_only = Exercise(
    "This node only",
    _check_this_node_only,
    hint="The JavaScript io.local.emit; in Python, one keyword argument of emit() skips the queue.",
    solution=(
        'async def answer(node, text):\n    await node.sio.emit("notice", text, ignore_queue=True)'
    ),
)


async def _check_who_is_in(
    answer: Callable[..., Any], nodes: Sequence[EmbeddedServer], room: str
) -> Outcome:
    truth = sorted(
        node.sio.name_of(sid)
        for node in nodes
        for sid, _ in node.sio.manager.get_participants("/", room)
    )
    given = answer(nodes, room)
    if not isinstance(given, list | tuple | set):
        return Outcome(INCORRECT, f"return a list of names, not {type(given).__name__}")
    if sorted(given) == truth:
        return Outcome(CORRECT, f"{room}: {', '.join(truth)}")
    return Outcome(INCORRECT, f"you found {', '.join(sorted(given)) or 'nobody'}")


who_is_in = Exercise(
    "Who is in the room, on every node?",
    _check_who_is_in,
    hint=(
        "Each node only knows its own clients: ask every node's manager for "
        "get_participants('/', room), and turn each sid into a name with that node's name_of."
    ),
    solution=(
        "def answer(nodes, room):\n"
        "    return [\n"
        "        node.sio.name_of(sid)\n"
        "        for node in nodes\n"
        '        for sid, _ in node.sio.manager.get_participants("/", room)\n'
        "    ]"
    ),
)
