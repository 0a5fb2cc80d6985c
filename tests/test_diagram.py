"""The diagram widget: batched updates, actions from the browser, replay, the ES module."""

import asyncio
import time
from pathlib import Path

from chatlib import connect_clients, settle
from chatlib.diagram.widget import FLUSH_INTERVAL, DeliveryDiagram

STATIC = Path(__file__).resolve().parent.parent / "chatlib/static"


async def test_a_burst_of_1000_messages_costs_a_few_widget_messages(server):
    clients = await connect_clients(server.url, ["alice", "bob", "carol"])
    diagram = DeliveryDiagram(server, clients)

    @server.sio.on("flood")
    async def flood(sid):
        for n in range(1000):
            await server.sio.emit("n", n)

    lags = []

    async def heartbeat():  # measures how long the loop was busy between ticks
        while True:
            before = time.perf_counter()
            await asyncio.sleep(0.01)
            lags.append(time.perf_counter() - before - 0.01)

    ticker = asyncio.ensure_future(heartbeat())
    before, started = diagram.messages_sent, time.perf_counter()
    await clients[0].emit("flood")
    delivery = await settle(server, clients, timeout=20)
    await asyncio.sleep(FLUSH_INTERVAL * 2)  # the last coalesced flush
    elapsed = time.perf_counter() - started
    ticker.cancel()
    sent = diagram.messages_sent - before
    assert len(clients[2].inbox) == 1000
    assert diagram.flow.total == 1001  # the flood request and 1000 emits
    assert sent <= elapsed / FLUSH_INTERVAL + 2, f"{sent} widget messages in {elapsed:.2f} s"
    assert max(lags) < 0.5, f"the loop stalled {max(lags):.2f} s"
    last = diagram.state["steps"][-1]
    assert last["data"] == "999" and last["received"] == delivery.receivers("n")


async def test_browser_actions_drive_the_python_state(server):
    clients = await connect_clients(server.url, ["alice", "bob"])
    diagram = DeliveryDiagram(server, clients)
    for n in range(3):
        await server.sio.emit("n", n)
    await settle(server, clients)
    diagram._on_action(diagram, {"action": "step", "delta": -1}, [])
    diagram.flush()
    assert diagram.state["paused"] and diagram.state["shown"] == 1
    diagram._on_action(diagram, {"action": "show", "index": 0}, [])
    diagram.flush()
    assert diagram.state["steps"][diagram.state["shown"]]["data"] == "0"
    diagram._on_action(diagram, {"action": "toggle"}, [])
    diagram.flush()
    assert not diagram.state["paused"] and diagram.state["shown"] == 2


async def test_replay_shows_each_step_in_turn(server, monkeypatch):
    monkeypatch.setattr("chatlib.diagram.widget.REPLAY_STEP", 0.01)
    clients = await connect_clients(server.url, ["alice"])
    diagram = DeliveryDiagram(server, clients)
    seen = []
    diagram.observe(lambda change: seen.append(change["new"]["shown"]), names="state")
    for n in range(3):
        await server.sio.emit("n", n)
    await settle(server, clients)
    await asyncio.sleep(FLUSH_INTERVAL * 2)
    seen.clear()
    await asyncio.wait_for(diagram.replay(), 2)
    assert seen == [0, 1, 2]
    assert diagram.flow.paused


async def test_repr_is_stable_and_the_module_has_the_test_hooks(server):
    clients = await connect_clients(server.url, ["alice", "bob"])
    diagram = DeliveryDiagram(server, clients)
    assert repr(diagram) == "DeliveryDiagram(server 'test'; clients alice, bob)"
    js = (STATIC / "diagram.js").read_text()
    for hook in ("dg-delivered", "dg-skipped", "dg-ack", "dg-timeout", "data-step-seq"):
        assert hook in js or hook.replace("data-step-seq", "stepSeq") in js
    assert "innerHTML" not in js  # text goes in as text
    assert "export default" in str(diagram._esm) and "dg-svg" in str(diagram._css)
