import asyncio

from chatlib import connect_clients, settle
from chatlib.widgets import PANE_LINES, ChatPageLink, ClientPane, ServerLogPane, Stage

XSS = "<img src=x onerror=alert(1)>"


async def echo_everything(server):
    @server.sio.on("chat message")
    async def chat(sid, msg):
        await server.sio.emit("chat message", msg)


async def test_pane_shows_html_as_text(server):
    await echo_everything(server)
    alice, bob = await connect_clients(server.url, ["alice", "bob"])
    pane = ClientPane(bob, server)
    await alice.chat(XSS)
    await settle(server, alice, bob)
    pane.refresh()
    assert XSS not in pane.messages.value
    assert "&lt;img src=x onerror=alert(1)&gt;" in pane.messages.value
    assert pane.lines()[-1] == f"← chat message {XSS!r}"


async def test_pane_header_shows_connection_and_rooms(server):
    (alice,) = await connect_clients(server.url, ["alice"])
    await server.sio.enter_room(alice.get_sid(), "music")
    pane = ClientPane(alice, server)
    assert "connected" in pane.header.value and "music" in pane.header.value
    await alice.disconnect()
    pane.refresh()
    assert "not connected" in pane.header.value


async def test_pane_log_stays_bounded(server):
    (alice,) = await connect_clients(server.url, ["alice"])

    @server.sio.on("flood")
    async def flood(sid):
        for n in range(PANE_LINES + 50):
            await server.sio.emit("n", n, to=sid)

    pane = ClientPane(alice, server)
    await alice.emit("flood")
    await settle(server, alice)
    pane.refresh()
    assert len(pane.lines()) == PANE_LINES
    assert pane.lines()[-1] == f"← n {PANE_LINES + 49}"


async def test_a_burst_is_redrawn_a_few_times_not_per_message(server):
    (alice,) = await connect_clients(server.url, ["alice"])
    pane = ClientPane(alice, server)
    updates = []
    pane.messages.observe(lambda change: updates.append(1), names="value")

    @server.sio.on("flood")
    async def flood(sid):
        for n in range(500):
            await server.sio.emit("n", n, to=sid)

    await alice.emit("flood")
    await settle(server, alice)
    await asyncio.sleep(0.1)  # let the pending coalesced redraw run
    assert len(alice.inbox) == 500
    assert 1 <= len(updates) <= 20


async def test_send_button_sends_the_text(server):
    await echo_everything(server)
    alice, bob = await connect_clients(server.url, ["alice", "bob"])
    pane = ClientPane(alice, server)
    pane.text.value = "typed in the pane"
    pane.send.click()
    await asyncio.gather(*pane._tasks)
    delivery = await settle(server, alice, bob)
    assert pane.text.value == ""
    assert delivery.receivers("chat message") == ["alice", "bob"]


async def test_send_failure_is_shown_in_the_pane(server):
    (alice,) = await connect_clients(server.url, ["alice"])
    pane = ClientPane(alice, server)
    await alice.disconnect()
    pane.text.value = "nobody is listening"
    pane.send.click()
    await asyncio.gather(*pane._tasks)
    assert "not connected" in pane.status.value.lower()


async def test_stage_and_link_have_stable_text_forms(server):
    clients = await connect_clients(server.url, ["alice", "bob"])
    stage = Stage(server, clients)
    assert repr(stage) == "Stage(server 'test'; clients alice, bob)"
    assert repr(ChatPageLink(server)) == "ChatPageLink(server 'test')"
    assert str(server.port) in ChatPageLink(server).value
    assert repr(ServerLogPane(server)) == "ServerLogPane(test)"
    await clients[0].emit("anything", "<script>")
    await settle(server, clients)
    stage.refresh()
    assert "&lt;script&gt;" in stage.log_pane.body.value
