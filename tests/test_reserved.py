"""Reserved event names: chatlib refuses to emit them; python-socketio alone does not."""

import pytest
import socketio

from chatlib import ChatClient, settle, start_server, stop_all
from chatlib.protocol import RESERVED_EVENTS

RESERVED = sorted(RESERVED_EVENTS)


def test_the_six_names_socketio_reserves():
    assert RESERVED == [
        "connect",
        "connect_error",
        "disconnect",
        "disconnecting",
        "newListener",
        "removeListener",
    ]


@pytest.fixture
async def pair():
    server = await start_server("reserved")
    client = ChatClient("alice")
    await client.connect(server.url)
    yield server, client
    await stop_all()


@pytest.mark.parametrize("event", RESERVED)
async def test_chat_client_refuses_and_sends_nothing(pair, event):
    server, client = pair
    with pytest.raises(ValueError, match=f"'{event}' is a reserved Socket.IO event name"):
        await client.emit(event, "x")
    with pytest.raises(ValueError, match="reserved"):
        await client.call(event, "x", timeout=1)
    await settle(server, client)
    assert server.log.lines("received", "error", "disconnect") == []
    assert client.outbox == []
    assert client.connected


@pytest.mark.parametrize("event", RESERVED)
async def test_server_refuses_emit_and_call(pair, event):
    server, client = pair
    sid = server.sio.sid_of("alice")
    with pytest.raises(ValueError, match="reserved"):
        await server.sio.emit(event, "x")
    with pytest.raises(ValueError, match="reserved"):
        await server.sio.call(event, "x", to=sid, timeout=1)
    await settle(server, client)
    assert client.inbox == []
    assert client.connected


async def test_a_plain_client_can_fake_a_disconnect(pair):
    """The danger chatlib guards against: the server's disconnect handler runs, the client stays."""
    server, _client = pair
    gone = []

    @server.sio.event
    async def disconnect(sid, reason):
        gone.append(reason)

    @server.sio.event
    async def ping(sid):
        return "pong"

    mallory = socketio.AsyncClient(handle_sigint=False)
    await mallory.connect(server.url, auth={"name": "mallory"}, transports=["websocket"])
    try:
        await mallory.emit("disconnect")  # bare: the handler is called without a reason
        await mallory.emit("disconnect", "made up")
        assert await mallory.call("ping", timeout=2) == "pong"  # the server has read both
        await settle(server)
        assert gone == ["made up"]
        assert mallory.connected
        # the bare one is recorded as a handler error, not lost in a background task
        assert [e.event for e in server.errors] == ["disconnect"]
        assert "TypeError" in server.errors[0].error
        server.errors.clear()
    finally:
        await mallory.disconnect()
