"""The chat lesson's exercises: each reference answer passes, wrong answers fail saying why.

Every check runs on a real server with real clients; a wrong answer's verdict
must say who got what (or what the server kept), so a learner can fix it.
"""

from chatlib.exercises.chat import is_typing, nicknames, online, presence, receipt
from tests.exercise_support import incorrect, shipped_answer_tests

EXERCISES = [nicknames, online, presence, receipt, is_typing]


test_the_shipped_stub_is_not_attempted, test_the_reference_solution_is_correct = (
    shipped_answer_tests(EXERCISES)
)


def save_name(sio, *, announce=None, skip_sender=True):
    """A connect handler keeping the name in the session (and announcing it, when asked)."""

    @sio.event
    async def connect(sid, environ, auth):
        name = (auth or {}).get("name", "anonymous")
        await sio.save_session(sid, {"name": name})
        if announce:
            await sio.emit(announce, name, skip_sid=sid if skip_sender else None)


async def test_nicknames_wrong_answers():
    def names_in_a_dict(sio):
        names = {}

        @sio.event
        async def connect(sid, environ, auth):
            names[sid] = (auth or {}).get("name", "anonymous")

        @sio.on("chat message")
        async def chat_message(sid, msg):
            await sio.emit("chat message", {"name": names[sid], "text": msg})

    def text_only(sio):
        save_name(sio)

        @sio.on("chat message")
        async def chat_message(sid, msg):
            await sio.emit("chat message", msg)

    def auth_must_be_there(sio):
        @sio.event
        async def connect(sid, environ, auth):
            await sio.save_session(sid, {"name": auth["name"]})

    assert await incorrect(nicknames, names_in_a_dict) == (
        "vic's session holds {}, expected {'name': 'vic'}: save it in the connect handler"
    )
    said = "{'name': 'vic', 'text': 'hello'}"
    assert await incorrect(nicknames, text_only) == (
        f"when vic said 'hello', 'chat message': uma got 'hello', expected {said}; "
        f"vic got 'hello', expected {said}"
    )
    # auth["name"] on a client that sends no auth: the handler's own error is the verdict
    assert await incorrect(nicknames, auth_must_be_there) == (
        "your code raised in the server: TypeError: 'NoneType' object is not subscriptable"
    )


async def test_online_wrong_answers():
    def tracker(sio, *, forget_leavers=True, unnamed=True):
        names = {}

        @sio.event
        async def connect(sid, environ, auth):
            if auth or unnamed:
                names[sid] = (auth or {}).get("name", "anonymous")

        @sio.event
        async def disconnect(sid, reason):
            if forget_leavers:
                names.pop(sid, None)

        return names

    def emitted_not_answered(sio):
        names = tracker(sio)

        @sio.on("who is online")
        async def who_is_online(sid):
            await sio.emit("online", sorted(names.values()), to=sid)

    def never_forgets(sio):
        names = tracker(sio, forget_leavers=False)
        sio.on("who is online", lambda sid: sorted(names.values()))

    def named_only(sio):
        names = tracker(sio, unnamed=False)
        sio.on("who is online", lambda sid: sorted(names.values()))

    four = "['anonymous', 'uma', 'vic', 'wes']"
    assert await incorrect(online, emitted_not_answered) == (
        f"with four connected, wes asked who is online: the answer was None, expected {four} "
        "(return the list: a handler's return value is the answer)"
    )
    assert await incorrect(online, never_forgets) == (
        f"after vic left, uma asked who is online: the answer was {four}, "
        "expected ['anonymous', 'uma', 'wes']"
    )
    assert await incorrect(online, named_only) == (
        "with four connected, wes asked who is online: the answer was ['uma', 'vic', 'wes'], "
        f"expected {four}"
    )


async def test_online_refuses_a_broadcast_answer():
    def answered_and_broadcast(sio):
        names = tracker_of(sio)

        @sio.on("who is online")
        async def who_is_online(sid):
            await sio.emit("online", sorted(names.values()))
            return sorted(names.values())

    def tracker_of(sio):
        names = {}

        @sio.event
        async def connect(sid, environ, auth):
            names[sid] = (auth or {}).get("name", "anonymous")

        return names

    message = await incorrect(online, answered_and_broadcast)
    assert message.startswith("when wes asked who is online: uma got 'online' [")
    assert "expected nothing" in message


async def test_presence_wrong_answers():
    def everyone_told(sio):
        save_name(sio, announce="user joined", skip_sender=False)

    def joins_only(sio):
        save_name(sio, announce="user joined")

    def dict_payload(sio):
        @sio.event
        async def connect(sid, environ, auth):
            await sio.emit("user joined", {"name": (auth or {}).get("name")}, skip_sid=sid)

    assert await incorrect(presence, everyone_told) == (
        "when wes connected, 'user joined': wes got 'wes', expected nothing"
    )
    assert await incorrect(presence, joins_only) == (
        "when vic left, 'user left': uma got nothing, expected 'vic'; "
        "wes got nothing, expected 'vic'"
    )
    assert await incorrect(presence, dict_payload) == (
        "when wes connected, 'user joined': uma got {'name': 'wes'}, expected 'wes'; "
        "vic got {'name': 'wes'}, expected 'wes'"
    )


async def test_receipt_wrong_answers():
    def chat(*, echo=False, check=True, receipt=True):
        def install(sio):
            @sio.on("chat message")
            async def chat_message(sid, msg):
                if check and not (isinstance(msg, str) and msg.strip()):
                    return {"ok": False, "error": "send some text"}
                await sio.emit("chat message", msg, skip_sid=None if echo else sid)
                return {"ok": True} if receipt else None

        return install

    assert await incorrect(receipt, chat(echo=True)) == (
        "when vic said 'hello', 'chat message': vic got 'hello', expected nothing"
    )
    assert await incorrect(receipt, chat(check=False)) == (
        "vic sent 42 and got {'ok': True} back, expected {'ok': False, 'error': 'why'}"
    )
    assert await incorrect(receipt, chat(receipt=False)) == (
        "vic sent 'hello' and got None back, expected {'ok': True}"
    )


async def test_a_handler_that_raises_is_the_verdict_and_is_forgotten():
    def trusts_the_type(sio):
        @sio.on("chat message")
        async def chat_message(sid, msg):
            if not msg.strip():
                return {"ok": False, "error": "send some text"}
            await sio.emit("chat message", msg, skip_sid=sid)
            return {"ok": True}

    message = await incorrect(receipt, trusts_the_type)
    assert message == (
        "your code raised in the server: AttributeError: 'int' object has no attribute 'strip'"
    )


async def test_typing_wrong_answers():
    def typing(payload, *, skip_sender=True):
        def install(sio):
            @sio.on("typing")
            async def on_typing(sid, flag):
                name = (await sio.get_session(sid))["name"]
                await sio.emit("typing", payload(name, flag), skip_sid=sid if skip_sender else None)

        return install

    started = "{'name': 'vic', 'typing': True}"
    stopped = "{'name': 'vic', 'typing': False}"
    right = typing(lambda name, flag: {"name": name, "typing": flag}, skip_sender=False)
    assert await incorrect(is_typing, right) == (
        f"when vic sent typing True, 'typing': vic got {started}, expected nothing"
    )
    assert await incorrect(is_typing, typing(lambda name, flag: name)) == (
        f"when vic sent typing True, 'typing': uma got 'vic', expected {started}; "
        f"wes got 'vic', expected {started}"
    )
    always = typing(lambda name, flag: {"name": name, "typing": True})
    assert await incorrect(is_typing, always) == (
        f"when vic sent typing False, 'typing': uma got {started}, expected {stopped}; "
        f"wes got {started}, expected {stopped}"
    )
