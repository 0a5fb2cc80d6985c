"""RabbitMQ as the queue: python-socketio's AsyncAioPikaManager with two nodes, real RabbitMQ."""

import asyncio
import socket

import pytest
import socketio

from chatlib import connect_clients, settle, stop_all
from chatlib.scale.cluster import Cluster
from tests.support import require

AMQP = "amqp://guest:guest@127.0.0.1:5672/"


def rabbitmq_answers() -> bool:
    try:
        socket.create_connection(("127.0.0.1", 5672), timeout=2).close()
        return True
    except OSError:
        return False


async def until_every_node_listens(nodes, clients, timeout: float = 10) -> None:
    """AsyncAioPikaManager says nothing when its queue is bound: probe until a node's emit lands.

    A message published before another node's queue exists is lost for it, so
    emit a probe from every node until every client has received one from each.
    """
    async with asyncio.timeout(timeout):
        for node in nodes:
            while True:
                await node.sio.emit("probe", node.name)
                try:
                    await settle(nodes, clients, timeout=0.3)
                except TimeoutError:
                    continue  # some node is not bound yet: its marker got lost too
                if all(node.name in c.received("probe") for c in clients):
                    break


@pytest.fixture
async def nodes():
    require(rabbitmq_answers(), "RabbitMQ on 127.0.0.1:5672", "apt-get install rabbitmq-server")
    cluster = Cluster(manager=lambda channel: socketio.AsyncAioPikaManager(AMQP, channel=channel))
    a = await cluster.start_node("node-a")
    b = await cluster.start_node("node-b")
    clients = await connect_clients(a.url, ["alice"]) + await connect_clients(b.url, ["bob"])
    await until_every_node_listens([a, b], clients)
    await settle(a, b, clients)
    yield a, b, clients
    await stop_all()


async def test_rabbitmq_carries_broadcasts_rooms_and_sids_between_nodes(nodes):
    a, b, clients = nodes
    await b.sio.enter_room(b.sio.sid_of("bob"), "room1")
    await a.sio.emit("news", "over RabbitMQ")
    await a.sio.emit("to room1", "x", to="room1")
    await b.sio.emit("private", "y", to=a.sio.sid_of("alice"))
    await a.sio.emit("local", "z", ignore_queue=True)
    delivery = await settle(a, b, clients)
    assert delivery.receivers("news") == ["alice", "bob"]
    assert delivery.receivers("to room1") == ["bob"]
    assert delivery.receivers("private") == ["alice"]
    assert delivery.receivers("local") == ["alice"]


async def test_a_write_only_manager_is_an_emitter_over_rabbitmq(nodes):
    a, b, clients = nodes
    emitter = socketio.AsyncAioPikaManager(AMQP, channel=a.sio.manager.channel, write_only=True)
    try:
        await emitter.emit("announcement", "from outside", room=None, namespace="/")
    finally:
        await emitter.publisher_connection.close()
    delivery = await settle(a, b, clients)
    assert delivery.receivers("announcement") == ["alice", "bob"]
