import pytest

from chatlib import ChatClient, connect_clients, settle, wait_until


async def test_inbox_keeps_the_order_of_the_wire(server):
    alice, bob = await connect_clients(server.url, ["alice", "bob"])

    @server.sio.on("count")
    async def count(sid, n):
        await server.sio.emit("count", n, to=sid)

    for n in range(100):
        await alice.emit("count", n)
    await settle(server, alice, bob)
    # the server's handlers may finish in any order; the record is what arrived, in order
    assert sorted(alice.received("count")) == list(range(100))

    @server.sio.on("burst")
    async def burst(sid):
        for n in range(200):
            await server.sio.emit("burst", n, to=sid)

    await bob.emit("burst")
    await settle(server, alice, bob)
    assert bob.received("burst") == list(range(200))


async def test_name_travels_in_auth_with_the_clients_own_fields(server):
    seen = {}

    @server.sio.event
    async def connect(sid, environ, auth):
        seen[sid] = auth

    alice = ChatClient("alice")
    await alice.connect(server.url, auth={"token": "t1"})
    assert seen[alice.get_sid()] == {"name": "alice", "token": "t1"}

    calls = []

    def fresh_auth():
        calls.append(1)
        return {"offset": len(calls)}

    bob = ChatClient("bob")
    await bob.connect(server.url, auth=fresh_auth)
    assert seen[bob.get_sid()] == {"name": "bob", "offset": 1}


async def test_a_new_client_of_the_same_name_replaces_the_old_one(server):
    first = ChatClient("alice")
    await first.connect(server.url)
    second = ChatClient("alice")
    await second.connect(server.url)
    assert not first.connected and second.connected
    await wait_until(lambda: len(server.sio.eio.sockets) == 1, what="one connection left")


async def test_clients_refuse_reserved_event_names(server):
    (alice,) = await connect_clients(server.url, ["alice"])
    for name in ["connect", "disconnect", "connect_error", "disconnecting"]:
        with pytest.raises(ValueError, match="reserved"):
            await alice.emit(name, "x")
    assert alice.connected


def test_no_sigint_handler_by_default():
    assert ChatClient("alice").handle_sigint is False


async def test_history_merges_sent_and_received_in_order(server):
    (alice,) = await connect_clients(server.url, ["alice"])

    @server.sio.on("ping me")
    async def ping_me(sid, data):
        await server.sio.emit("pong", data, to=sid)

    await alice.emit("ping me", 1)
    await settle(server, alice)
    assert [str(m) for m in alice.history()] == ["→ ping me 1", "← pong 1"]
    assert [str(m) for m in alice.history(limit=1)] == ["← pong 1"]


async def test_connect_errors_are_kept(server):
    from socketio import exceptions

    @server.sio.event
    async def connect(sid, environ, auth):
        raise exceptions.ConnectionRefusedError("no entry", {"why": "test"})

    alice = ChatClient("alice", reconnection=False)
    with pytest.raises(exceptions.ConnectionError):
        await alice.connect(server.url)
    assert alice.connect_errors == [{"message": "no entry", "data": {"why": "test"}}]
    assert "alice refused on /: no entry" in server.log.lines("connect")
