"""Step 6 on the chat page in Chromium: a dropped connection comes back "recovered".

chatlib's server with ``Recovery`` serves the page (the official client). alice's
connection is dropped under her (``socket.io.engine.close()``, as socket.io's
docs suggest to try it), bob writes meanwhile; alice reconnects on her own, the
page says "(recovered)" and shows bob's message. The Disconnect button is a
deliberate leave: nothing is recovered then, as on Node.
"""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from playwright.async_api import Browser, expect

from chatlib import EmbeddedServer, Recovery, add_chat_handlers

from .test_chat_page_browser import WAIT_MS, messages_of, open_chat, type_and_send, wait_for_count
from .test_chat_page_browser import browser as browser  # the Chromium fixture, shared

pytestmark = pytest.mark.browser


@pytest.fixture
async def server() -> AsyncIterator[EmbeddedServer]:
    recovery = Recovery(max_disconnection=30)
    async with EmbeddedServer("chat-page-recovery", chat_page=True, recovery=recovery) as server:
        add_chat_handlers(server.sio)
        yield server
    assert not server.errors, server.errors


async def test_a_dropped_page_comes_back_recovered_with_the_missed_message(
    browser: Browser,
    server: EmbeddedServer,
) -> None:
    alice = await open_chat(browser, server, "alice")
    bob = await open_chat(browser, server, "bob")
    await type_and_send(alice, "hello from alice")
    await wait_for_count([alice, bob], 1)  # alice now holds an offset
    first_id = await alice.evaluate("socket.id")

    await alice.evaluate("socket.io.engine.close()")
    await expect(alice.locator("#status")).to_have_text("disconnected", timeout=WAIT_MS)
    await type_and_send(bob, "bob, while alice is away")
    await wait_for_count([bob], 2)

    status = alice.locator("#status")
    await expect(status).to_have_text("connected as alice (recovered)", timeout=WAIT_MS)
    await wait_for_count([alice], 2)
    assert await messages_of(alice) == ["hello from alice", "bob, while alice is away"]
    assert await alice.evaluate("socket.id") == first_id
    assert "alice recovered on /" in server.log.lines("connect")

    # the Disconnect/Connect toggle leaves on purpose: the next connection is a new one
    await alice.click("#toggle")
    await expect(status).to_have_text("disconnected", timeout=WAIT_MS)
    await type_and_send(bob, "bob, after alice left")
    await wait_for_count([bob], 3)
    await alice.click("#toggle")
    await expect(status).to_have_text("connected as alice", timeout=WAIT_MS)
    assert await alice.evaluate("socket.recovered") is False
    assert await messages_of(alice) == ["hello from alice", "bob, while alice is away"]
