"""The chat page's topic buttons in headless Chromium, next to a Python client.

Two pages pick different topics with the page's own buttons (``join``/``leave``
with acknowledgements); a Python ``ChatClient`` joins one too. Each message must
reach only the sender's topic, the room board must show the pages' rooms, and
against the plain chat the page must show no topics without holding back a message.
"""

from __future__ import annotations

import re
from collections.abc import AsyncIterator

import pytest
from playwright.async_api import Page, expect

from chatlib import ChatClient, EmbeddedServer, settle
from chatlib.roomboard import RoomBoard
from chatlib.topics import add_topic_handlers

from .browser_support import artifact
from .test_chat_page_browser import WAIT_MS, browser, messages_of, open_chat, type_and_send

pytestmark = pytest.mark.browser
__all__ = ["browser"]  # the fixture, shared with the chat page's other browser tests

TOPICS = ["music", "sports", "art"]


@pytest.fixture
async def topics_server() -> AsyncIterator[EmbeddedServer]:
    async with EmbeddedServer("chat-topics-test", chat_page=True) as server:
        add_topic_handlers(server.sio, TOPICS)
        yield server
    assert not server.errors, server.errors


async def click_topic(page: Page, topic: str, rooms_after: str) -> None:
    """Click a topic button and wait until the acknowledgement shows the page's rooms."""
    await page.locator(f'#topic-buttons button[data-topic="{topic}"]').click()
    await expect(page.locator("#rooms")).to_have_text(f"my rooms: {rooms_after}", timeout=WAIT_MS)


async def send_and_see(page: Page, text: str) -> None:
    """Send from a page and wait until its sender sees it (a sender hears its own topic)."""
    await type_and_send(page, text)
    await expect(page.locator("#messages > li").last).to_have_text(text, timeout=WAIT_MS)


async def pressed(page: Page) -> list[str]:
    return await page.locator('#topic-buttons button[aria-pressed="true"]').all_text_contents()


async def everyone_hears(
    server: EmbeddedServer, pages: list[Page], carol: ChatClient, marker: str
) -> None:
    """The barrier: a message to everyone; what was sent before it has arrived once it has."""
    await server.sio.emit("chat message", marker)
    for page in pages:
        await expect(page.locator("#messages > li").last).to_have_text(marker, timeout=WAIT_MS)
    await settle(server, carol)


async def test_pages_pick_topics_and_messages_stay_in_the_senders_topic(
    browser, topics_server
) -> None:
    server = topics_server
    alice = await open_chat(browser, server, "alice")
    bob = await open_chat(browser, server, "bob")
    pages = [alice, bob]
    carol = ChatClient("carol")
    await carol.connect(server.url)
    board = RoomBoard(server)

    for page in pages:
        await expect(page.locator("#topics")).to_have_attribute("data-state", "shown")
        await expect(page.locator("#topic-buttons button")).to_have_text(TOPICS)
        await expect(page.locator("#rooms")).to_have_text("my rooms: none")

    await click_topic(alice, "music", "music")
    await click_topic(bob, "sports", "sports")
    assert await carol.call("join", "music", timeout=5) == {"ok": True, "rooms": ["music"]}
    assert await pressed(alice) == ["music"] and await pressed(bob) == ["sports"]
    assert board.lines() == [
        "/  (connected): alice, bob, carol",
        "/  music: alice, carol",
        "/  sports: bob",
    ]
    await alice.screenshot(path=artifact("chat-topics-alice.png"))

    await send_and_see(alice, "music: anyone rehearsing tonight?")
    await send_and_see(bob, "sports: the match starts at eight")
    await carol.chat("music: carol is in")
    await settle(server, carol)  # handled by the server before the barrier below
    await everyone_hears(server, pages, carol, "barrier 1")
    assert await messages_of(alice) == [
        "music: anyone rehearsing tonight?",
        "music: carol is in",
        "barrier 1",
    ]
    assert await messages_of(bob) == ["sports: the match starts at eight", "barrier 1"]
    assert carol.received("chat message") == await messages_of(alice)

    # alice moves from music to sports: the server's answers are the page's rooms
    await click_topic(alice, "music", "none")
    await click_topic(alice, "sports", "sports")
    assert board.lines() == [
        "/  (connected): alice, bob, carol",
        "/  music: carol",
        "/  sports: alice, bob",
    ]
    await send_and_see(bob, "sports: welcome, alice")
    await everyone_hears(server, pages, carol, "barrier 2")
    assert (await messages_of(alice))[3:] == ["sports: welcome, alice", "barrier 2"]
    assert (await messages_of(bob))[2:] == ["sports: welcome, alice", "barrier 2"]
    assert carol.received("chat message")[3:] == ["barrier 2"]

    # in no topic, a page talks to everyone, as in the plain chat
    await click_topic(alice, "sports", "none")
    await send_and_see(alice, "no topic: hello everyone")
    await everyone_hears(server, pages, carol, "barrier 3")
    for page in pages:
        assert (await messages_of(page))[-2:] == ["no topic: hello everyone", "barrier 3"]
    assert carol.received("chat message")[-2:] == ["no topic: hello everyone", "barrier 3"]
    assert board.lines() == [
        "/  (connected): alice, bob, carol",
        "/  music: carol",
        "/  sports: bob",
    ]
    assert "alice left 'sports'" in server.log.lines("room")

    await alice.screenshot(path=artifact("chat-topics-alice-after.png"))
    await bob.screenshot(path=artifact("chat-topics-bob.png"))
    await carol.disconnect()


async def test_against_the_plain_chat_the_page_shows_no_topics_and_holds_back_nothing(
    browser, chat_server
) -> None:
    page = await open_chat(browser, chat_server, "alice")
    bar = page.locator("#topics")
    # Sent while the page still waits for an answer about topics: it must not wait behind it.
    await type_and_send(page, "sent at once")
    await expect(page.locator("#messages > li")).to_have_text(["sent at once"], timeout=WAIT_MS)
    assert await bar.get_attribute("data-state") == "asking"
    await expect(bar).to_have_attribute("data-state", "none", timeout=WAIT_MS)
    await expect(bar).to_be_hidden()
    assert await page.locator("#topic-buttons button").count() == 0
    # asked, the message overtook the pending question, asked once more, then gave up
    received = chat_server.log.lines("received")
    assert len(received) == 3, received
    assert received[0] == received[2] == "alice → 'topics' "
    # the page's client offset: its session key and a counter (no name: names may be long)
    assert re.fullmatch(r"alice → 'chat message' 'sent at once', '[0-9a-z]+-0'", received[1])
    await page.screenshot(path=artifact("chat-topics-plain-server.png"))
