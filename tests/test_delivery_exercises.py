"""The delivery exercises: each reference solution is correct, plausible mistakes are not."""

import pytest
from socketio.exceptions import TimeoutError as AckTimeout

from chatlib import stop_all
from chatlib.durable.reliable import connect_durable_clients
from chatlib.durable.server import DurableChatServer
from chatlib.exercises.delivery import (
    DEDUP_SOLUTION,
    SOLUTION,
    WELCOME_SOLUTION,
    send_once_exercise,
    stored_once,
    welcome_back,
)


@pytest.fixture
async def chat(tmp_path):
    server = await DurableChatServer("exercise", tmp_path / "chat.db", chat_page=False).start()
    (alice,) = await connect_durable_clients(server.url, ["alice"])
    yield server, alice
    await server.stop()
    await stop_all()


async def test_the_reference_solution_is_correct(chat):
    namespace: dict = {}
    exec(SOLUTION, namespace)
    outcome = await send_once_exercise.check(namespace["send_once"], *chat)
    assert outcome.status == "correct"


async def test_a_new_client_offset_per_attempt_is_incorrect(chat):
    async def send_once(client, text):
        for _attempt in range(6):
            try:
                offset = client.next_client_offset()  # the mistake: a new one each time
                return await client.call("chat message", (text, offset), timeout=0.2)
            except AckTimeout:
                pass

    outcome = await send_once_exercise.check(send_once, *chat)
    assert outcome.status == "incorrect"
    assert "same client offset" in outcome.message


async def test_waiting_for_the_late_answer_instead_of_retrying_is_incorrect(chat):
    async def send_once(client, text):
        return await client.call("chat message", (text, client.next_client_offset()), timeout=5)

    outcome = await send_once_exercise.check(send_once, *chat)
    assert outcome.status == "incorrect"
    assert "waited for the late acknowledgement" in outcome.message


async def test_the_stub_is_not_attempted(chat):
    async def send_once(client, text):
        raise NotImplementedError

    outcome = await send_once_exercise.check(send_once, *chat)
    assert outcome.status == "not attempted"


# --- welcome back ----------------------------------------------------------------------------
async def welcome_check(installer):
    try:
        return await welcome_back.check(installer)
    finally:
        await stop_all()


async def test_the_reference_welcome_is_correct():
    namespace: dict = {}
    exec(WELCOME_SOLUTION, namespace)
    outcome = await welcome_check(namespace["add_welcome"])
    assert outcome.status == "correct", outcome


async def test_a_welcome_that_ignores_recovery_is_incorrect():
    def add_welcome(sio):
        @sio.event
        async def connect(sid, environ, auth):
            await sio.emit("welcome", f"welcome, {(auth or {}).get('name', 'anonymous')}", to=sid)

    outcome = await welcome_check(add_welcome)
    assert outcome.status == "incorrect"
    assert "vic got 'welcome, vic', expected 'welcome back, vic'" in outcome.message


async def test_reading_the_pid_in_auth_as_recovered_is_incorrect():
    def add_welcome(sio):
        @sio.event
        async def connect(sid, environ, auth):
            auth = auth or {}
            word = "welcome back" if "pid" in auth else "welcome"
            await sio.emit("welcome", f"{word}, {auth.get('name', 'anonymous')}", to=sid)

    outcome = await welcome_check(add_welcome)
    assert outcome.status == "incorrect"
    assert "left on purpose" in outcome.message
    assert "uma got 'welcome back, uma', expected 'welcome, uma'" in outcome.message


async def test_a_welcome_sent_to_everyone_is_incorrect():
    def add_welcome(sio):
        @sio.event
        async def connect(sid, environ, auth):
            word = "welcome back" if sio.recovered(sid) else "welcome"
            await sio.emit("welcome", f"{word}, {(auth or {}).get('name', 'anonymous')}")

    outcome = await welcome_check(add_welcome)
    assert outcome.status == "incorrect"
    assert "uma got 'welcome, uma', 'welcome, vic', expected 'welcome, uma'" in outcome.message


async def test_a_handler_that_needs_auth_is_incorrect():
    def add_welcome(sio):
        @sio.event
        async def connect(sid, environ, auth):
            word = "welcome back" if sio.recovered(sid) else "welcome"
            await sio.emit("welcome", f"{word}, {auth['name']}", to=sid)

    outcome = await welcome_check(add_welcome)
    assert outcome.status == "incorrect"
    assert "a client without auth could not connect" in outcome.message


async def test_a_handler_that_refuses_recovered_connections_is_incorrect():
    def add_welcome(sio):
        @sio.event
        async def connect(sid, environ, auth):
            if sio.recovered(sid):
                return False
            await sio.emit("welcome", f"welcome, {(auth or {}).get('name', 'anonymous')}", to=sid)

    outcome = await welcome_check(add_welcome)
    assert outcome.status == "incorrect"
    assert "vic" in outcome.message and "recovered" in outcome.message


async def test_the_welcome_stub_is_not_attempted():
    def add_welcome(sio):
        raise NotImplementedError

    outcome = await welcome_check(add_welcome)
    assert outcome.status == "not attempted"


# --- once per sender -------------------------------------------------------------------------
async def dedup_check(installer):
    try:
        return await stored_once.check(installer)
    finally:
        await stop_all()


def name_in_session(sio):
    @sio.event
    async def connect(sid, environ, auth):
        await sio.save_session(sid, {"name": (auth or {}).get("name", "anonymous")})


async def test_the_reference_dedup_is_correct():
    namespace: dict = {}
    exec(DEDUP_SOLUTION, namespace)
    outcome = await dedup_check(namespace["add_dedup"])
    assert outcome.status == "correct", outcome


async def test_de_duplicating_by_the_offset_alone_is_incorrect():
    def add_dedup(sio):
        seen = set()

        @sio.on("chat message")
        async def chat_message(sid, msg, client_offset):
            if client_offset in seen:  # the mistake: another sender's offset hides this message
                return {"ok": True, "duplicate": True}
            seen.add(client_offset)
            await sio.emit("chat message", msg)
            return {"ok": True}

    outcome = await dedup_check(add_dedup)
    assert outcome.status == "incorrect"
    assert "when vic sent ('hey', 'm-1')" in outcome.message
    assert "expected {'ok': True}" in outcome.message


async def test_no_de_duplication_is_incorrect():
    def add_dedup(sio):
        @sio.on("chat message")
        async def chat_message(sid, msg, client_offset):
            await sio.emit("chat message", msg)
            return {"ok": True}

    outcome = await dedup_check(add_dedup)
    assert outcome.status == "incorrect"
    assert "again, a retry" in outcome.message


async def test_a_retry_that_is_not_acknowledged_is_incorrect():
    def add_dedup(sio):
        name_in_session(sio)
        seen = set()

        @sio.on("chat message")
        async def chat_message(sid, msg, client_offset):
            key = ((await sio.get_session(sid))["name"], client_offset)
            if key in seen:
                return None  # the mistake: the sender hears nothing, and retries for ever
            seen.add(key)
            await sio.emit("chat message", msg)
            return {"ok": True}

    outcome = await dedup_check(add_dedup)
    assert outcome.status == "incorrect"
    assert "the acknowledgement was None" in outcome.message


async def test_a_dedup_that_needs_auth_is_incorrect():
    def add_dedup(sio):
        @sio.event
        async def connect(sid, environ, auth):
            await sio.save_session(sid, {"name": auth["name"]})

        seen = set()

        @sio.on("chat message")
        async def chat_message(sid, msg, client_offset):
            key = ((await sio.get_session(sid))["name"], client_offset)
            if key in seen:
                return {"ok": True, "duplicate": True}
            seen.add(key)
            await sio.emit("chat message", msg)
            return {"ok": True}

    outcome = await dedup_check(add_dedup)
    assert outcome.status == "incorrect"
    # auth["name"] without auth: the handler's own error is the verdict
    assert outcome.message == (
        "your code raised in the server: TypeError: 'NoneType' object is not subscriptable"
    )
