"""The chat page through a Jupyter server, as on JupyterHub, Binder or a remote Jupyter.

A remote browser reaches only the Jupyter server, so the kernel's chat server is
reached through jupyter-server-proxy at ``<lab>/proxy/<port>/``: the page, its
JavaScript client, the long-polling requests and the WebSocket all go through
that path. These tests start a private JupyterLab (``lab_support``) and:

- open the chat page of a server started in this process through the Lab's
  address, in Chromium, and chat both ways with a Python ``ChatClient``;
- do the same with the classroom page and a join link carrying the class's token;
- run ``ChatPageLink`` in a real kernel of that Lab and follow its link.
"""

from __future__ import annotations

import asyncio
import re
from collections.abc import Iterator

import pytest
from playwright.async_api import async_playwright, expect
from playwright.sync_api import Browser

from chatlib import ChatClient, EmbeddedServer, settle
from chatlib.chat import LOCAL_CLIENT
from chatlib.classroom.session import start_class
from chatlib.jupyter_links import proxy_installed

from .browser_support import ROOT, artifact, launch_options, require_chromium
from .lab_support import JupyterLab
from .support import require
from .test_chat_page_browser import server as server  # a chat server, its errors checked
from .test_jupyterlab_browser import browser as browser  # Chromium, after this module's `lab`
from .test_jupyterlab_browser import run_in_jupyterlab, write_notebook

pytestmark = pytest.mark.browser

WAIT_MS = 10_000  # every browser wait is bounded by this (the proxy adds a hop)


@pytest.fixture(scope="module")
def lab(tmp_path_factory: pytest.TempPathFactory) -> Iterator[JupyterLab]:
    require_chromium()
    require(proxy_installed(), "jupyter-server-proxy", "pip install -e '.[lab]'")
    # The page loads socket.io-client from node_modules; the CDN is not reachable offline.
    require(LOCAL_CLIENT.is_file(), "socket.io-client in node_modules", "run `npm ci`")
    lab = JupyterLab(tmp_path_factory.mktemp("proxylab"), ROOT / "notebooks").start()
    yield lab
    lab.stop()


async def test_the_chat_page_works_through_the_jupyter_server(
    lab: JupyterLab, server: EmbeddedServer
) -> None:
    bob = ChatClient("bob")
    await bob.connect(server.url)
    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(**launch_options())
        try:
            page = await browser.new_page(viewport={"width": 640, "height": 420})
            # The token logs the browser in to Jupyter (a cookie), as a learner already is.
            url = f"http://127.0.0.1:{lab.port}/proxy/{server.port}/?name=alice&token={lab.token}"
            await page.goto(url)
            await expect(page.locator("#status")).to_have_text(
                "connected as alice", timeout=WAIT_MS
            )
            # Its stylesheet came by a relative URL through the proxy too: the colours apply.
            page_colour = await page.evaluate("getComputedStyle(document.body).backgroundColor")
            assert page_colour == "rgb(255, 255, 255)"
            # Everything went through the Lab's port: the page's socket path is the proxy's.
            assert await page.evaluate("socket.io.opts.path") == f"/proxy/{server.port}/socket.io"
            # The connection upgrades to a WebSocket, proxied too.
            await page.wait_for_function(
                "socket.io.engine.transport.name === 'websocket'", timeout=WAIT_MS
            )

            await page.fill("#input", "hello from the browser")
            await page.press("#input", "Enter")
            await settle(server, [bob])
            await wait_until(lambda: "hello from the browser" in bob.received("chat message"))

            await bob.chat("hello from python")
            await expect(page.locator("#messages > li")).to_contain_text(
                ["hello from the browser", "hello from python"], timeout=WAIT_MS
            )
            await page.screenshot(path=artifact("proxied-chat-page.png"))
        finally:
            await browser.close()
            await bob.disconnect()


async def wait_until(condition, timeout: float = WAIT_MS / 1000) -> None:
    """Poll ``condition`` until it holds; fail after ``timeout`` seconds."""
    async with asyncio.timeout(timeout):
        while not condition():
            await asyncio.sleep(0.02)


async def test_the_classroom_page_works_through_the_jupyter_server(lab: JupyterLab) -> None:
    """A join link with the class's own token, opened through the Jupyter server."""
    classroom = await start_class("proxied-class", token="sekrit")
    try:
        async with async_playwright() as playwright:
            browser = await playwright.chromium.launch(**launch_options())
            try:
                page = await browser.new_page(viewport={"width": 640, "height": 420})
                await page.goto(lab.url("api/status"))  # logged in to Jupyter, as a learner is
                proxied = f"http://127.0.0.1:{lab.port}/proxy/{classroom.server.port}/"
                await page.goto(proxied + "?name=ada&token=sekrit")
                await expect(page.locator("#status")).to_have_text(
                    "connected as ada", timeout=WAIT_MS
                )
                assert page.url == proxied + "?name=ada"  # the page took the token out
                await page.fill("#input", "hello, class")
                await page.press("#input", "Enter")
                await wait_until(
                    lambda: any("hello, class" in str(m) for m in classroom.conversation)
                )
            finally:
                await browser.close()
    finally:
        await classroom.stop()


# Sync Playwright keeps its own event loop running while its browser is open (the module's
# `browser` fixture): the tests that take it come after every async test of this module.
LINK_NOTEBOOK = [
    "from chatlib import add_chat_handlers, start_server\n"
    "from chatlib.widgets import ChatPageLink\n\n"
    'server = await start_server("linked", chat_page=True)\n'
    "add_chat_handlers(server.sio)\n"
    "ChatPageLink(server)",
]


def test_chat_page_link_in_a_lab_kernel_goes_through_the_jupyter_server(
    lab: JupyterLab, browser: Browser
) -> None:
    state, page = run_in_jupyterlab(lab, browser, write_notebook(lab, "link.ipynb", LINK_NOTEBOOK))
    try:
        assert state["errors"] == [] and state["widgetFailures"] == []
        links = page.locator(".jp-OutputArea-output a")
        hrefs = [links.nth(i).get_attribute("href") for i in range(links.count())]
        assert len(hrefs) == 2, hrefs
        proxied, direct = hrefs
        assert re.fullmatch(r"/proxy/\d+/", proxied), proxied
        assert direct == f"http://127.0.0.1:{proxied.split('/')[2]}/"
        with page.context.expect_page(timeout=WAIT_MS) as opened:
            links.first.click()
        chat = opened.value
        assert chat.url == f"http://127.0.0.1:{lab.port}{proxied}"
        chat.locator("#status").wait_for(state="visible", timeout=WAIT_MS)
        chat.wait_for_function(
            "document.getElementById('status').textContent === 'connected as guest'",
            timeout=WAIT_MS,
        )
        chat.fill("#input", "through the link")
        chat.press("#input", "Enter")
        chat.wait_for_function(
            "[...document.querySelectorAll('#messages > li')]"
            ".some((li) => li.textContent.includes('through the link'))",
            timeout=WAIT_MS,
        )
        chat.close()
    finally:
        page.close()
        lab.shut_down_kernels()
