"""The rooms lesson's checkers: the reference answer is correct, wrong answers are not."""

from chatlib import assert_no_handler_errors
from chatlib.exercises.rooms import end_topic, goodbye, only_music
from chatlib.exercises.scaffold import INCORRECT
from tests.exercise_support import shipped_answer_tests

EXERCISES = [only_music, end_topic, goodbye]


test_the_shipped_stub_is_not_attempted, test_the_reference_solution_is_correct = (
    shipped_answer_tests(EXERCISES)
)


async def test_only_music_wrong_answers_say_who_got_what():
    async def everyone(sio, text):
        await sio.emit("chat message", text)

    async def other_text(sio, text):
        await sio.emit("chat message", "hello", to="music")

    outcome = await only_music.check(everyone)
    assert (outcome.status, outcome.message) == (
        INCORRECT,
        "wes got 'chat message' 'rehearsal moved to five', expected nothing; "
        "xia got 'chat message' 'rehearsal moved to five', expected nothing",
    )
    outcome = await only_music.check(other_text)
    assert outcome.message == (
        "uma got 'chat message' 'hello', expected 'chat message' 'rehearsal moved to five'; "
        "vic got 'chat message' 'hello', expected 'chat message' 'rehearsal moved to five'"
    )
    assert outcome.status == INCORRECT


async def test_only_music_refuses_a_room_table_changed_to_fit():
    """Right receivers and payload, but wes was taken out of art and put in music: wrong."""

    async def reshuffle(sio, text):
        for sid in list(sio.manager.rooms["/"]["art"]):
            await sio.leave_room(sid, "art")
        await sio.emit("chat message", text, to="music")

    outcome = await only_music.check(reshuffle)
    assert (outcome.status, outcome.message) == (
        INCORRECT,
        "after your code the rooms were music: uma, vic, expected art: vic, wes; music: uma, vic",
    )


async def test_end_topic_wrong_answers():
    async def closed_first(sio, room):
        await sio.close_room(room)
        await sio.emit("topic closed", room, to=room)

    async def told_but_left_open(sio, room):
        await sio.emit("topic closed", room, to=room)

    async def told_everyone(sio, room):
        await sio.emit("topic closed", room)
        await sio.close_room(room)

    outcome = await end_topic.check(closed_first)
    assert (outcome.status, outcome.message) == (
        INCORRECT,
        "vic got nothing, expected 'topic closed' 'art'; wes got nothing, expected "
        "'topic closed' 'art'",
    )
    outcome = await end_topic.check(told_but_left_open)
    assert outcome.message == (
        "afterwards the rooms were art: vic, wes; music: uma, vic, expected music: uma, vic"
    )
    outcome = await end_topic.check(told_everyone)
    assert outcome.message == (
        "uma got 'topic closed' 'art', expected nothing; xia got 'topic closed' 'art', "
        "expected nothing"
    )


async def test_goodbye_wrong_receivers_and_errors():
    async def to_everyone(sio, sid):
        await sio.emit("left", (await sio.get_session(sid))["name"], skip_sid=sid)

    async def broken(sio, sid):
        raise KeyError("oops")

    outcome = await goodbye.check(to_everyone)
    assert (outcome.status, outcome.message) == (
        INCORRECT,
        "xia got 'left' 'vic', expected nothing",
    )
    outcome = await goodbye.check(broken)
    assert outcome.status == INCORRECT
    assert "KeyError" in outcome.message
    assert assert_no_handler_errors() == "no handler raised"


async def test_goodbye_checks_the_payload():
    """Right rooms, wrong payload: a check of receivers alone passed these."""

    def rooms_of(sio, sid):
        return [room for room in sio.rooms(sid) if room != sid]

    async def socket_id(sio, sid):
        await sio.emit("left", sid, to=rooms_of(sio, sid), skip_sid=sid)

    async def twice(sio, sid):
        for room in rooms_of(sio, sid):
            await sio.emit("left", "vic", to=room, skip_sid=sid)
        await sio.emit("left", "vic", to="music", skip_sid=sid)

    outcome = await goodbye.check(socket_id)
    assert outcome.status == INCORRECT
    assert outcome.message.startswith("uma got 'left' '") and "wes got 'left' '" in outcome.message
    assert outcome.message.endswith(", expected 'left' 'vic'")
    outcome = await goodbye.check(twice)
    assert (outcome.status, outcome.message) == (
        INCORRECT,
        "uma got 'left' 'vic' then 'left' 'vic', expected 'left' 'vic'",
    )


async def test_goodbye_refuses_closing_the_rooms():
    async def close_them(sio, sid):
        rooms = [room for room in sio.rooms(sid) if room != sid]
        await sio.emit("left", "vic", to=rooms, skip_sid=sid)
        for room in rooms:
            await sio.close_room(room)

    outcome = await goodbye.check(close_them)
    assert (outcome.status, outcome.message) == (
        INCORRECT,
        "after your code the rooms were none, expected art: vic, wes; music: uma, vic",
    )
