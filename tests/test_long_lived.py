"""Clients stay connected for as long as they like, on every kind of chatlib server.

Engine.IO's writer task gives up on a socket whose queue stays empty for
``ping_interval + ping_timeout``; anything that writes around that queue can
starve it, and then every client is dropped after that long. The fast tests
shorten the heartbeat to 1 s + 1 s, so a starved writer would drop its client
after 2 s, and hold six clients (idle and busy; websocket, polling and upgraded) for
at least five ping cycles. Each client's ping count proves the short settings
were in force. One slow test holds clients past 100 s at the default settings.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import pytest

from chatlib import EmbeddedServer, add_chat_handlers, stop_all
from chatlib.classroom.session import Classroom

from .holding import Report, hold
from .serve_support import kill, serve_with

SHORT = {"ping_interval": 1, "ping_timeout": 1}
SHORT_FLAGS = ("--ping-interval", "1", "--ping-timeout", "1")
IDLE, BUSY = 4.5, 3.5  # each longer than a starved writer's 2 s
CYCLES = 5


def assert_held(report: Report, cycles: int = CYCLES) -> None:
    assert report.disconnects() == dict.fromkeys(report.clients, 0)
    assert report.sent() > 0
    assert all(not held.refused for held in report.clients.values())
    assert report.lost_and_duplicated() == dict.fromkeys(report.clients, (0, 0))
    pings = report.pings()
    assert min(pings.values()) >= cycles, f"too few ping cycles to prove anything: {pings}"


@pytest.fixture
async def servers() -> AsyncIterator[None]:
    yield
    await stop_all()


async def test_the_embedded_server_keeps_every_client(servers):
    server = await EmbeddedServer("held", chat_page=True, **SHORT).start()
    add_chat_handlers(server.sio)
    assert_held(await hold(server.url, idle_seconds=IDLE, busy_seconds=BUSY))
    assert not server.errors


async def test_the_classroom_keeps_every_student(servers):
    async with Classroom("held-class", **SHORT) as classroom:
        report = await hold(
            classroom.url, idle_seconds=IDLE, busy_seconds=BUSY, every=0.6, text_at=1
        )
        assert not classroom.sio.errors
    assert_held(report)


async def test_a_cluster_node_keeps_every_client(servers, redis):
    from chatlib.scale.cluster import Cluster

    node = await Cluster(redis, channel="held").start_node("held-node", chat_page=True, **SHORT)
    add_chat_handlers(node.sio)
    assert_held(await hold(node.url, idle_seconds=IDLE, busy_seconds=BUSY))


@pytest.mark.parametrize("kept", [False, True], ids=["serve", "serve --db"])
async def test_the_serve_command_keeps_every_client(tmp_path, kept):
    options = ("--port", "0", *SHORT_FLAGS)
    if kept:
        options += ("--db", str(tmp_path / "chat.db"))
    process, url, _ = await serve_with(*options)
    try:
        assert_held(await hold(url, idle_seconds=IDLE, busy_seconds=BUSY))
    finally:
        await kill(process)


@pytest.mark.slow
async def test_clients_outlive_the_default_heartbeat_by_far(servers, tmp_path):
    """Over 100 s at socket.io's own settings (25 s + 20 s): the embedded server, the
    classroom and ``serve --db`` side by side, each with the whole cast."""
    embedded = await EmbeddedServer("held-long", chat_page=True).start()
    add_chat_handlers(embedded.sio)
    classroom = await Classroom("held-long-class").start()
    process, url, _ = await serve_with("--port", "0", "--db", str(tmp_path / "chat.db"))
    try:
        reports = await asyncio.gather(
            hold(embedded.url, idle_seconds=60, busy_seconds=45, every=2, tag="-e"),
            hold(classroom.url, idle_seconds=60, busy_seconds=45, every=2, text_at=1, tag="-c"),
            hold(url, idle_seconds=60, busy_seconds=45, every=2, tag="-d"),
        )
    finally:
        await kill(process)
    for report in reports:
        assert report.seconds > 100
        assert_held(report, cycles=4)  # a ping every 25 s: four in 100 s
