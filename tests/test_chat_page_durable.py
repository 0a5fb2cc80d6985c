"""The tutorial's steps 7 and 8 on the chat page, in headless Chromium.

``python -m chatlib serve --db`` runs as its own process. Two pages chat; one
is disconnected with its Disconnect button while the other writes, and on
Connect it must receive exactly what it missed, in order, once (step 7: the
``serverOffset`` in ``auth``). Then the server is frozen (SIGSTOP) while a page
sends, killed (SIGKILL) and started again on the same port and file: the
page's own retry (``retries``, the same client offset) must deliver that
message once (step 8), and both pages must end with the same list.
"""

from __future__ import annotations

import signal
import sqlite3

import pytest
from playwright.async_api import Browser, Page, expect

from chatlib.durable.server import MAX_CLIENT_OFFSET_LENGTH

from .browser_support import artifact
from .serve_support import fill, free_port, kill, serve, small_disk
from .test_chat_page_browser import WAIT_MS, browser, messages_of, type_and_send

pytestmark = pytest.mark.browser
__all__ = ["browser"]  # the fixture, shared with the chat page's other browser tests

RECONNECT_MS = 20_000
"""Reconnecting backs off (about 1, 2, 4, 5 s, randomized) while the server restarts."""

# What each page heard and sent, recorded by the official client itself: every incoming
# 'chat message' (text and server offset) and every outgoing try (text and client offset).
RECORD = """() => {
  window.heard = []; window.tries = [];
  socket.onAny((event, ...args) => { if (event === 'chat message') window.heard.push(args); });
  socket.onAnyOutgoing((event, ...args) => {
    if (event === 'chat message') window.tries.push(args);
  });
}"""


async def open_page(browser: Browser, url: str, name: str) -> Page:
    context = await browser.new_context(viewport={"width": 640, "height": 480})
    page = await context.new_page()
    await page.goto(f"{url}/?name={name}")
    await expect(page.locator("#status")).to_have_text(f"connected as {name}", timeout=WAIT_MS)
    await page.evaluate(RECORD)
    return page


async def say(page: Page, text: str, pages: list[Page]) -> None:
    """Send from ``page`` and wait until every page in ``pages`` shows it last."""
    await type_and_send(page, text)
    for other in pages:
        await expect(other.locator("#messages > li").last).to_have_text(text, timeout=WAIT_MS)


def stored(db: object) -> list[tuple[int, str, str]]:
    with sqlite3.connect(f"file:{db}?mode=ro", uri=True) as connection:
        return connection.execute("SELECT id, sender, content FROM messages ORDER BY id").fetchall()


async def test_a_page_gets_what_it_missed_and_its_retry_survives_a_killed_server(
    browser, tmp_path
) -> None:
    db, port = tmp_path / "chat.db", free_port()
    process, url = await serve(db, port)
    try:
        alice = await open_page(browser, url, "alice")
        bob = await open_page(browser, url, "bob")
        both = [alice, bob]
        expected = ["1 alice: hello", "2 bob: hi alice"]
        await say(alice, expected[0], both)
        await say(bob, expected[1], both)

        # Step 7: alice is offline while bob writes; Connect brings exactly what she missed.
        await alice.click("#toggle")
        await expect(alice.locator("#status")).to_have_text("disconnected", timeout=WAIT_MS)
        await expect(alice.locator("#toggle")).to_have_text("Connect")
        missed = ["3 bob: are you there?", "4 bob: <b>still</b> here", "5 bob: last one"]
        for text in missed:
            await say(bob, text, [bob])
        assert await messages_of(alice) == expected
        await alice.evaluate("window.heard = []")
        await alice.click("#toggle")
        await expect(alice.locator("#status")).to_have_text("connected as alice", timeout=WAIT_MS)
        expected += missed
        # A live message after the replay: once it is shown, any repeat would have been too.
        expected.append("6 bob: welcome back")
        await say(bob, expected[-1], both)
        assert await messages_of(alice) == expected
        heard = await alice.evaluate("window.heard")
        assert heard == [[text, offset] for offset, text in enumerate(expected, 1)][2:]
        assert await alice.locator("#messages b").count() == 0  # text, never HTML
        await alice.screenshot(path=artifact("chat-durable-alice-replayed.png"))

        # Step 8: alice sends to a frozen server, which is then killed and started again.
        process.send_signal(signal.SIGSTOP)
        retried = "7 alice: sent as the server died"
        await type_and_send(alice, retried)
        await alice.wait_for_function("window.tries.length === 2", timeout=WAIT_MS)  # 1st try
        await kill(process)
        for page in both:  # (its status may already say "cannot connect": it keeps trying)
            await page.wait_for_function("!socket.connected", timeout=WAIT_MS)
        process, _ = await serve(db, port)
        for page, name in [(alice, "alice"), (bob, "bob")]:
            await expect(page.locator("#status")).to_have_text(
                f"connected as {name}", timeout=RECONNECT_MS
            )
        expected.append(retried)
        for page in both:
            await expect(page.locator("#messages > li").last).to_have_text(retried, timeout=WAIT_MS)
        expected.append("8 bob: the server is back")
        await say(bob, expected[-1], both)

        for page in both:
            assert await messages_of(page) == expected
        tries = await alice.evaluate("window.tries")
        assert [text for text, _offset in tries] == [expected[0], retried, retried]
        assert tries[1][1] == tries[2][1]  # the retry carries the same client offset
        senders = ["alice", "bob", "bob", "bob", "bob", "bob", "alice", "bob"]
        assert stored(db) == [
            (i, sender, text)
            for i, (sender, text) in enumerate(zip(senders, expected, strict=True), 1)
        ]
        await expect(alice.locator("#status")).to_have_text("connected as alice")
        for page in both:  # the durable chat offers no topics; the page shows none
            await expect(page.locator("#topics")).to_have_attribute("data-state", "none")
            await expect(page.locator("#topics")).to_be_hidden()
        await alice.screenshot(path=artifact("chat-durable-alice-after-restart.png"))
        await bob.screenshot(path=artifact("chat-durable-bob-after-restart.png"))
    finally:
        if process.returncode is None:
            process.send_signal(signal.SIGCONT)
        await kill(process)


async def test_a_page_with_a_200_character_name_has_its_messages_accepted(browser, tmp_path):
    db, port = tmp_path / "chat.db", free_port()
    process, url = await serve(db, port)
    name = "n" * 200
    try:
        context = await browser.new_context()
        page = await context.new_page()
        await page.goto(f"{url}/?name={name}")
        await expect(page.locator("#status")).to_have_text(
            f"connected as {name[:40]}", timeout=WAIT_MS
        )
        await page.evaluate(RECORD)
        for text in ["first", "second"]:
            await say(page, text, [page])
        tries = await page.evaluate("window.tries")
        assert [text for text, _offset in tries] == ["first", "second"]
        assert all(len(offset) <= MAX_CLIENT_OFFSET_LENGTH for _text, offset in tries)
        assert [row[1:] for row in stored(db)] == [(name[:40], "first"), (name[:40], "second")]
        await expect(page.locator("#status")).to_have_text(f"connected as {name[:40]}")
    finally:
        await kill(process)


async def test_a_page_on_a_full_disk_shows_why_and_sends_again_once_there_is_room(
    browser, tmp_path
) -> None:
    port = free_port()
    with small_disk(tmp_path / "disk") as disk:
        db = disk / "chat.db"
        process, url = await serve(db, port)
        try:
            page = await open_page(browser, url, "alice")
            await say(page, "before", [page])
            filler = fill(disk)
            big = "a message bigger than a page of the write-ahead log " * 9
            await type_and_send(page, big)
            await expect(page.locator("#status")).to_contain_text("is full", timeout=WAIT_MS)
            filler.unlink()
            # the page sends it again LATER_MS (5 s) after the refusal, with the same offset
            await expect(page.locator("#messages > li").last).to_have_text(big, timeout=15_000)
            await expect(page.locator("#status")).to_have_text("connected as alice")
            tries = await page.evaluate("window.tries")
            assert [text for text, _ in tries] == ["before", big, big]
            assert tries[1][1] == tries[2][1]
            assert [row[2] for row in stored(db)] == ["before", big]
        finally:
            await kill(process)
