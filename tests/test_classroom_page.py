"""The classroom page in headless Chromium: the token, who is online, a busy class's refusal."""

import re

import pytest

from chatlib import wait_until
from chatlib.classroom.session import start_class
from chatlib.classroom.student import join_class

SETTLED = re.compile(r"^(connected as |cannot join: )")


async def page_once_settled(url: str) -> tuple[str, bool]:
    """The status line once the page has connected or been refused; whether it asks for a token.

    Waits on the status itself (bounded), not on a fixed slice of browser time: a busy
    machine may take longer than any budget to finish the handshake.
    """
    from playwright.async_api import async_playwright, expect

    from tests.browser_support import launch_options, require_chromium

    require_chromium()
    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(**launch_options())
        page = await browser.new_page()
        await page.goto(url)
        status = page.locator("#status")
        await expect(status).to_have_text(SETTLED, timeout=15000)
        text = await status.text_content() or ""
        asks_for_token = await page.locator("#token-label").is_visible()
        await browser.close()
    return text, asks_for_token


@pytest.fixture
async def guarded():
    classroom = await start_class("page", token="sekrit")
    yield classroom
    await classroom.stop()


@pytest.mark.browser
async def test_without_a_token_the_page_asks_for_one(guarded):
    status, asks_for_token = await page_once_settled(guarded.url + "/?name=ada")
    assert status.startswith("cannot join: this classroom needs an access token")
    assert asks_for_token
    assert guarded.online() == []


@pytest.mark.browser
async def test_a_wrong_token_is_refused_with_the_reason(guarded):
    status, _ = await page_once_settled(guarded.url + "/?name=ada&token=guess")
    assert status == (
        "cannot join: wrong access token: ask the instructor for the current join link"
    )


@pytest.mark.browser
async def test_the_join_link_lets_a_browser_in(guarded):
    status, asks_for_token = await page_once_settled(guarded.url + "/?name=ada&token=sekrit")
    assert status == "connected as ada"
    assert not asks_for_token  # the link brought the token
    assert "ada connected to /" in guarded.server.log.lines("connect")


@pytest.mark.browser
async def test_the_page_shows_who_is_online_as_text_and_follows_changes():
    from playwright.async_api import async_playwright, expect

    from tests.browser_support import launch_options, require_chromium

    require_chromium()
    classroom = await start_class("online-page", online_tick=0.05)
    eve = await join_class(classroom.url, "<b>eve</b>")
    try:
        async with async_playwright() as playwright:
            browser = await playwright.chromium.launch(**launch_options())
            for scheme in ("light", "dark"):
                context = await browser.new_context(color_scheme=scheme)
                page = await context.new_page()
                await page.goto(classroom.url + "/?name=ada")
                names = page.locator("#online-names")
                await expect(names).to_have_text("<b>eve</b>, ada", timeout=5000)
                await expect(page.locator("#online-count")).to_have_text("2")
                assert await page.locator("#online-names b").count() == 0  # text, not HTML
                colours = await page.evaluate(
                    "[getComputedStyle(document.body).backgroundColor,"
                    " getComputedStyle(document.querySelector('#online-names')).color]"
                )
                dark = colours[0] == "rgb(30, 30, 30)"
                assert dark == (scheme == "dark"), colours  # the theme's variables apply
                assert colours[0] != colours[1]
                await context.close()
                await wait_until(lambda: classroom.online() == ["<b>eve</b>"], what="ada gone")
            page = await (await browser.new_context()).new_page()
            await page.goto(classroom.url + "/?name=ada")
            await expect(page.locator("#online-count")).to_have_text("2", timeout=5000)
            await eve.client.disconnect()
            await expect(page.locator("#online-names")).to_have_text("ada", timeout=5000)
            await expect(page.locator("#online-count")).to_have_text("1")
            await browser.close()
    finally:
        await classroom.stop()


@pytest.mark.browser
async def test_a_busy_class_shows_the_refusal_and_gives_the_text_back():
    from playwright.async_api import async_playwright, expect

    from chatlib.classroom.budget import MessageBudget
    from tests.browser_support import launch_options, require_chromium

    require_chromium()
    # Room for one message to one student; the next one within the minute is refused.
    budget = MessageBudget(deliveries_per_second=1 / 60, burst_seconds=60)
    classroom = await start_class("busy-page", budget=budget)
    try:
        async with async_playwright() as playwright:
            browser = await playwright.chromium.launch(**launch_options())
            page = await browser.new_page()
            await page.goto(classroom.url + "/?name=ada")
            await expect(page.locator("#status")).to_have_text("connected as ada", timeout=5000)
            for text in ("first", "second"):
                await page.fill("#input", text)
                await page.press("#input", "Enter")
            await expect(page.locator("#messages > li")).to_have_text(["adafirst"], timeout=5000)
            await expect(page.locator("#status")).to_contain_text("the class is busy")
            await expect(page.locator("#input")).to_have_value("second")
            assert await page.locator("#status.refused").count() == 1
            await browser.close()
    finally:
        await classroom.stop()
