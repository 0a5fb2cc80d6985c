"""The adapters map: each socket.io adapter and the python-socketio manager that does its job.

socket.io calls "adapter" what python-socketio calls a "client manager": the
part that lets several server processes reach each other's clients. This is
the map as data, so a notebook prints it and a test checks that every Python
manager named here exists in the installed python-socketio. No Python manager
can share clients with Node.js nodes: their message formats differ.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class AdapterMatch:
    """One socket.io adapter and what python-socketio offers for the same job."""

    javascript: str
    """The npm package of socket.io's adapter."""
    python: str | None
    """The python-socketio manager class that does the job, or None when it has none."""
    needs: str
    note: str = ""


ADAPTERS: tuple[AdapterMatch, ...] = (
    AdapterMatch(
        "@socket.io/redis-adapter",
        "AsyncRedisManager",
        "Redis or Valkey",
        "the usual choice for several nodes; pub/sub, like socket.io's",
    ),
    AdapterMatch(
        "@socket.io/redis-streams-adapter",
        None,
        "Redis 5 or later",
        "AsyncRedisManager uses pub/sub, not streams: a node that is down misses messages; "
        "its connection state recovery across nodes is chatlib.scale.shared_recovery's",
    ),
    AdapterMatch("@socket.io/mongo-adapter", None, "MongoDB"),
    AdapterMatch(
        "@socket.io/postgres-adapter",
        None,
        "PostgreSQL",
        "none built in; chatlib.scale.pgmanager is a small one over LISTEN/NOTIFY",
    ),
    AdapterMatch(
        "@socket.io/cluster-adapter",
        None,
        "Node's cluster module",
        "run several Python processes behind AsyncRedisManager instead",
    ),
    AdapterMatch("@socket.io/gcp-pubsub-adapter", None, "Google Cloud Pub/Sub"),
    AdapterMatch("@socket.io/aws-sqs-adapter", None, "AWS SNS and SQS"),
    AdapterMatch("@socket.io/azure-service-bus-adapter", None, "Azure Service Bus"),
)
"""socket.io's adapters, in the order of its adapter page."""

PYTHON_ONLY: tuple[AdapterMatch, ...] = (
    AdapterMatch("(no official RabbitMQ adapter)", "AsyncAioPikaManager", "RabbitMQ and aio-pika"),
    AdapterMatch(
        "(no Kafka adapter)", "KafkaManager", "Kafka", "for a sync (threaded) server only"
    ),
    AdapterMatch(
        "(no ZeroMQ adapter)", "ZmqManager", "ZeroMQ", "for a sync (threaded) server only"
    ),
)
"""python-socketio's managers that no official socket.io adapter matches."""


def adapters_table() -> str:
    """The map as aligned plain text, one adapter a line (for a notebook to print)."""
    rows = [("socket.io adapter", "python-socketio", "needs")]
    rows += [(a.javascript, a.python or "none", a.needs) for a in (*ADAPTERS, *PYTHON_ONLY)]
    widths = [max(len(row[i]) for row in rows) for i in range(3)]
    return "\n".join(
        "  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True)).rstrip()
        for row in rows
    )
