"""The delivery exercise: the reference solution is correct, a plausible mistake is not."""

import pytest
from socketio.exceptions import TimeoutError as AckTimeout

from chatlib import stop_all
from chatlib.durable.reliable import connect_durable_clients
from chatlib.durable.server import DurableChatServer
from chatlib.exercises.delivery import SOLUTION, send_once_exercise


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
