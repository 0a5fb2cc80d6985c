"""The exercises of notebook 07 (adapters and nodes), checked against live nodes.

Each checker first makes sure the lesson is in the state the exercise needs
(clients on both nodes, a room spread over both), because an answer can only
be told apart from a wrong one there: with every client on one node, "this
node only" and "everyone" deliver alike. Then it runs the learner's function
for real and compares who received what (event and payload), or what it
returned, with the truth.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable, Sequence
from typing import Any

from ..clients import ChatClient
from ..delivery import settle
from ..server import EmbeddedServer
from .scaffold import CORRECT, INCORRECT, Exercise, Outcome, compare_receivers

NOTICE = "node-a restarts in a minute"
"""The text the "this node only" check hands to the answer; it must arrive unchanged."""


def home_of(client: ChatClient, nodes: Sequence[EmbeddedServer]) -> EmbeddedServer | None:
    """The node ``client`` is connected to."""
    return next((n for n in nodes if client.eio.sid in n.sio.eio.sockets), None)


async def _check_this_node_only(
    answer: Callable[..., Any], nodes: Sequence[EmbeddedServer], clients: list[ChatClient]
) -> Outcome:
    node = nodes[0]
    homes = {c.name: home_of(c, nodes) for c in clients}
    if not any(h is node for h in homes.values()) or all(h is node for h in homes.values()):
        return Outcome(
            INCORRECT, f"cannot check: {node.name} and another node each need connected clients"
        )
    await settle(nodes, clients)  # start from a clean record
    await answer(node, NOTICE)
    delivery = await settle(nodes, clients)
    expected = [name for name, home in homes.items() if home is node]
    verdict = compare_receivers(expected, delivery.receivers("notice"))
    if not verdict.correct:
        return verdict
    rows = [row for row in delivery.rows if row.event == "notice"]
    wrong = [row.data for row in rows if row.data != repr(NOTICE)]
    if wrong or len(rows) != 1:
        got = ", ".join(row.data for row in rows)
        return Outcome(INCORRECT, f"'notice' carried {got}; send the text you are given, once")
    return verdict


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
    by_node = {
        node.name: sorted(
            node.sio.name_of(sid) for sid, _ in node.sio.manager.get_participants("/", room)
        )
        for node in nodes
    }
    if sum(1 for names in by_node.values() if names) < 2:
        return Outcome(INCORRECT, f"cannot check: {room} needs members on two nodes (section 3)")
    truth = sorted(name for names in by_node.values() for name in names)
    given = answer(nodes, room)
    if inspect.isawaitable(given):
        given = await given
    if not isinstance(given, list | tuple | set):
        return Outcome(INCORRECT, f"return a list of names, not {type(given).__name__}")
    if sorted(given) == truth:
        return Outcome(CORRECT, f"{room}: {', '.join(truth)}")
    sids = {sid for node in nodes for sid, _ in node.sio.manager.get_participants("/", room)}
    if set(given) & sids:
        return Outcome(INCORRECT, "you returned socket ids: turn each into the name in its session")
    if len(given) != len(set(given)):
        return Outcome(INCORRECT, "a name appears twice: each member once")
    return Outcome(INCORRECT, f"you found {', '.join(sorted(map(str, given))) or 'nobody'}")


who_is_in = Exercise(
    "Who is in the room, on every node?",
    _check_who_is_in,
    hint=(
        "Each node only knows its own clients: ask every node's manager for "
        "get_participants('/', room), and read each sid's name from that node's session "
        "(await node.sio.get_session(sid))."
    ),
    solution=(
        "async def answer(nodes, room):\n"
        "    names = []\n"
        "    for node in nodes:\n"
        '        for sid, _ in node.sio.manager.get_participants("/", room):\n'
        '            names.append((await node.sio.get_session(sid))["name"])\n'
        "    return names"
    ),
)
