"""Classroom names that cannot be faked: look-alikes of a name already here are refused.

Every look-alike below was accepted beside ``ada`` before names were compared
by their normalised, confusable skeleton; each is now refused with a reason,
on a real classroom server with real clients.
"""

import pytest
import socketio
from socketio import exceptions

from chatlib import wait_until
from chatlib.classroom.limits import check_name, name_key
from chatlib.classroom.session import start_class
from chatlib.classroom.student import join_class

LOOK_ALIKES_OF_ADA = {
    "other case": "Ada",
    "zero-width space": "ada\u200b",
    "word joiner": "ada\u2060",
    "Mongolian vowel separator": "ada\u180e",
    "soft hyphen": "ada\u00ad",
    "Cyrillic a": "\u0430da",
    "fullwidth letters": "\uff41\uff44\uff41",
}


@pytest.fixture
async def room():
    classroom = await start_class("names")
    yield classroom
    await classroom.stop()


async def _refusal(url: str, name: str) -> str:
    client = socketio.AsyncClient(handle_sigint=False, reconnection=False)
    errors: list = []
    client.on("connect_error", errors.append)
    with pytest.raises(exceptions.ConnectionError):
        await client.connect(url, auth={"name": name}, transports=["websocket"])
    return errors[-1]["message"]


@pytest.mark.parametrize("name", LOOK_ALIKES_OF_ADA.values(), ids=LOOK_ALIKES_OF_ADA.keys())
async def test_a_name_that_looks_like_one_already_here_is_refused(room, name):
    ada = await join_class(room.url, "ada")
    message = await _refusal(room.url, name)
    assert message == (
        f"the name {name!r} looks the same as 'ada', who is already here: "
        "pick a name that looks different"
    )
    assert room.online() == ["ada"] and ada.client.connected


@pytest.mark.parametrize("name", ["\u3164", "\u200b", "\u200b\u2060", "\u2800"])
async def test_a_name_that_shows_as_nothing_is_refused(room, name):
    message = await _refusal(room.url, name)
    assert "at least one visible letter, digit or symbol" in message
    assert room.online() == []


async def test_names_that_look_different_are_all_accepted_and_shown_as_typed(room):
    names = ["ada", "Bob", "Zoë", "zoe", "李雷", "Ada Lovelace", " grace "]
    students = [await join_class(room.url, name) for name in names]
    assert room.online() == sorted(["ada", "Bob", "Zoë", "zoe", "李雷", "Ada Lovelace", "grace"])
    assert all(student.client.connected for student in students)


async def test_the_look_alike_gets_the_name_once_its_holder_left(room):
    ada = await join_class(room.url, "ada")
    assert "looks the same" in await _refusal(room.url, "Ada")
    await ada.client.disconnect()
    await wait_until(lambda: room.online() == [], what="ada's name being released")
    second = await join_class(room.url, "Ada")
    assert room.online() == ["Ada"] and second.client.connected


def test_the_key_folds_case_invisibles_and_look_alikes_but_keeps_distinct_letters():
    assert {name_key(n) for n in LOOK_ALIKES_OF_ADA.values()} == {name_key("ada")}
    assert name_key("Ian") == name_key("lan") == name_key("ian")  # a capital I is drawn as l
    assert name_key("b0b") == name_key("bob")
    assert len({name_key(n) for n in ["ada", "bob", "zoë", "zoe", "eve", "李雷"]}) == 6
    assert check_name("  Ada\u200b ") == "Ada\u200b"  # shown as typed, trimmed
