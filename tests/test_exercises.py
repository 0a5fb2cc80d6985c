from chatlib import connect_clients, settle
from chatlib.exercises.scaffold import (
    CORRECT,
    INCORRECT,
    NOT_ATTEMPTED,
    Exercise,
    compare_receivers,
)


def test_compare_receivers_says_who_is_missing_and_extra():
    assert compare_receivers(["bob"], ["bob"]).status == CORRECT
    outcome = compare_receivers(["bob", "carol"], ["alice", "bob"])
    assert outcome.status == INCORRECT
    assert str(outcome) == (
        "incorrect: received by alice, bob; missing carol; should not reach alice"
    )


async def test_exercise_runs_the_answer_against_live_clients(server, capsys):
    clients = await connect_clients(server.url, ["alice", "bob", "carol"])

    async def checker(answer):
        await answer(server.sio, server.sio.sid_of("alice"))
        delivery = await settle(server, clients)
        return compare_receivers(["bob", "carol"], delivery.receivers("news"))

    exercise = Exercise("everyone but alice", checker, "skip_sid", "emit(..., skip_sid=sid)")

    async def stub(sio, sid):
        raise NotImplementedError

    async def right(sio, sid):
        await sio.emit("news", "hi", skip_sid=sid)

    async def wrong(sio, sid):
        await sio.emit("news", "hi")

    async def broken(sio, sid):
        raise KeyError("room")

    assert (await exercise.check(stub)).status == NOT_ATTEMPTED
    assert (await exercise.check(right)).correct
    outcome = await exercise.check(wrong)
    assert outcome.status == INCORRECT and "should not reach alice" in outcome.message
    outcome = await exercise.check(broken)
    assert outcome.status == INCORRECT and "KeyError" in outcome.message
    exercise.hint()
    exercise.solution()
    printed = capsys.readouterr().out
    assert "everyone but alice: not attempted" in printed
    assert "Hint: skip_sid" in printed and "emit(..., skip_sid=sid)" in printed
