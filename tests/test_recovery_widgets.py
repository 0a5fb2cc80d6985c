"""The delivery lesson's panes mark a recovered connection, and the toggle's is never one."""

import pytest

from chatlib import ChatClient, EmbeddedServer, Recovery, stop_all, wait_until
from chatlib.durable.faults import drop_connection
from chatlib.durable.widgets import RecoveryStage

FAST_RECONNECT = {"reconnection_delay": 0.05, "reconnection_delay_max": 0.1}


@pytest.fixture
async def server():
    server = await EmbeddedServer("recovery-panes", recovery=Recovery(max_disconnection=5)).start()
    yield server
    await stop_all()
    assert server.errors == []


def marker(pane) -> str:
    pane.refresh()
    return pane.header.value.rsplit("<br>", 1)[-1]


async def test_a_cut_connection_is_marked_recovered_and_a_toggled_one_new(server):
    clients = [ChatClient(name, **FAST_RECONNECT) for name in ["alice", "bob"]]
    for client in clients:
        await client.connect(server.url)
    stage = RecoveryStage(server, clients)
    bob_pane = stage.panes[1]
    assert repr(stage) == "RecoveryStage(server 'recovery-panes'; clients alice, bob)"
    assert repr(bob_pane) == "RecoveryPane(bob)"
    assert marker(bob_pane) == "<small>connection: new</small>"

    await server.sio.emit("chat message", "hello")  # bob needs an offset to be recovered
    await wait_until(lambda: clients[1].received("chat message") == ["hello"], what="hello")
    drop_connection(server, clients[1])
    await wait_until(lambda: "bob recovered on /" in server.log.lines("connect"), what="recovery")
    await wait_until(lambda: clients[1].connected, what="bob back")
    assert marker(bob_pane) == "<small>connection: recovered</small>"

    toggle = bob_pane.children[-1].children[0]
    await toggle.toggle()  # Disconnect: leaving on purpose
    assert toggle.description == "Connect"
    assert marker(bob_pane) == "<small>rooms: none</small>"  # no marker while away
    await toggle.toggle()  # Connect: a new connection, not a recovered one
    assert clients[1].connected and clients[1].recovered is False
    assert marker(bob_pane) == "<small>connection: new</small>"
