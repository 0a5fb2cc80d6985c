"""One class on several servers ("nodes") behind a load balancer, sharing a Redis.

A single Python process carries a class of about a thousand on two cores;
beyond that, or for a spare, the class runs as several classroom servers
behind the shipped nginx (``chatlib/deploy/nginx.conf``). Each node then needs
two things shared with the others: the queue that carries every chat message
to every node's students (a Redis manager on one channel), and the count of
who is online (``online.RedisNames``, in a hash named after the channel), so
that each student sees the whole class. Names are unique per node: two
students with one name on two nodes show as one name. From a terminal:
``python -m chatlib classroom --redis URL [--channel NAME]`` on every node.
"""

from __future__ import annotations

from typing import Any

from ..fanout import FanoutRedisManager
from .online import RedisNames

CHANNEL = "chatlib-classroom"


def node_options(redis_url: str, channel: str = CHANNEL) -> dict[str, Any]:
    """``Classroom`` options that make it one node of the class on ``channel``.

    Every node of one class gets the same ``channel``; two classes on one
    Redis need two channels.
    """
    return {
        "client_manager": FanoutRedisManager(redis_url, channel=channel),
        "names": RedisNames(redis_url, f"{channel}:online"),
    }
