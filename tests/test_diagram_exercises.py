from chatlib import connect_clients
from chatlib.exercises.diagram import SOLUTION, room_but_sender


async def cast(server):
    clients = await connect_clients(server.url, ["alice", "bob", "carol"])
    for client in clients[:2]:
        await server.sio.enter_room(client.get_sid(), "room1")
    return clients


async def test_reference_solution_is_correct(server):
    clients = await cast(server)
    namespace = {}
    exec(SOLUTION, namespace)
    outcome = await room_but_sender.check(namespace["answer"], server, clients, clients[0])
    assert outcome.correct and str(outcome) == "correct: received by bob"


async def test_including_the_sender_is_incorrect(server):
    clients = await cast(server)

    async def answer(sio, sid):
        await sio.emit("quiz", "?", to="room1")

    outcome = await room_but_sender.check(answer, server, clients, clients[0])
    assert str(outcome) == "incorrect: received by alice, bob; should not reach alice"


async def test_the_stub_is_not_attempted(server):
    clients = await cast(server)

    async def answer(sio, sid):
        raise NotImplementedError

    outcome = await room_but_sender.check(answer, server, clients, clients[0])
    assert outcome.status == "not attempted"
