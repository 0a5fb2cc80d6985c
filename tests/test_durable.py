"""The durable chat server and client: bad input, garbage offsets, replay, retries, restarts."""

import asyncio

import pytest
import socketio

from chatlib import ChatClient, add_chat_handlers, settle, start_server, stop_all
from chatlib.durable.faults import drop_connection, slow_acks
from chatlib.durable.ledger import ledger
from chatlib.durable.reliable import (
    DeliveryFailed,
    DurableClient,
    connect_durable_clients,
    wait_connected,
)
from chatlib.durable.server import MAX_CLIENT_OFFSET_LENGTH, DurableChatServer
from chatlib.durable.widgets import DurableStage, reconnect


@pytest.fixture
async def chat(tmp_path):
    server = await DurableChatServer("durable", tmp_path / "chat.db", chat_page=False).start()
    yield server
    await server.stop()
    await stop_all()


BAD_MESSAGES = [
    ((42, "a-1"), "a chat message must be text, not int"),
    ((None, "a-2"), "a chat message must be text, not NoneType"),
    (("   ", "a-3"), "a chat message cannot be empty"),
    (("x" * 501, "a-4"), "a chat message is at most 500 characters"),
    (("fine", 42), "a client offset must be a non-empty string"),
    (("fine", ""), "a client offset must be a non-empty string"),
    (("fine", "o" * (MAX_CLIENT_OFFSET_LENGTH + 1)), "a client offset must be a non-empty string"),
]


async def test_bad_input_is_refused_in_the_ack_not_stored_not_sent_and_others_are_served(chat):
    alice, bob = await connect_durable_clients(chat.url, ["alice", "bob"])
    for args, error in BAD_MESSAGES:
        answer = await alice.call("chat message", args, timeout=5)
        assert answer["ok"] is False
        assert answer["error"].startswith(error)
    await settle(chat, [alice, bob])
    assert await chat.store.count() == 0
    assert bob.received("chat message") == []

    assert await bob.send("still here") == {"ok": True, "offset": 1}
    await settle(chat, [alice, bob])
    assert [m.text for m in alice.shown] == ["still here"]
    assert chat.errors == []


async def test_a_refused_message_raises_for_chat_so_a_pane_can_show_why(chat):
    (alice,) = await connect_durable_clients(chat.url, ["alice"])
    with pytest.raises(ValueError, match="cannot be empty"):
        await alice.chat("  ")


@pytest.mark.parametrize("offset", ["abc", -3, 1.5, True, [1], {"id": 1}, 10**9])
async def test_a_garbage_server_offset_gets_the_whole_history_not_a_crash(chat, offset):
    (alice,) = await connect_durable_clients(chat.url, ["alice"])
    for text in ["one", "two", "three"]:
        await alice.send(text)
    odd = ChatClient("mallory")
    await odd.connect(chat.url, auth={"serverOffset": offset})
    await settle(chat, [alice, odd])
    assert odd.connected
    assert odd.received("chat message") == [("one", 1), ("two", 2), ("three", 3)]
    assert any("whole history" in line for line in chat.log.lines("server"))
    assert chat.errors == []


async def test_auth_that_is_not_a_dict_is_treated_as_a_first_connection(chat):
    (alice,) = await connect_durable_clients(chat.url, ["alice"])
    await alice.send("hello")
    raw = socketio.AsyncClient(handle_sigint=False)
    got = []
    raw.on("chat message", lambda *args: got.append(args))
    await raw.connect(chat.url, auth="garbage", transports=["websocket"], wait_timeout=5)
    await raw.call("chatlib:settle", timeout=5)  # the server has answered the connect
    await raw.disconnect()
    assert got == [("hello", 1)]


async def test_a_client_that_was_offline_gets_what_it_missed_once_in_order(chat):
    clients = await connect_durable_clients(chat.url, ["alice", "bob", "carol"])
    alice, bob, _carol = clients
    await alice.send("before")
    await settle(chat, clients)
    await bob.disconnect()
    await alice.send("missed 1")
    await alice.send("missed 2")
    await reconnect(bob)
    await alice.send("after")
    await settle(chat, clients)
    assert bob.shown_texts() == ["before", "missed 1", "missed 2", "after"]
    assert (await ledger(chat, clients)).ok


async def test_a_dropped_connection_comes_back_by_itself_and_catches_up(chat):
    clients = await connect_durable_clients(chat.url, ["alice", "bob"])
    alice, bob = clients
    drop_connection(chat, bob)
    await alice.send("while bob was away")
    await wait_connected(clients)
    await settle(chat, clients)
    assert bob.shown_texts() == ["while bob was away"]


async def test_a_late_ack_makes_the_client_retry_and_the_retry_is_stored_once(chat):
    clients = await connect_durable_clients(chat.url, ["alice", "bob"], ack_timeout=0.3)
    alice, _bob = clients
    with slow_acks(chat, 0.6):
        answer = await alice.send("patience")
    assert answer == {"ok": True, "offset": 1, "duplicate": True}
    assert alice.attempts == 2 and chat.duplicates == 1
    await settle(chat, clients)
    assert await chat.store.count() == 1
    report = await ledger(chat, clients)
    assert report.ok, report.verdict()


async def test_a_restart_keeps_history_and_clients_reconnect_to_the_same_port(chat):
    clients = await connect_durable_clients(chat.url, ["alice", "bob"])
    alice, bob = clients
    url = chat.url
    await alice.send("before the crash")
    await chat.crash()
    sending = alice.send("during the crash")  # waits for the reconnection, then sends
    await chat.start()
    assert chat.url == url
    assert (await sending)["ok"]
    await wait_connected(clients)
    await settle(chat, clients)
    assert bob.shown_texts() == ["before the crash", "during the crash"]
    assert "server 'durable' crashed" in chat.log.lines("server")


async def test_a_polite_stop_tells_clients_not_to_come_back(chat):
    (alice,) = await connect_durable_clients(chat.url, ["alice"])
    await chat.stop()
    assert not alice.connected
    assert alice._reconnect_task is None


async def test_the_stage_shows_each_message_once_with_its_id(chat):
    clients = await connect_durable_clients(chat.url, ["alice", "bob"])
    stage = DurableStage(chat, clients)
    await clients[0].send("hi")
    await settle(chat, clients)
    stage.refresh()
    assert repr(stage) == "DurableStage(server 'durable'; clients alice, bob)"
    assert stage.panes[1].lines() == ["#1 hi"]
    toggle = stage.panes[1].children[-1].children[0]
    assert toggle.description == "Disconnect"
    await toggle.toggle()
    assert not clients[1].connected and toggle.description == "Connect"
    await toggle.toggle()
    assert clients[1].connected and toggle.description == "Disconnect"


async def test_the_plain_chat_accepts_the_page_s_client_offset():
    server = await start_server("plain")
    add_chat_handlers(server.sio)
    try:
        client = ChatClient("alice")
        await client.connect(server.url)
        assert await client.call("chat message", ("hi", "alice-x-1"), timeout=5) == {"ok": True}
        assert server.errors == []
    finally:
        await stop_all()


async def test_a_client_that_cannot_reach_the_server_gives_up_with_a_clear_error(chat):
    client = DurableClient("alice", ack_timeout=0.1, retries=1)
    with pytest.raises(DeliveryFailed, match="after 2 attempts"):
        await client.send("nobody listens")


async def test_a_deleted_database_is_never_acknowledged_ok_and_the_log_says_so_once(chat):
    clients = await connect_durable_clients(chat.url, ["alice", "bob"], retries=0)
    alice, _bob = clients
    assert (await alice.send("stored"))["ok"]
    chat.db.unlink()
    answers = [await alice.send(f"after the deletion {i}") for i in range(3)]
    for answer in answers:
        assert answer["ok"] is False and answer["retry"] is True
        assert answer["error"].startswith(f"not stored: the database file {chat.db} was deleted")
    errors = chat.log.lines("error")
    assert len(errors) == 1 and "not being stored" in errors[0]
    await chat.restart()
    await wait_connected(clients)
    acknowledged = [a["offset"] for a in answers if a.get("ok")]
    stored = {m.id for m in await chat.store.all()}
    assert set(acknowledged) <= stored and acknowledged == []
    assert (await alice.send("after the restart"))["ok"]  # a new file takes messages


async def test_a_full_disk_is_answered_with_an_error_and_the_message_is_sent_again(chat):
    clients = await connect_durable_clients(chat.url, ["alice", "bob"], ack_timeout=0.3)
    alice, bob = clients
    await alice.send("before")
    pages = (await chat.store.db.execute_fetchall("PRAGMA page_count"))[0][0]
    await chat.store.db.execute(f"PRAGMA max_page_count = {pages}")
    first_refusal = asyncio.Event()
    chat.log.subscribe(lambda entry: entry.kind == "error" and first_refusal.set())
    sending = asyncio.ensure_future(_send_until_full(alice))
    await asyncio.wait_for(first_refusal.wait(), 10)
    assert "is full" in chat.log.lines("error")[0]
    await chat.store.db.execute("PRAGMA max_page_count = 1000000")  # space is back
    text, refused_first, answer = await asyncio.wait_for(sending, 10)
    assert refused_first["ok"] is False and "is full" in refused_first["error"]
    assert answer["ok"] is True  # the same message, sent again by the client
    await settle(chat, clients)
    assert bob.shown_texts().count(text) == 1 and bob.shown_texts()[-1] == text
    assert "chat messages are stored again" in chat.log.lines("server")


async def _send_until_full(alice: DurableClient) -> tuple[str, dict, dict]:
    """Send until the server answers "full": that message, its refusal, its final answer."""
    refusals: list[dict] = []
    original = alice.call

    async def watched(event, data=None, **options):
        answer = await original(event, data, **options)
        if isinstance(answer, dict) and answer.get("ok") is False:
            refusals.append(answer)
        return answer

    alice.call = watched  # type: ignore[method-assign]
    for i in range(500):
        text = f"{i:03d} " + "x" * 400  # big enough to need new pages
        answer = await alice.send(text)
        if refusals:
            return text, refusals[0], answer
    raise AssertionError("the database never filled up")


async def test_bob_reusing_alice_s_client_offset_is_stored_and_delivered(chat):
    clients = await connect_durable_clients(chat.url, ["alice", "bob", "carol"])
    alice, bob, carol = clients
    assert await alice.call("chat message", ("alice's", "same-1"), timeout=5) == {
        "ok": True,
        "offset": 1,
    }
    assert await bob.call("chat message", ("bob's", "same-1"), timeout=5) == {
        "ok": True,
        "offset": 2,
    }
    retry = await alice.call("chat message", ("alice's", "same-1"), timeout=5)
    assert retry == {"ok": True, "offset": 1, "duplicate": True}
    await settle(chat, clients)
    assert carol.shown_texts() == ["alice's", "bob's"]


async def test_a_200_character_name_still_gets_every_message_accepted(chat):
    name = "n" * 200
    (long_named,) = await connect_durable_clients(chat.url, [name])
    assert len(long_named.next_client_offset()) <= MAX_CLIENT_OFFSET_LENGTH
    answers = [await long_named.send(f"m{i}") for i in range(3)]
    assert [a["ok"] for a in answers] == [True, True, True]
    assert {m.sender for m in await chat.store.all()} == {name[:40]}  # as the server shows it
