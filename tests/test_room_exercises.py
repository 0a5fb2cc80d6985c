"""The rooms lesson's checkers: the reference answer is correct, wrong answers are not.

Each wrong answer below is code a learner might write; the table beside it holds
the verdict the check must give, word for word, so that the learner can fix it.
"""

import re

import pytest

from chatlib.exercises.rooms import end_topic, goodbye, only_music
from tests.exercise_support import incorrect, shipped_answer_tests

EXERCISES = [only_music, end_topic, goodbye]


test_the_shipped_stub_is_not_attempted, test_the_reference_solution_is_correct = (
    shipped_answer_tests(EXERCISES)
)


# --- only the music room: answers (sio, text) ------------------------------------------------
async def everyone(sio, text):
    await sio.emit("chat message", text)


async def other_text(sio, text):
    await sio.emit("chat message", "hello", to="music")


async def reshuffle(sio, text):
    """Right receivers and payload, but wes was taken out of art: the room table is wrong."""
    for sid in list(sio.manager.rooms["/"]["art"]):
        await sio.leave_room(sid, "art")
    await sio.emit("chat message", text, to="music")


# --- close a topic: answers (sio, room) -------------------------------------------------------
async def closed_first(sio, room):
    await sio.close_room(room)
    await sio.emit("topic closed", room, to=room)


async def told_but_left_open(sio, room):
    await sio.emit("topic closed", room, to=room)


async def told_everyone(sio, room):
    await sio.emit("topic closed", room)
    await sio.close_room(room)


# --- tell the rooms who left: answers (sio, sid) ----------------------------------------------
async def to_everyone(sio, sid):
    await sio.emit("left", (await sio.get_session(sid))["name"], skip_sid=sid)


async def broken(sio, sid):
    raise KeyError("oops")


def rooms_of(sio, sid):
    return [room for room in sio.rooms(sid) if room != sid]


async def socket_id(sio, sid):
    """Right rooms, wrong payload: a check of receivers alone passed this."""
    await sio.emit("left", sid, to=rooms_of(sio, sid), skip_sid=sid)


async def twice(sio, sid):
    for room in rooms_of(sio, sid):
        await sio.emit("left", "vic", to=room, skip_sid=sid)
    await sio.emit("left", "vic", to="music", skip_sid=sid)


async def close_them(sio, sid):
    await sio.emit("left", "vic", to=rooms_of(sio, sid), skip_sid=sid)
    for room in rooms_of(sio, sid):
        await sio.close_room(room)


WRONG_ANSWERS = [
    (
        only_music,
        everyone,
        "wes got 'chat message' 'rehearsal moved to five', expected nothing; "
        "xia got 'chat message' 'rehearsal moved to five', expected nothing",
    ),
    (
        only_music,
        other_text,
        "uma got 'chat message' 'hello', expected 'chat message' 'rehearsal moved to five'; "
        "vic got 'chat message' 'hello', expected 'chat message' 'rehearsal moved to five'",
    ),
    (
        only_music,
        reshuffle,
        "after your code the rooms were music: uma, vic, expected art: vic, wes; music: uma, vic",
    ),
    (
        end_topic,
        closed_first,
        "vic got nothing, expected 'topic closed' 'art'; wes got nothing, expected "
        "'topic closed' 'art'",
    ),
    (
        end_topic,
        told_but_left_open,
        "afterwards the rooms were art: vic, wes; music: uma, vic, expected music: uma, vic",
    ),
    (
        end_topic,
        told_everyone,
        "uma got 'topic closed' 'art', expected nothing; xia got 'topic closed' 'art', "
        "expected nothing",
    ),
    (goodbye, to_everyone, "xia got 'left' 'vic', expected nothing"),
    (goodbye, broken, "your code raised in the server: KeyError: 'oops'"),
    (
        goodbye,
        socket_id,  # the sid differs from run to run
        re.compile(
            r"uma got 'left' '[^']+', expected 'left' 'vic'; "
            r"wes got 'left' '[^']+', expected 'left' 'vic'"
        ),
    ),
    (goodbye, twice, "uma got 'left' 'vic' then 'left' 'vic', expected 'left' 'vic'"),
    (
        goodbye,
        close_them,
        "after your code the rooms were none, expected art: vic, wes; music: uma, vic",
    ),
]


@pytest.mark.parametrize(
    ("exercise", "answer", "says"), WRONG_ANSWERS, ids=[a.__name__ for _, a, _ in WRONG_ANSWERS]
)
async def test_a_wrong_answer_is_incorrect_and_says_why(exercise, answer, says):
    message = await incorrect(exercise, answer)
    if isinstance(says, re.Pattern):
        assert says.fullmatch(message), message
    else:
        assert message == says
