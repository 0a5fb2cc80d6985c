"""The chat page in a real browser: two Chromium pages and a Python client chat together.

Everything is real: chatlib's server on loopback, the page it serves with the
official JavaScript client, headless Chromium typing into the form, and a
``ChatClient`` shown in a ``ClientPane``. Screenshots of both pages are saved
in ``test-artifacts/``.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator

import pytest
from playwright.async_api import Browser, Dialog, Page, async_playwright, expect

from chatlib import ChatClient, EmbeddedServer, add_chat_handlers, settle
from chatlib.chat import LOCAL_CLIENT
from chatlib.widgets import ClientPane

from .browser_support import artifact, launch_options, require_chromium
from .support import require

pytestmark = pytest.mark.browser

WAIT_MS = 5000  # every browser wait is bounded by this


@pytest.fixture
async def browser() -> AsyncIterator[Browser]:
    require_chromium()
    # The page loads socket.io-client from node_modules; the CDN is not reachable offline.
    require(LOCAL_CLIENT.is_file(), "socket.io-client in node_modules", "run `npm ci`")
    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(**launch_options())
        yield browser
        await browser.close()


@pytest.fixture
async def server() -> AsyncIterator[EmbeddedServer]:
    async with EmbeddedServer("chat-page-test", chat_page=True) as server:
        add_chat_handlers(server.sio)
        yield server
    assert not server.errors, server.errors


async def open_chat(browser: Browser, server: EmbeddedServer, name: str) -> Page:
    """A page of its own (its own browser context) connected to the chat as ``name``."""
    context = await browser.new_context(viewport={"width": 640, "height": 420})
    page = await context.new_page()
    await page.goto(f"{server.url}/?name={name}")
    await expect(page.locator("#status")).to_have_text(f"connected as {name}", timeout=WAIT_MS)
    return page


async def type_and_send(page: Page, text: str, *, press_enter: bool = True) -> None:
    """Type in the message box and submit, with Enter or with the Send button."""
    await page.fill("#input", text)
    if press_enter:
        await page.press("#input", "Enter")
    else:
        await page.click("#form button")


async def messages_of(page: Page) -> list[str]:
    return await page.locator("#messages > li").all_text_contents()


async def cast(browser, server) -> tuple[Page, Page, ChatClient, ClientPane]:
    """alice and bob on the chat page in Chromium; carol, a Python client, in a pane."""
    alice = await open_chat(browser, server, "alice")
    bob = await open_chat(browser, server, "bob")
    carol = ChatClient("carol")
    await carol.connect(server.url)
    return alice, bob, carol, ClientPane(carol, server)


async def wait_for_count(pages: list[Page], count: int) -> None:
    for page in pages:
        await expect(page.locator("#messages > li")).to_have_count(count, timeout=WAIT_MS)


async def test_two_pages_and_a_python_client_see_every_message_in_order(browser, server) -> None:
    alice, bob, carol, pane = await cast(browser, server)
    pages = [alice, bob]

    # A conversation in turns: each line is seen by everyone before the next is written.
    expected: list[str] = []
    turns = [
        (alice, "hi, this is alice in a browser"),
        (bob, "bob here, also in a browser"),
        (carol, "and carol, from Python"),
        (alice, "nice to meet you both"),
    ]
    for i, (who, text) in enumerate(turns):
        if isinstance(who, ChatClient):
            await who.chat(text)
        else:
            await type_and_send(who, text, press_enter=i % 2 == 0)
        expected.append(text)
        await wait_for_count(pages, len(expected))

    # A burst from one page, typed as fast as the browser can: one connection keeps its order.
    burst = [f"burst {n} from bob" for n in range(1, 6)]
    for text in burst:
        await type_and_send(bob, text)
    expected += burst
    await wait_for_count(pages, len(expected))
    await settle(server, carol)

    assert await messages_of(alice) == expected
    assert await messages_of(bob) == expected
    assert carol.received("chat message") == expected
    pane.refresh()
    received_lines = [line for line in pane.lines() if line.startswith("←")]
    assert received_lines == [f"← chat message {text!r}" for text in expected]
    assert sorted(server.log.lines("connect")) == [
        "alice connected to /",
        "bob connected to /",
        "carol connected to /",
    ]

    await alice.screenshot(path=artifact("chat-page-alice.png"))
    await bob.screenshot(path=artifact("chat-page-bob.png"))
    await carol.disconnect()


HOSTILE = [
    "<img src=x onerror=\"window.ran.push('img'); alert('img')\">",
    "<script>window.ran.push('script'); alert('script')</script>",
    "<b>not bold</b> <svg onload=\"window.ran.push('svg')\"></svg>",
]


async def test_html_in_a_message_is_shown_as_text_and_runs_nothing(browser, server) -> None:
    alice, bob, carol, pane = await cast(browser, server)
    pages = [alice, bob]

    dialogs: list[str] = []
    requested: list[str] = []

    async def on_dialog(dialog: Dialog) -> None:
        dialogs.append(dialog.message)
        await dialog.dismiss()

    for page in pages:
        await page.evaluate("window.ran = []")
        page.on("dialog", on_dialog)
        page.on("request", lambda request: requested.append(request.url))

    await type_and_send(alice, HOSTILE[0])
    await wait_for_count(pages, 1)
    await type_and_send(bob, HOSTILE[1])
    await wait_for_count(pages, 2)
    await carol.chat(HOSTILE[2])
    await wait_for_count(pages, 3)
    await settle(server, carol)

    for page in pages:
        assert await messages_of(page) == HOSTILE  # the literal text, markup and all
        assert await page.locator("#messages img, #messages script, #messages b").count() == 0
        assert await page.locator("#messages svg").count() == 0
    assert carol.received("chat message") == HOSTILE
    pane.refresh()
    assert "&lt;img src=x onerror=" in pane.messages.value
    assert "<img" not in pane.messages.value and "<script" not in pane.messages.value

    # The control: the same markup put in as HTML does run in this browser, so the silence
    # above means something. Its image request comes after the messages were shown.
    insert_as_html = "(html) => document.body.insertAdjacentHTML('beforeend', html)"
    await alice.evaluate(insert_as_html, HOSTILE[0])
    await alice.wait_for_function("window.ran.length > 0", timeout=WAIT_MS)
    assert await alice.evaluate("window.ran") == ["img"]
    assert await bob.evaluate("window.ran") == []
    for _ in range(100):  # the dialog event follows the push; bounded at 1 s
        if dialogs:
            break
        await asyncio.sleep(0.01)
    assert dialogs == ["img"]
    assert sum(url.endswith("/x") for url in requested) == 1  # only the control fetched it

    await alice.screenshot(path=artifact("chat-page-html-as-text.png"))
    await carol.disconnect()


@pytest.mark.parametrize(
    ("scheme", "page_colour"), [("light", "rgb(255, 255, 255)"), ("dark", "rgb(30, 30, 30)")]
)
async def test_chat_and_classroom_pages_load_their_shared_colours(
    browser, server, scheme, page_colour
) -> None:
    """Both pages link colours.css from their own server; Chromium applies it in each scheme."""
    from chatlib.classroom.session import start_class

    async with await start_class("page-colours") as classroom:
        for url in (server.url, classroom.url):
            context = await browser.new_context(color_scheme=scheme)
            page = await context.new_page()
            await page.goto(url + "/")  # waits for the load event: the stylesheet is in
            colour = await page.evaluate("getComputedStyle(document.body).backgroundColor")
            await context.close()
            assert colour == page_colour, url


async def test_stopping_the_server_disconnects_an_open_page_for_good(browser) -> None:
    server = EmbeddedServer("chat-page-stop", chat_page=True)
    await server.start()
    page = await open_chat(browser, server, "alice")
    connects = []
    page.on("websocket", lambda ws: connects.append(ws.url))

    started = time.monotonic()
    await server.stop()
    took = time.monotonic() - started

    # The page hung up at once and did not try again: a Socket.IO disconnect is final.
    await expect(page.locator("#status")).to_have_text("disconnected", timeout=WAIT_MS)
    assert took < 1, f"stopping took {took:.1f} s with a page open"
    assert await page.evaluate("socket.active") is False
    assert connects == []


async def test_pages_stay_connected_through_many_ping_cycles(browser) -> None:
    """With a 1 s + 1 s heartbeat, a server whose writer starved would drop each page after
    2 s. Two pages and a Python client stay 8 s, silent and then chatting: no page sees a
    disconnect, each answers at least five pings, and every message reaches everyone."""
    async with EmbeddedServer(
        "chat-page-held", chat_page=True, ping_interval=1, ping_timeout=1
    ) as server:
        add_chat_handlers(server.sio)
        pages = [await open_chat(browser, server, name) for name in ("alice", "bob")]
        for page in pages:
            await page.evaluate(
                "window.drops = []; window.pings = 0;"
                "socket.on('disconnect', (reason) => window.drops.push(reason));"
                "socket.io.engine.on('ping', () => { window.pings += 1; });"
            )
        carol = ChatClient("carol", reconnection=False)
        await carol.connect(server.url)
        await asyncio.sleep(4.5)  # the hold itself: silent for two of a starved writer's spans
        expected = []
        for n in range(8):
            text = f"message {n}"
            await type_and_send(pages[n % 2], text)
            expected.append(text)
            await asyncio.sleep(0.5)
        await wait_for_count(pages, len(expected))
        await settle(server, carol)
        for page in pages:
            assert await page.evaluate("window.drops") == []
            assert await page.evaluate("window.pings") >= 5
            assert await messages_of(page) == expected
        assert carol.connected
        assert carol.received("chat message") == expected
        assert not server.errors
        await carol.disconnect()
