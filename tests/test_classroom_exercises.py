"""Notebook 09's token exercise: a plain connect handler, checked against live clients."""

from socketio.exceptions import ConnectionRefusedError

from chatlib.exercises.classroom import GUARD_SOLUTION, token_guard


def reference():
    namespace = {}
    exec(GUARD_SOLUTION, namespace)
    return namespace["guard"]


async def test_the_reference_guard_is_correct():
    outcome = await token_guard.check(reference())
    assert str(outcome) == "correct: no auth and a wrong token refused; ada let in, her name kept"


async def test_a_guard_that_lets_everyone_in_is_incorrect():
    def guard(sio, token):
        @sio.event
        async def connect(sid, environ, auth):
            await sio.save_session(sid, {"name": (auth or {}).get("name")})

    outcome = await token_guard.check(guard)
    assert str(outcome) == "incorrect: a client with no auth got in: refuse it"


async def test_returning_false_does_not_say_why():
    def guard(sio, token):
        @sio.event
        async def connect(sid, environ, auth):
            if (auth or {}).get("token") != token:
                return False
            await sio.save_session(sid, {"name": auth["name"]})

    outcome = await token_guard.check(guard)
    assert str(outcome) == (
        "incorrect: no auth was refused with 'Connection rejected by server': say it is the token"
    )


async def test_a_guard_that_forgets_the_name_is_incorrect():
    def guard(sio, token):
        @sio.event
        async def connect(sid, environ, auth):
            if (auth or {}).get("token") != token:
                raise ConnectionRefusedError("bad token")

    outcome = await token_guard.check(guard)
    assert str(outcome) == "incorrect: ada's session holds the name None: save_session it"


async def test_a_guard_that_crashes_on_missing_auth_is_incorrect():
    def guard(sio, token):
        @sio.event
        async def connect(sid, environ, auth):
            if auth.get("token") != token:  # auth is None when the client sends none
                raise ConnectionRefusedError("bad token")
            await sio.save_session(sid, {"name": auth["name"]})

    outcome = await token_guard.check(guard)
    assert str(outcome).startswith("incorrect: your code raised in the server: AttributeError")


async def test_the_builtin_connection_refused_error_is_a_crash_not_a_refusal():
    import builtins

    def guard(sio, token):
        @sio.event
        async def connect(sid, environ, auth):
            if (auth or {}).get("token") != token:
                raise builtins.ConnectionRefusedError("bad token")
            await sio.save_session(sid, {"name": auth["name"]})

    outcome = await token_guard.check(guard)
    assert str(outcome).startswith("incorrect: your code raised in the server: ConnectionRefused")


async def test_the_stub_is_not_attempted():
    def guard(sio, token):
        raise NotImplementedError

    assert (await token_guard.check(guard)).status == "not attempted"
