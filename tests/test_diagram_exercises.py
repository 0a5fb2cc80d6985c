"""Notebook 08's exercises against live clients: the reference answers, wrong answers, the stub."""

from chatlib import connect_clients
from chatlib.exercises.diagram import ASK_SOLUTION, SOLUTION, ask_and_wait, room_but_sender


async def cast(server):
    clients = await connect_clients(server.url, ["alice", "bob", "carol"])
    for client in clients[:2]:
        await server.sio.enter_room(client.get_sid(), "room1")
    return clients


def defined(source, name):
    namespace = {}
    exec(source, namespace)
    return namespace[name]


async def test_reference_solution_is_correct(server):
    clients = await cast(server)
    answer = defined(SOLUTION, "answer")
    outcome = await room_but_sender.check(answer, server, clients, clients[0])
    assert outcome.correct and str(outcome) == "correct: received by bob"


async def test_including_the_sender_is_incorrect(server):
    clients = await cast(server)

    async def answer(sio, sid, question):
        await sio.emit("quiz", question, to="room1")

    outcome = await room_but_sender.check(answer, server, clients, clients[0])
    assert str(outcome) == "incorrect: received by alice, bob; should not reach alice"


async def test_everyone_but_the_sender_is_incorrect(server):
    clients = await cast(server)

    async def answer(sio, sid, question):
        await sio.emit("quiz", question, skip_sid=sid)

    outcome = await room_but_sender.check(answer, server, clients, clients[0])
    assert str(outcome) == "incorrect: received by bob, carol; should not reach carol"


async def test_another_payload_is_incorrect(server):
    clients = await cast(server)

    async def answer(sio, sid, question):
        await sio.emit("quiz", "42?", to="room1", skip_sid=sid)

    outcome = await room_but_sender.check(answer, server, clients, clients[0])
    assert str(outcome) == "incorrect: 'quiz' carried '42?': send the question given"


async def test_a_sender_outside_the_room_cannot_be_checked(server):
    clients = await cast(server)
    answer = defined(SOLUTION, "answer")
    outcome = await room_but_sender.check(answer, server, clients, clients[2])
    assert outcome.status == "incorrect" and "cannot check" in str(outcome)


async def test_the_stub_is_not_attempted(server):
    clients = await cast(server)

    async def answer(sio, sid, question):
        raise NotImplementedError

    outcome = await room_but_sender.check(answer, server, clients, clients[0])
    assert outcome.status == "not attempted"


async def answering_bob(server):
    _alice, bob, _carol = await cast(server)

    @bob.on("question")
    async def double(n):
        return n * 2

    return bob


async def test_ask_reference_solution_is_correct(server):
    bob = await answering_bob(server)
    outcome = await ask_and_wait.check(defined(ASK_SOLUTION, "ask"), server, bob)
    assert str(outcome) == "correct: bob's answers came back: 6, 16"


async def test_ask_with_emit_is_incorrect(server):
    bob = await answering_bob(server)

    async def ask(sio, sid, n):
        return await sio.emit("question", n, to=sid)

    outcome = await ask_and_wait.check(ask, server, bob)
    assert str(outcome) == "incorrect: for 3 you returned None; bob answered 6"


async def test_ask_without_asking_is_incorrect(server):
    bob = await answering_bob(server)

    async def ask(sio, sid, n):
        return n * 2

    outcome = await ask_and_wait.check(ask, server, bob)
    assert str(outcome) == "incorrect: bob was not asked 'question' 3: ask the client"


async def test_ask_everyone_is_incorrect(server):
    bob = await answering_bob(server)

    async def ask(sio, sid, n):
        return await sio.call("question", n, timeout=1)

    outcome = await ask_and_wait.check(ask, server, bob)
    assert outcome.status == "incorrect" and "ValueError" in str(outcome)


async def test_ask_needs_a_client_that_answers(server):
    _alice, _bob, carol = await cast(server)
    outcome = await ask_and_wait.check(defined(ASK_SOLUTION, "ask"), server, carol)
    assert str(outcome) == "incorrect: cannot check: carol must answer 'question' (run above)"
