"""The access token: when it is required, how it is checked, and what a refused client sees."""

import pytest
import socketio
from socketio import exceptions

from chatlib.classroom.access import TokenGate, choose_token, is_loopback, join_url
from chatlib.classroom.session import Classroom, start_class
from chatlib.classroom.student import JoinRefused, join_class, split_join_link


@pytest.mark.parametrize(
    ("host", "loopback"),
    [
        ("127.0.0.1", True),
        ("127.0.0.2", True),  # all of 127/8 stays on this machine
        ("127.255.255.254", True),
        ("::1", True),
        ("localhost", True),
        ("0.0.0.0", False),  # every interface
        ("::", False),
        ("192.168.1.20", False),
        ("10.0.0.5", False),
        ("teacher-laptop.local", False),  # a name may resolve to a network address
    ],
)
def test_loopback_rule(host, loopback):
    assert is_loopback(host) is loopback
    token = choose_token(host, None)
    assert (token is None) is loopback
    if token is not None:
        assert len(token) >= 32


def test_a_given_token_is_always_used_and_an_empty_one_is_refused():
    assert choose_token("127.0.0.1", "abc") == "abc"
    with pytest.raises(ValueError, match="empty access token"):
        choose_token("0.0.0.0", "")


def test_off_loopback_a_class_gets_a_fresh_token_in_its_join_links():
    first, second = Classroom(host="192.0.2.10", port=8000), Classroom(host="192.0.2.10")
    assert first.token and second.token and first.token != second.token
    assert first.join_urls() == [f"http://192.0.2.10:8000/?token={first.token}"]
    assert Classroom(host="127.0.0.1").token is None


def test_join_links_are_split_back_into_url_and_token():
    assert join_url("10.0.0.5", 8000, "a b") == "http://10.0.0.5:8000/?token=a%20b"
    assert split_join_link("http://10.0.0.5:8000/?token=a%20b") == ("http://10.0.0.5:8000", "a b")
    assert split_join_link("http://h:1/", token="t") == ("http://h:1", "t")
    with pytest.raises(ValueError, match="not a join link"):
        split_join_link("10.0.0.5:8000")


@pytest.mark.parametrize(
    ("auth", "message"),
    [
        (None, "needs an access token"),
        ({"name": "ada"}, "needs an access token"),
        ({"token": 42}, "needs an access token"),
        ({"token": "wrong"}, "wrong access token"),
        ({"token": "sekrit-but-longer"}, "wrong access token"),
    ],
)
def test_gate_refuses_missing_and_wrong_tokens(auth, message):
    with pytest.raises(exceptions.ConnectionRefusedError) as refused:
        TokenGate("sekrit").check(auth)
    assert message in refused.value.error_args["message"]
    TokenGate("sekrit").check({"token": "sekrit"})
    TokenGate(None).check(None)


@pytest.fixture
async def guarded():
    classroom = await start_class("guarded", token="sekrit")  # token mode forced on loopback
    yield classroom
    await classroom.stop()


async def refusal(url, auth, namespaces=None):
    """Connect a plain python-socketio client; return the connect_error message it got."""
    errors = []
    client = socketio.AsyncClient(handle_sigint=False, reconnection=False)
    client.on("connect_error", errors.append, namespace=(namespaces or ["/"])[0])
    with pytest.raises(exceptions.ConnectionError):
        await client.connect(url, auth=auth, namespaces=namespaces, transports=["websocket"])
    await client.disconnect()
    return errors[-1]["message"]


async def test_missing_and_wrong_tokens_are_refused_with_a_clear_connect_error(guarded):
    assert "needs an access token" in await refusal(guarded.url, {"name": "ada"})
    assert "wrong access token" in await refusal(guarded.url, {"name": "ada", "token": "x"})
    assert guarded.online() == []
    refused = guarded.server.log.lines("connect")
    assert (
        refused[-1]
        == "ada refused on /: wrong access token: ask the instructor for the current join link"
    )
    assert not any("sekrit" in line for line in guarded.server.log.lines())


async def test_the_token_is_checked_on_every_namespace_whatever_the_handlers(guarded):
    sio = guarded.sio

    @sio.on("connect", namespace="/quiz")
    async def let_everyone_in(sid, environ, auth):
        return True  # an instructor's handler cannot switch the check off

    @sio.on("connect")
    async def main_connect(sid, environ, auth):
        return True

    message = await refusal(guarded.url, {"name": "eve"}, namespaces=["/quiz"])
    assert "needs an access token" in message
    ada = await join_class(guarded.url, "ada", token="sekrit")
    await ada.client.disconnect()
    both = socketio.AsyncClient(handle_sigint=False, reconnection=False)
    await both.connect(
        guarded.url,
        auth={"name": "bob", "token": "sekrit"},
        namespaces=["/", "/quiz"],
        transports=["websocket"],
    )
    assert sorted(both.namespaces) == ["/", "/quiz"]
    await both.disconnect()


async def test_a_student_joins_with_the_link_or_the_token_and_is_told_why_not(guarded):
    with pytest.raises(JoinRefused, match="refused 'ada': this classroom needs an access token"):
        await join_class(guarded.url, "ada")
    with pytest.raises(JoinRefused, match="wrong access token"):
        await join_class(guarded.url, "ada", token="guess")
    ada = await join_class(guarded.join_urls()[0], "ada")
    assert ada.client.connected and guarded.online() == ["ada"]


async def test_an_unreachable_server_is_reported_as_such():
    with pytest.raises(JoinRefused, match=r"cannot reach http://127\.0\.0\.1:9"):
        await join_class("http://127.0.0.1:9", "ada", timeout=2)
