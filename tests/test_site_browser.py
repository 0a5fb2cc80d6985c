"""The static site (``make site``) in Chromium, without a kernel: what happened is shown.

A few pages are built the way ``make site`` builds them all (``tools.site``:
each notebook as committed, with the widget state ``make notebooks`` saved in
it, the renderer copied beside the pages) and served by a plain static file
server on loopback. Chromium then finds, with no kernel anywhere: the chat panes
with their messages, a delivery table, the delivery diagram's arrows, and
previous/next links that lead from page to page; and no page asks anything of
another host (no CDN). Deselect with ``-m "not browser"``.
"""

from __future__ import annotations

import functools
import re
import shutil
import threading
import time
from collections.abc import Iterator
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from playwright.sync_api import Page, Request, expect, sync_playwright

from tools import site

from .browser_support import ROOT, artifact, launch_options, require_chromium
from .support import require

pytestmark = pytest.mark.browser

# The index, the chat lesson (panes and delivery tables) and the diagram's lesson.
BUILT = ["00-index", "01-chat-example", "08-see-delivery"]
WAIT_MS = 15_000  # the renderer is a 5 MB script; every wait is bounded by this


class QuietHandler(SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: object) -> None:
        pass


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, Path]]:
    require_chromium()
    require(shutil.which("npm") is not None, "npm", "sudo apt-get install npm")
    out = tmp_path_factory.mktemp("site")
    started = time.monotonic()
    site.build(out, [ROOT / "notebooks" / f"{stem}.ipynb" for stem in BUILT])
    print(f"built {len(BUILT)} pages in {time.monotonic() - started:.1f} s")
    handler = functools.partial(QuietHandler, directory=str(out))
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}", out
    server.shutdown()
    server.server_close()


@pytest.fixture(scope="module")
def page(served: tuple[str, Path]) -> Iterator[Page]:
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(**launch_options())
        yield browser.new_page(viewport={"width": 1400, "height": 1000})
        browser.close()


def visit(page: Page, served: tuple[str, Path], stem: str) -> str:
    """Open one page of the built site; return the site's address."""
    url, _out = served
    page.goto(f"{url}/{stem}.html")
    return url


def test_links_between_notebooks_point_at_pages(served: tuple[str, Path]) -> None:
    _url, out = served
    stems = {p.stem for p in (ROOT / "notebooks").glob("[0-9][0-9]*-*.ipynb")}
    for stem in BUILT:
        html = (out / f"{stem}.html").read_text()
        assert not re.search(r'href="[^"]*\.ipynb', html), f"{stem} still links a notebook"
        targets = set(re.findall(r'href="(\d\d[a-z]?-[^"#/]+)\.html', html))
        assert targets, f"{stem} links no other page"
        assert targets <= stems, f"{stem} links pages that do not exist: {targets - stems}"
    assert (out / "index.html").read_text() == (out / "00-index.html").read_text()


def test_panes_and_delivery_tables_are_shown_without_a_kernel(
    served: tuple[str, Path], page: Page
) -> None:
    visit(page, served, "01-chat-example")
    alice = page.locator(".chatlib-client-pane", has_text="alice").first
    expect(alice).to_be_visible(timeout=WAIT_MS)
    expect(alice.locator(".chatlib-pane-messages")).to_contain_text(
        "← chat message 'hello from alice'", timeout=WAIT_MS
    )
    expect(page.locator(".chatlib-server-log").first).to_contain_text("connected", timeout=WAIT_MS)
    table = page.locator("table", has=page.locator("th", has_text=re.compile("^from$"))).first
    expect(table).to_be_visible(timeout=WAIT_MS)
    expect(table.locator("tbody tr").first).to_contain_text("chat message")
    alice.scroll_into_view_if_needed()
    page.screenshot(path=artifact("site-01-chat-example.png"))


def test_the_delivery_diagram_is_drawn_without_a_kernel(
    served: tuple[str, Path], page: Page
) -> None:
    visit(page, served, "08-see-delivery")
    diagram = page.locator(".chatlib-diagram").first
    expect(diagram).to_be_visible(timeout=WAIT_MS)
    arrows = diagram.locator("svg.dg-svg path.dg-delivered")
    arrows.first.wait_for(state="attached", timeout=WAIT_MS)
    assert arrows.count() >= 1
    diagram.screenshot(path=artifact("site-08-diagram.png"))


def test_previous_and_next_links_lead_from_page_to_page(
    served: tuple[str, Path], page: Page
) -> None:
    url = visit(page, served, "index")
    page.get_by_role("link", name=re.compile("Chat example|01")).first.click()
    expect(page).to_have_url(f"{url}/01-chat-example.html", timeout=WAIT_MS)
    page.get_by_role("link", name="Index").first.click()
    expect(page).to_have_url(f"{url}/00-index.html", timeout=WAIT_MS)
    expect(page.locator("h1").first).to_be_visible()


def test_pages_ask_nothing_of_another_host(served: tuple[str, Path], page: Page) -> None:
    """Every script, style and font comes from the site itself: it works offline."""
    url, _out = served
    elsewhere: list[str] = []

    def note(request: Request) -> None:
        parts = urlsplit(request.url)
        if parts.scheme in ("http", "https") and parts.hostname != "127.0.0.1":
            elsewhere.append(request.url)

    page.on("request", note)
    try:
        for stem in BUILT:
            page.goto(f"{url}/{stem}.html", wait_until="networkidle", timeout=WAIT_MS)
    finally:
        page.remove_listener("request", note)
    assert not elsewhere, f"requests to other hosts: {sorted(set(elsewhere))}"
