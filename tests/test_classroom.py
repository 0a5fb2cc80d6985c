"""Classroom mode with real servers and clients: names, rooms, the presenter, the command."""

import asyncio
import re
import sys
from textwrap import indent

import pytest
import socketio
from socketio import exceptions

from chatlib import settle, wait_until
from chatlib.classroom.session import Classroom, join_message, start_class
from chatlib.classroom.student import JoinRefused, join_class


@pytest.fixture
async def room():
    classroom = await start_class("room")
    yield classroom
    await classroom.stop()


async def test_names_are_unique_and_a_clash_is_refused_clearly(room):
    ada = await join_class(room.url, "ada")
    other = socketio.AsyncClient(handle_sigint=False, reconnection=False)
    errors = []
    other.on("connect_error", errors.append)
    with pytest.raises(exceptions.ConnectionError):
        await other.connect(room.url, auth={"name": " ada "}, transports=["websocket"])
    assert errors == [{"message": "the name 'ada' is already taken: pick another name"}]
    assert room.online() == ["ada"] and ada.client.connected
    await ada.client.disconnect()
    await wait_until(lambda: room.online() == [], what="ada's name being released")
    await other.connect(room.url, auth={"name": "ada"}, transports=["websocket"])
    assert room.online() == ["ada"]
    await other.disconnect()


@pytest.mark.parametrize(
    ("name", "reason"),
    [
        ("", "cannot be empty"),
        (42, "display name as text"),
        ("x" * 25, "at most 24 characters"),
        ("bad\x1bname", "control characters"),
        ("\u202eadmin", "control characters"),
    ],
)
async def test_bad_names_are_refused(room, name, reason):
    client = socketio.AsyncClient(handle_sigint=False, reconnection=False)
    errors = []
    client.on("connect_error", errors.append)
    with pytest.raises(exceptions.ConnectionError):
        await client.connect(room.url, auth={"name": name}, transports=["websocket"])
    assert reason in errors[-1]["message"]
    assert room.online() == []


async def test_rejoining_from_the_same_kernel_takes_the_seat_back(room):
    first = await join_class(room.url, "ada")
    second = await join_class(room.url, "ada")  # the join cell, run again
    assert second.client.connected and not first.client.connected
    await wait_until(lambda: len(room.sio.members) == 1, what="the old connection closing")
    assert room.online() == ["ada"]


async def test_the_same_seat_takes_over_a_name_still_held_and_another_seat_cannot(room):
    seat = "s" * 22  # what the page keeps per tab; join_class keeps one per kernel
    old, new, thief = (
        socketio.AsyncClient(handle_sigint=False, reconnection=False) for _ in range(3)
    )
    await old.connect(room.url, auth={"name": "ada", "seat": seat}, transports=["websocket"])
    with pytest.raises(exceptions.ConnectionError):
        await thief.connect(
            room.url, auth={"name": "ada", "seat": "t" * 22}, transports=["websocket"]
        )
    await new.connect(room.url, auth={"name": "ada", "seat": seat}, transports=["websocket"])
    await wait_until(lambda: not old.connected, what="the old connection being closed")
    assert new.connected and room.online() == ["ada"]
    assert "ada rejoined: the previous connection is closed" in room.server.log.lines()
    await new.disconnect()


async def test_chat_with_names_and_rooms(room):
    ada, bob, cy = [await join_class(room.url, n) for n in ("ada", "bob", "cy")]
    await ada.say("hello everyone")
    await ada.join_room("group 1")
    await bob.join_room("group 1")
    await bob.say("just us", room="group 1")
    with pytest.raises(ValueError, match="join the room 'group 1' before writing to it"):
        await cy.say("let me in", room="group 1")
    await settle(room.server, ada.client, bob.client, cy.client)
    assert ada.chat_lines() == ["ada: hello everyone", "[group 1] bob: just us"]
    assert cy.chat_lines() == ["ada: hello everyone"]
    assert room.rooms() == {"group 1": ["ada", "bob"]}
    assert [str(m) for m in room.conversation] == ["ada: hello everyone", "[group 1] bob: just us"]


async def test_presenter_follows_live_and_shows_html_as_text(room):
    presenter = room.presenter(lines=2, max_names=2)
    assert presenter.text().splitlines()[0] == "0 online: nobody yet"
    mallory = await join_class(room.url, "<b>mallory</b>")
    ada, bob = await join_class(room.url, "ada"), await join_class(room.url, "bob")
    await mallory.say("<script>alert(1)</script>")
    await ada.join_room("lab")
    await ada.say("one")
    await bob.say("two")
    await settle(room.server, mallory.client, ada.client, bob.client)
    await wait_until(lambda: "bob: two" in presenter.conversation.value, what="a redraw")
    assert presenter.text().splitlines() == [
        "3 online: <b>mallory</b>, ada and 1 more",
        "room lab: ada",
        "—",
        "ada: one",
        "bob: two",
    ]
    redraws = presenter.redraws
    assert redraws < 10  # coalesced: not one redraw per log line
    await mallory.say("still <i>text</i>")
    await wait_until(lambda: "still" in presenter.conversation.value, what="a redraw")
    html = presenter.conversation.value + presenter.side.value
    assert "&lt;i&gt;text&lt;/i&gt;" in html and "&lt;b&gt;mallory&lt;/b&gt;" in html
    assert "<i>" not in html and "<b>mallory" not in html
    assert "font-size:28px" in presenter.conversation.value
    presenter.close()


def test_join_message_reads_like_jupyters():
    classroom = Classroom(host="192.0.2.10", port=8000, token="abc")
    text = join_message(classroom)
    assert "http://192.0.2.10:8000/?token=abc" in text
    assert 'await join_class("http://192.0.2.10:8000", name="your name", token="abc")' in text


async def run_command(*args):
    return await asyncio.create_subprocess_exec(
        sys.executable, "-m", "chatlib", "classroom", *args,
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
    )  # fmt: skip


async def test_the_command_prints_a_join_link_and_checks_the_token():
    process = await run_command("--port", "0", "--token", "from-the-test")
    try:
        lines = []
        while not any("join_class" in line for line in lines):
            lines.append((await asyncio.wait_for(process.stdout.readline(), 15)).decode())
        link = re.search(r"(http://127\.0\.0\.1:\d+/\?token=from-the-test)", "".join(lines))
        assert link, lines
        with pytest.raises(JoinRefused, match="wrong access token"):
            await join_class(link.group(1), "ada", token="nope")
        ada = await join_class(link.group(1), "ada")
        await ada.say("from the command's server")
        await wait_until(lambda: ada.chat_lines(), what="ada's message coming back")
        assert ada.chat_lines() == ["ada: from the command's server"]
        await ada.client.disconnect()
    finally:
        process.terminate()
        await asyncio.wait_for(process.wait(), 10)


async def test_the_command_says_when_the_port_is_taken(room):
    process = await run_command("--port", str(room.server.port))
    _, err = await asyncio.wait_for(process.communicate(), 15)
    assert process.returncode == 1
    assert b"pick another with --port" in err


async def test_breakout_exercise_checks_real_deliveries(room):
    from chatlib.exercises.classroom import BREAKOUT, breakout_room

    ada, bob, cy = [await join_class(room.url, n) for n in ("ada", "bob", "cy")]

    async def stub(ada, bob, cy):
        raise NotImplementedError

    async def to_everyone(ada, bob, cy):
        await ada.say(BREAKOUT)

    pasted: dict = {}  # the printed solution, pasted into the notebook's function body
    exec("async def solution(ada, bob, cy):\n" + indent(breakout_room._solution, "    "), pasted)
    solution = pasted["solution"]
    assert "client.call(" in breakout_room._solution  # plain python-socketio, no chatlib helper

    assert (await breakout_room.check(stub, room, ada, bob, cy)).status == "not attempted"
    wrong = await breakout_room.check(to_everyone, room, ada, bob, cy)
    assert str(wrong) == "incorrect: received by ada, bob, cy; should not reach cy"
    assert (await breakout_room.check(solution, room, ada, bob, cy)).correct


async def test_breakout_exercise_needs_the_joins_and_ada_as_the_sender(room):
    """Joins made by an earlier attempt do not count, and the message must be ada's."""
    from chatlib.exercises.classroom import BREAKOUT, ROOM, breakout_room

    ada, bob, cy = [await join_class(room.url, n) for n in ("ada", "bob", "cy")]
    await ada.join_room(ROOM)
    await bob.join_room(ROOM)  # as a previous, correct run of the cell leaves them

    async def bob_does_not_join(ada, bob, cy):
        await ada.join_room(ROOM)
        await ada.say(BREAKOUT, room=ROOM)

    async def bob_writes(ada, bob, cy):
        await ada.join_room(ROOM)
        await bob.join_room(ROOM)
        await bob.say(BREAKOUT, room=ROOM)

    async def cy_peeks(ada, bob, cy):
        await ada.join_room(ROOM)
        await bob.join_room(ROOM)
        await ada.say(BREAKOUT, room=ROOM)
        await cy.join_room(ROOM)

    outcome = await breakout_room.check(bob_does_not_join, room, ada, bob, cy)
    assert str(outcome) == "incorrect: received by ada; missing bob"
    outcome = await breakout_room.check(bob_writes, room, ada, bob, cy)
    assert str(outcome) == (
        "incorrect: ada got ('bob', 'our group only', 'group 1'), "
        "expected ('ada', 'our group only', 'group 1'): ada writes it"
    )
    outcome = await breakout_room.check(cy_peeks, room, ada, bob, cy)
    assert str(outcome) == "incorrect: 'group 1' holds ada, bob, cy: ada and bob should join it"


def test_the_command_leaves_its_start_up_out_of_full_collections():
    import gc

    from chatlib.classroom.session import leave_startup_out_of_full_collections

    assert gc.get_freeze_count() == 0
    try:
        leave_startup_out_of_full_collections()
        assert gc.get_freeze_count() > 10_000  # the modules, classes and functions loaded
    finally:
        gc.unfreeze()
