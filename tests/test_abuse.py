"""Bad input from one client: it gets a clear "no" (or is disconnected); everyone else chats on."""

import json

import aiohttp
import pytest
import socketio

from chatlib import assert_no_handler_errors, settle, wait_until
from chatlib.classroom.limits import Limits, RateLimit, check_text
from chatlib.classroom.session import start_class
from chatlib.classroom.student import join_class
from chatlib.protocol import MARKER_EVENT, SETTLE_EVENT


@pytest.fixture
async def room():
    classroom = await start_class("abuse", limits=Limits(per_second=1, burst=5, max_chars=100))
    yield classroom
    await classroom.stop()


async def everyone_still_chats(room, *panes):
    """The others can still talk: a fresh message reaches each of them."""
    before = [len(p.chat_lines()) for p in panes]
    await panes[0].say("still here?")
    await settle(room.server, *(p.client for p in panes))
    probe = f"{panes[0].client.name}: still here?"
    for pane, count in zip(panes, before, strict=True):
        assert pane.chat_lines()[count:].count(probe) == 1


def test_rate_limit_is_a_token_bucket():
    now = [0.0]
    limit = RateLimit(per_second=2, burst=3, clock=lambda: now[0])
    assert [limit.allow("a") for _ in range(4)] == [True, True, True, False]
    assert limit.allow("b")  # per client
    now[0] = 0.5
    assert [limit.allow("a"), limit.allow("a")] == [True, False]
    limit.forget("a")
    assert limit.allow("a")


def test_text_checks():
    assert check_text("two\nlines\tand a tab", 100) == "two\nlines\tand a tab"
    for bad, reason in [(b"bytes", "must be text"), ("", "empty"), ("x" * 101, "at most 100")]:
        with pytest.raises(ValueError, match=reason):
            check_text(bad, 100)
    with pytest.raises(ValueError, match="control characters"):
        check_text("bell\x07", 100)


async def test_a_flooding_client_is_told_to_slow_down_and_the_others_are_not(room):
    spammer, ada, bob = [await join_class(room.url, n) for n in ("spammer", "ada", "bob")]
    answers = [await spammer.client.call("chat message", f"spam {i}") for i in range(8)]
    assert answers[:5] == [{"ok": True}] * 5
    assert answers[5]["ok"] is False and "too many messages" in answers[5]["error"]
    with pytest.raises(ValueError, match="too many messages: at most 5 at once and 1 per second"):
        await spammer.say("once more")
    await everyone_still_chats(room, ada, bob, spammer)
    assert len([line for line in ada.chat_lines() if line.startswith("spammer:")]) == 5


async def test_a_message_too_long_is_refused_in_the_ack(room):
    ada, bob = await join_class(room.url, "ada"), await join_class(room.url, "bob")
    answer = await ada.client.call("chat message", "x" * 101)
    assert answer == {
        "ok": False,
        "error": "a chat message is at most 100 characters (this one: 101)",
    }
    await everyone_still_chats(room, bob, ada)
    assert not any("xxx" in line for line in bob.chat_lines())


async def test_a_frame_over_the_packet_limit_closes_only_that_connection(room):
    ada, bob = await join_class(room.url, "ada"), await join_class(room.url, "bob")
    big = socketio.AsyncClient(handle_sigint=False, reconnection=False)
    await big.connect(room.url, auth={"name": "big"}, transports=["websocket"])
    await big.emit("chat message", "y" * (room.limits.max_packet_bytes + 10))
    await wait_until(lambda: not big.connected, what="the oversized client being closed")
    await wait_until(lambda: "big" not in room.online(), what="big leaving the room")
    await everyone_still_chats(room, ada, bob)


async def test_reserved_and_unknown_events_are_refused_in_the_ack(room):
    ada = await join_class(room.url, "ada")
    raw = socketio.AsyncClient(handle_sigint=False, reconnection=False)  # does not check names
    await raw.connect(room.url, auth={"name": "raw"}, transports=["websocket"])
    disconnects = []
    room.sio.on("disconnect", lambda sid, reason: disconnects.append(sid))
    for event in ("disconnect", "connect", "disconnecting", "connect_error"):
        answer = await raw.call(event, "x")
        assert answer == {
            "ok": False,
            "error": f"'{event}' is a reserved event name: clients cannot send it",
        }
    assert await raw.call("launch missiles", 1) == {
        "ok": False,
        "error": "unknown event 'launch missiles': this server does not handle it",
    }
    assert disconnects == [] and raw.connected and room.online() == ["ada", "raw"]
    await raw.disconnect()
    await everyone_still_chats(room, ada)


async def test_chatlibs_own_events_answer_only_the_instructors_clients(room):
    ada = await join_class(room.url, "ada")  # a ChatClient of this process: the instructor's
    assert await ada.client.call(SETTLE_EVENT, timeout=5) is True
    await settle(room.server, ada.client)  # settle() still works for the instructor
    student = socketio.AsyncClient(handle_sigint=False, reconnection=False)  # anyone else
    await student.connect(room.url, auth={"name": "student"}, transports=["websocket"])
    answers = [await student.call(event, "x") for event in (SETTLE_EVENT, MARKER_EVENT) * 4]
    refused = [f"{event!r} is for the instructor's own clients: students cannot send it"
               for event in (SETTLE_EVENT, MARKER_EVENT)] * 3  # fmt: skip
    assert [a["error"] for a in answers[:5]] == refused[:5]  # refused, and counted: burst of 5
    assert all(a["ok"] is False and "too many messages" in a["error"] for a in answers[5:])
    await student.disconnect()


NOT_ENGINE_IO = "a client sent a frame that is not Engine.IO: closed"
MALFORMED = [  # (frame, the one line the server log says)
    ("42[bad json", "mallory sent a malformed packet (JSONDecodeError): disconnected"),
    ("42{}", "mallory sent an event without a name: disconnected"),
    ("42[]", "mallory sent an event without a name: disconnected"),
    ("42[123]", "mallory sent an event without a name: disconnected"),
    ('42"chat message"', "mallory sent an event without a name: disconnected"),
    ("4Z", "mallory sent a malformed packet (ValueError): disconnected"),  # no such type
    ("44", "mallory sent a malformed packet (ValueError): disconnected"),  # server-only type
    (  # an attachment that never comes
        '451-["chat message",{"_placeholder":true,"num":5}]',
        "mallory sent a malformed packet (IndexError): disconnected",
    ),
    ("43999[1]", "mallory sent an acknowledgement the server never asked for: disconnected"),
    (
        '461-[{"_placeholder":true,"num":0}]',  # a binary one
        "mallory sent an acknowledgement the server never asked for: disconnected",
    ),
    (
        '42/nowhere,["chat message","hi"]',
        "mallory sent an event for a namespace it has not joined: disconnected",
    ),
    (  # JSON nested deeper than the decoder's stack
        '42["chat message",' + "[" * 3000 + "]" * 3000 + "]",
        "mallory sent a malformed packet (RecursionError): disconnected",
    ),
    (
        '459999999999-["chat message",{"_placeholder":true,"num":0}]',
        "mallory sent a binary packet announcing 9,999,999,999 attachments (at most 10)"
        ": disconnected",
    ),
    ("4" + "[" * 3000 + "]" * 3000, NOT_ENGINE_IO),
    ("x", NOT_ENGINE_IO),
    ("", NOT_ENGINE_IO),
]


async def raw_socket(http, url, name):
    """A websocket speaking Engine.IO/Socket.IO frames directly, as a hostile client could."""
    ws = await http.ws_connect(
        url.replace("http://", "ws://") + "/socket.io/?EIO=4&transport=websocket"
    )
    assert (await ws.receive_str(timeout=5)).startswith("0{")
    await ws.send_str("40" + json.dumps({"name": name}))
    assert (await ws.receive_str(timeout=5)).startswith("40{")
    return ws


@pytest.mark.parametrize(("frame", "logged"), MALFORMED, ids=[repr(f) for f, _ in MALFORMED])
async def test_malformed_frames_from_one_client_do_not_affect_the_others(room, frame, logged):
    ada, bob = await join_class(room.url, "ada"), await join_class(room.url, "bob")
    async with aiohttp.ClientSession() as http:
        ws = await raw_socket(http, room.url, "mallory")
        await ws.send_str(frame)
        await ws.send_str('42["chat message","after the bad frame"]')
        await everyone_still_chats(room, ada, bob)
        await wait_until(lambda: "mallory" not in room.online(), what="mallory being dropped")
        assert room.server.log.lines("refused", "dropped") == [logged]
        closed = await ws.receive(timeout=5)  # a CLOSE packet, then the connection ends
        while closed.type == aiohttp.WSMsgType.TEXT:
            closed = await ws.receive(timeout=5)
        assert closed.type in (aiohttp.WSMsgType.CLOSE, aiohttp.WSMsgType.CLOSED)
    assert room.server.errors == []
    assert assert_no_handler_errors()
    await wait_until(lambda: room.online() == ["ada", "bob"], what="mallory gone")


async def polling_session(http, url, name):
    """An Engine.IO session on HTTP long-polling that joins ``/`` as ``name``; its URL."""
    async with http.get(url + "/socket.io/?EIO=4&transport=polling") as response:
        opened = json.loads((await response.text())[1:])
    session = f"{url}/socket.io/?EIO=4&transport=polling&sid={opened['sid']}"
    async with http.post(session, data="40" + json.dumps({"name": name})) as response:
        assert response.status == 200
    return session


async def test_an_oversize_polling_post_is_answered_at_once_and_closes_the_session(room):
    ada = await join_class(room.url, "ada")
    timeout = aiohttp.ClientTimeout(total=10)
    async with aiohttp.ClientSession(timeout=timeout) as http:
        session = await polling_session(http, room.url, "mallory")
        await wait_until(lambda: "mallory" in room.online(), what="mallory joining")
        big = '42["chat message","' + "y" * room.limits.max_packet_bytes + '"]'
        async with http.post(session, data=big) as response:
            assert response.status == 400
        async with http.get(session) as response:
            assert response.status == 400 and "Invalid session" in await response.text()
    assert room.online() == ["ada"]
    limit = f"{room.limits.max_packet_bytes:,}"
    assert room.server.log.lines("refused", "dropped") == [
        f"mallory sent a request over {limit} bytes: closed"
    ]
    await everyone_still_chats(room, ada)


async def test_binary_garbage_and_a_torrent_of_frames_leave_the_others_alone(room):
    ada, bob = await join_class(room.url, "ada"), await join_class(room.url, "bob")
    async with aiohttp.ClientSession() as http:
        ws = await raw_socket(http, room.url, "mallory")
        await ws.send_bytes(b"\x00\xff\xfe garbage")
        for frame, _ in MALFORMED * 20:
            if ws.closed:
                break
            await ws.send_str(frame)
        await everyone_still_chats(room, ada, bob)
        await ws.close()
    assert room.server.errors == []


async def test_cross_origin_pages_are_refused_and_the_own_page_is_not(room):
    ws_url = room.url.replace("http://", "ws://") + "/socket.io/?EIO=4&transport=websocket"
    async with aiohttp.ClientSession() as http:
        with pytest.raises(aiohttp.WSServerHandshakeError) as refused:
            await http.ws_connect(ws_url, headers={"Origin": "http://evil.example"})
        assert refused.value.status == 400
        async with http.get(
            room.url + "/socket.io/?EIO=4&transport=polling",
            headers={"Origin": "http://evil.example"},
        ) as response:
            assert response.status == 400
            assert "not an accepted origin" in await response.text()
        own = await http.ws_connect(ws_url, headers={"Origin": room.url})
        assert (await own.receive_str(timeout=5)).startswith("0{")
        await own.close()


async def test_the_page_shows_names_and_messages_as_text(room):
    async with aiohttp.ClientSession() as http, http.get(room.url + "/") as response:
        page = await response.text()
    assert response.status == 200
    assert "innerHTML" not in page and "insertAdjacentHTML" not in page
    assert "who.textContent =" in page and "document.createTextNode(text)" in page
