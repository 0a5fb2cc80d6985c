"""The classroom page in headless Chromium: it asks for the token when the link lacks it."""

import asyncio
import shutil
import tempfile

import pytest

from chatlib.classroom.session import start_class
from tests.support import require

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")


async def page_after_scripts(url: str) -> str:
    """The page's DOM once its scripts have run (and connected, or been refused)."""
    require(
        CHROMIUM is not None,
        "Chromium",
        "apt-get install -y --no-install-recommends chromium",
    )
    with tempfile.TemporaryDirectory() as profile:
        browser = await asyncio.create_subprocess_exec(
            CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu",
            "--disable-background-networking", "--disable-component-update", "--disable-sync",
            "--no-first-run", f"--user-data-dir={profile}", "--virtual-time-budget=3000",
            "--dump-dom", url,
            stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.DEVNULL,
        )  # fmt: skip
        out, _ = await asyncio.wait_for(browser.communicate(), 60)
    return out.decode()


def status_of(dom: str) -> str:
    return dom.split('<div id="status">', 1)[1].split("</div>", 1)[0]


@pytest.fixture
async def guarded():
    classroom = await start_class("page", token="sekrit")
    yield classroom
    await classroom.stop()


@pytest.mark.browser
async def test_without_a_token_the_page_asks_for_one(guarded):
    dom = await page_after_scripts(guarded.url + "/?name=ada")
    assert status_of(dom).startswith("cannot join: this classroom needs an access token")
    assert '<label id="token-label">' in dom  # the token field is shown
    assert guarded.online() == []


@pytest.mark.browser
async def test_a_wrong_token_is_refused_with_the_reason(guarded):
    dom = await page_after_scripts(guarded.url + "/?name=ada&token=guess")
    assert status_of(dom) == (
        "cannot join: wrong access token: ask the instructor for the current join link"
    )


@pytest.mark.browser
async def test_the_join_link_lets_a_browser_in(guarded):
    dom = await page_after_scripts(guarded.url + "/?name=ada&token=sekrit")
    assert status_of(dom) == "connected as ada"
    assert '<label id="token-label" hidden="">' in dom  # the link brought the token
    assert "ada connected to /" in guarded.server.log.lines("connect")
