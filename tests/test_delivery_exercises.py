"""The delivery exercises: each reference solution is correct, plausible mistakes are not."""

import pytest
from socketio.exceptions import TimeoutError as AckTimeout

from chatlib import stop_all
from chatlib.durable.reliable import connect_durable_clients
from chatlib.durable.server import DurableChatServer
from chatlib.exercises.delivery import send_once_exercise, stored_once, welcome_back
from tests.exercise_support import (
    connect_answer,
    expect_correct,
    expect_not_attempted,
    incorrect,
    shipped_answer_tests,
)


@pytest.fixture(autouse=True)
async def no_client_outlives_its_test():
    """Each check connects clients of its own; the next test starts without them."""
    yield
    await stop_all()


# --- send once ---------------------------------------------------------------------------------
@pytest.fixture
async def chat(tmp_path):
    server = await DurableChatServer("exercise", tmp_path / "chat.db", chat_page=False).start()
    (alice,) = await connect_durable_clients(server.url, ["alice"])
    yield server, alice
    await server.stop()


async def test_send_once_the_stub_is_not_attempted_and_the_solution_is_correct(chat, capsys):
    await expect_not_attempted(send_once_exercise, capsys, *chat)
    await expect_correct(send_once_exercise, *chat)


async def test_a_new_client_offset_per_attempt_is_incorrect(chat):
    async def send_once(client, text):
        for _attempt in range(6):
            try:
                offset = client.next_client_offset()  # the mistake: a new one each time
                return await client.call("chat message", (text, offset), timeout=0.2)
            except AckTimeout:
                pass

    assert "same client offset" in await incorrect(send_once_exercise, send_once, *chat)


async def test_waiting_for_the_late_answer_instead_of_retrying_is_incorrect(chat):
    async def send_once(client, text):
        return await client.call("chat message", (text, client.next_client_offset()), timeout=5)

    message = await incorrect(send_once_exercise, send_once, *chat)
    assert "waited for the late acknowledgement" in message


# --- welcome back and once per sender: the stub and the printed solution ----------------------
test_the_shipped_stub_is_not_attempted, test_the_reference_solution_is_correct = (
    shipped_answer_tests([welcome_back, stored_once])
)


# --- welcome back: wrong connect handlers ------------------------------------------------------
def name_in(auth):
    return (auth or {}).get("name", "anonymous")


async def ignores_recovery(sio, sid, auth):
    await sio.emit("welcome", f"welcome, {name_in(auth)}", to=sid)


async def takes_the_pid_in_auth_for_recovered(sio, sid, auth):
    word = "welcome back" if "pid" in (auth or {}) else "welcome"
    await sio.emit("welcome", f"{word}, {name_in(auth)}", to=sid)


async def welcomes_everyone(sio, sid, auth):
    word = "welcome back" if sio.recovered(sid) else "welcome"
    await sio.emit("welcome", f"{word}, {name_in(auth)}")


async def needs_auth(sio, sid, auth):
    word = "welcome back" if sio.recovered(sid) else "welcome"
    await sio.emit("welcome", f"{word}, {auth['name']}", to=sid)


async def refuses_recovered_connections(sio, sid, auth):
    if sio.recovered(sid):
        return False
    await sio.emit("welcome", f"welcome, {name_in(auth)}", to=sid)
    return None


WRONG_WELCOMES = [
    (ignores_recovery, ["vic got 'welcome, vic', expected 'welcome back, vic'"]),
    (
        takes_the_pid_in_auth_for_recovered,
        ["left on purpose", "uma got 'welcome back, uma', expected 'welcome, uma'"],
    ),
    (welcomes_everyone, ["uma got 'welcome, uma', 'welcome, vic', expected 'welcome, uma'"]),
    (needs_auth, ["a client without auth could not connect"]),
    (refuses_recovered_connections, ["vic", "recovered"]),
]


@pytest.mark.parametrize(
    ("connect", "says"), WRONG_WELCOMES, ids=[c.__name__ for c, _ in WRONG_WELCOMES]
)
async def test_a_wrong_welcome_is_incorrect_and_says_why(connect, says):
    message = await incorrect(welcome_back, connect_answer(connect))
    assert [part for part in says if part not in message] == [], message


# --- once per sender: wrong de-duplications ----------------------------------------------------
def name_in_session(sio):
    @sio.event
    async def connect(sid, environ, auth):
        await sio.save_session(sid, {"name": name_in(auth)})


async def by_offset_alone(sio, sid, client_offset):
    return client_offset  # the mistake: another sender's offset hides this message


async def by_sender_and_offset(sio, sid, client_offset):
    return (await sio.get_session(sid))["name"], client_offset


def send_on_once(sio, key_of, answer_to_a_repeat):
    """What the wrong answers below share with the right one: a message whose key
    ``key_of(sio, sid, client_offset)`` was seen before is answered, not sent on again."""
    seen = set()

    async def chat_message(sid, msg, client_offset):
        key = await key_of(sio, sid, client_offset)
        if key in seen:
            return answer_to_a_repeat
        seen.add(key)
        await sio.emit("chat message", msg)
        return {"ok": True}

    sio.on("chat message", chat_message)


REPEAT_ACKNOWLEDGED = {"ok": True, "duplicate": True}


def keyed_by_the_offset_alone(sio):
    send_on_once(sio, by_offset_alone, REPEAT_ACKNOWLEDGED)


def sent_on_every_time(sio):
    async def chat_message(sid, msg, client_offset):
        await sio.emit("chat message", msg)
        return {"ok": True}

    sio.on("chat message", chat_message)


def a_repeat_left_unacknowledged(sio):
    name_in_session(sio)
    send_on_once(sio, by_sender_and_offset, None)  # the sender hears nothing, retries for ever


def names_read_from_auth_alone(sio):
    @sio.event
    async def connect(sid, environ, auth):
        await sio.save_session(sid, {"name": auth["name"]})

    send_on_once(sio, by_sender_and_offset, REPEAT_ACKNOWLEDGED)


WRONG_DEDUPS = [
    (keyed_by_the_offset_alone, ["when vic sent ('hey', 'm-1')", "expected {'ok': True}"]),
    (sent_on_every_time, ["again, a retry"]),
    (a_repeat_left_unacknowledged, ["the acknowledgement was None"]),
    # auth["name"] without auth: the handler's own error is the verdict
    (
        names_read_from_auth_alone,
        ["your code raised in the server: TypeError: 'NoneType' object is not subscriptable"],
    ),
]


@pytest.mark.parametrize(
    ("add_dedup", "says"), WRONG_DEDUPS, ids=[a.__name__ for a, _ in WRONG_DEDUPS]
)
async def test_a_wrong_dedup_is_incorrect_and_says_why(add_dedup, says):
    message = await incorrect(stored_once, add_dedup)
    assert [part for part in says if part not in message] == [], message
