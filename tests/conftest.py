"""Fixtures: a real server on loopback, stopped after each test with every client."""

import pytest

from chatlib import EmbeddedServer, stop_all


@pytest.fixture
async def server():
    server = EmbeddedServer("test")
    await server.start()
    yield server
    await stop_all()


@pytest.fixture
async def chat_server():
    from chatlib import add_chat_handlers

    server = EmbeddedServer("test-chat", chat_page=True)
    add_chat_handlers(server.sio)
    await server.start()
    yield server
    await stop_all()
