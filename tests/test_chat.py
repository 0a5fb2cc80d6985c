import base64
import hashlib

import aiohttp
import pytest

from chatlib import chat, check_message, connect_clients, settle
from tests.support import require


async def get(url: str) -> tuple[int, str, str]:
    async with aiohttp.ClientSession() as http, http.get(url) as response:
        return response.status, response.content_type, await response.text()


async def test_page_is_served_and_inserts_text_never_html(chat_server):
    status, content_type, page = await get(chat_server.url + "/")
    assert (status, content_type) == (200, "text/html")
    assert '<ul id="messages">' in page and '<form id="form"' in page
    assert "item.textContent = msg" in page
    assert "innerHTML" not in page


async def test_local_client_script_is_served_when_installed(chat_server):
    require(
        chat.LOCAL_CLIENT.is_file(),
        "node_modules/socket.io-client",
        "run `npm ci` (make setup does it when npm is installed)",
    )
    status, _, page = await get(chat_server.url + "/")
    assert '<script src="socket.io.min.js"></script>' in page
    status, content_type, script = await get(chat_server.url + "/socket.io.min.js")
    assert (status, content_type) == (200, "application/javascript")
    assert f"Socket.IO v{chat.CLIENT_VERSION}" in script


def test_cdn_fallback_pins_the_same_file_by_its_hash():
    require(
        chat.LOCAL_CLIENT.is_file(),
        "node_modules/socket.io-client",
        "run `npm ci` (make setup does it when npm is installed)",
    )
    digest = hashlib.sha384(chat.LOCAL_CLIENT.read_bytes()).digest()
    assert "sha384-" + base64.b64encode(digest).decode() == chat.CLIENT_CDN_INTEGRITY
    assert chat.CLIENT_VERSION in chat.CLIENT_CDN_URL


def test_cdn_tag_when_no_local_copy(monkeypatch, tmp_path):
    monkeypatch.setattr(chat, "LOCAL_CLIENT", tmp_path / "missing.js")
    tag = chat.client_script_tag()
    assert chat.CLIENT_CDN_URL in tag and chat.CLIENT_CDN_INTEGRITY in tag
    assert 'crossorigin="anonymous"' in tag


@pytest.mark.parametrize(
    ("message", "error"),
    [
        (42, "must be text, not int"),
        (None, "must be text, not NoneType"),
        ("  ", "cannot be empty"),
        ("x" * (chat.MAX_MESSAGE_LENGTH + 1), f"at most {chat.MAX_MESSAGE_LENGTH}"),
    ],
)
def test_bad_messages_are_refused_with_a_reason(message, error):
    with pytest.raises(ValueError, match=error):
        check_message(message)


async def test_chat_handler_answers_bad_input_and_keeps_serving(chat_server):
    clients = await connect_clients(chat_server.url, ["alice", "bob"])
    alice, bob = clients
    assert await alice.call("chat message", {"not": "text"}) == {
        "ok": False,
        "error": "a chat message must be text, not dict",
    }
    assert await bob.call("chat message", "fine") == {"ok": True}
    delivery = await settle(chat_server, clients)
    assert [row.data for row in delivery.rows if row.counts] == ["'fine'"]
    assert delivery.receivers("chat message") == ["alice", "bob"]
    assert chat_server.errors == []
