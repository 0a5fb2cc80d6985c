import asyncio

import pytest

from chatlib import ChatClient, EmbeddedServer, SettleTimeout, connect_clients, settle


async def test_table_shows_who_received_what(server):
    clients = await connect_clients(server.url, ["alice", "bob", "carol"])
    alice = clients[0]

    @server.sio.on("chat message")
    async def chat(sid, msg):
        await server.sio.emit("chat message", msg, skip_sid=sid)

    await alice.chat("hello")
    delivery = await settle(server, clients)
    assert delivery.receivers("chat message") == ["bob", "carol"]
    assert str(delivery).splitlines() == [
        "from   event         data     alice  bob  carol",
        "alice  chat message  'hello'  ·      ✓    ✓",
    ]
    # a second settle starts from where the first stopped
    assert str(await settle(server, clients)) == "nothing was sent or received"


async def test_settle_waits_for_slow_handlers(server):
    alice, bob = await connect_clients(server.url, ["alice", "bob"])
    release = asyncio.Event()

    @server.sio.on("slow")
    async def slow(sid, data):
        await release.wait()
        await server.sio.emit("slow", data)

    await alice.emit("slow", "late")
    asyncio.get_running_loop().call_later(0.2, release.set)
    delivery = await settle(server, alice, bob)
    assert delivery.receivers("slow") == ["alice", "bob"]


async def test_duplicates_are_counted(server):
    alice, bob = await connect_clients(server.url, ["alice", "bob"])

    @server.sio.on("twice")
    async def twice(sid, data):
        await server.sio.emit("twice", data, to=sid)
        await server.sio.emit("twice", data, to=sid)

    await alice.emit("twice", "x")
    table = str(await settle(server, alice, bob))
    assert table.splitlines()[1].split() == ["alice", "twice", "'x'", "✓×2", "·"]


async def test_timeout_names_the_client_that_is_missing(server):
    other = await EmbeddedServer("elsewhere").start()
    try:
        (alice,) = await connect_clients(server.url, ["alice"])
        bob = ChatClient("bob")
        await bob.connect(other.url)
        with pytest.raises(SettleTimeout, match=r"^bob did not receive the barrier"):
            await settle(server, alice, bob, timeout=0.3)
    finally:
        await other.stop()


async def test_timeout_when_the_server_never_answers(server):
    alice = ChatClient("alice")
    await alice.connect(server.url)

    @server.sio.on("hang")
    async def hang(sid):
        await asyncio.Event().wait()

    await alice.emit("hang")
    with pytest.raises(TimeoutError, match="handler"):
        await settle(server, alice, timeout=0.3)


async def test_html_rendering_escapes_payloads(server):
    alice, bob = await connect_clients(server.url, ["alice", "bob"])

    @server.sio.on("chat message")
    async def chat(sid, msg):
        await server.sio.emit("chat message", msg)

    await alice.chat("<b>bold</b>")
    html = (await settle(server, alice, bob))._repr_html_()
    assert "<b>bold</b>" not in html
    assert "&lt;b&gt;bold&lt;/b&gt;" in html


def test_settle_rejects_what_it_cannot_wait_for():
    with pytest.raises(TypeError, match="settle"):
        asyncio.run(settle("not a server"))
