"""Every notebook as a learner sees it: JupyterLab in headless Chromium, Run → Run All Cells.

One private JupyterLab (loopback, fresh token, copies of the notebooks) serves the
whole module. Each notebook is opened in its own workspace, its saved outputs are
cleared (so only this run's outputs are judged), all cells are run from the Run
menu, and the page is checked as ``tests/lab_checks.py`` describes. A screenshot
of each notebook goes to ``test-artifacts/``. Deselect with ``-m "not browser"``.
"""

from __future__ import annotations

import contextlib
import json
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Browser, Page, sync_playwright
from playwright.sync_api import TimeoutError as PlaywrightTimeout

from .browser_support import ROOT, artifact, launch_options, require_chromium
from .lab_checks import (
    ALL_CLEARED,
    NOTEBOOK_READY,
    READ_PAGE,
    RUN_FINISHED,
    RUN_STARTED,
    expected_panes,
    problems,
)
from .lab_support import JupyterLab

pytestmark = pytest.mark.browser

NOTEBOOKS = sorted((ROOT / "notebooks").glob("*.ipynb"))
OPEN_TIMEOUT_MS = 60_000  # JupyterLab's first load and a kernel start, on a busy machine
RUN_TIMEOUT_MS = 120_000  # every cell of one notebook (nbval runs one in ~2 s)


@pytest.fixture(scope="module")
def lab(tmp_path_factory: pytest.TempPathFactory) -> Iterator[JupyterLab]:
    require_chromium()
    lab = JupyterLab(tmp_path_factory.mktemp("jupyterlab"), ROOT / "notebooks").start()
    yield lab
    lab.stop()


@pytest.fixture(scope="module")
def browser(lab: JupyterLab) -> Iterator[Browser]:
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(**launch_options())
        yield browser
        browser.close()


def run_in_jupyterlab(lab: JupyterLab, browser: Browser, name: str) -> tuple[dict[str, Any], Page]:
    """Open ``name``, clear its outputs, run all cells from the menu; return what the page shows."""
    page = browser.new_page(viewport={"width": 1400, "height": 1000})
    workspace = Path(name).stem
    page.goto(lab.url(lab.document_path(name)), timeout=OPEN_TIMEOUT_MS)
    page.wait_for_function(NOTEBOOK_READY, timeout=OPEN_TIMEOUT_MS, polling=100)

    menu(page, "Edit", "Clear Outputs of All Cells", done=ALL_CLEARED)
    menu(page, "Run", "Run All Cells", done=RUN_STARTED)
    try:
        page.wait_for_function(RUN_FINISHED, timeout=RUN_TIMEOUT_MS, polling=200)
    except PlaywrightTimeout:
        page.screenshot(path=artifact(f"jupyterlab-{workspace}-stuck.png"))
        prompts = page.locator(".jp-NotebookPanel .jp-CodeCell .jp-InputPrompt")
        status = page.locator(".jp-Notebook-ExecutionIndicator").get_attribute("data-status")
        raise AssertionError(
            f"{name} did not finish within {RUN_TIMEOUT_MS / 1000:.0f} s: kernel {status}, "
            f"prompts {prompts.all_text_contents()}"
        ) from None
    # Panes redraw a moment after the last message; give them that moment (bounded).
    with contextlib.suppress(PlaywrightTimeout):  # a pane may rightly be empty: checks decide
        page.wait_for_function(
            "() => [...document.querySelectorAll('.chatlib-client-pane .chatlib-pane-messages')]"
            ".every((m) => m.innerText.trim() !== '')",
            timeout=2000,
        )
    return page.evaluate(READ_PAGE), page


def menu(page: Page, title: str, item: str, *, done: str, attempts: int = 3) -> None:
    """Choose ``title`` → ``item`` in the menu bar until ``done`` (JavaScript) holds.

    A click can land while JupyterLab is still settling which panel is current; then
    the command does nothing, so its effect is awaited, and the choice made again.
    """
    for _ in range(attempts):
        page.get_by_role("menuitem", name=title, exact=True).click()
        page.get_by_role("menuitem", name=item, exact=True).click()
        try:
            page.wait_for_function(done, timeout=5000, polling=100)
            return
        except PlaywrightTimeout:
            page.keyboard.press("Escape")  # close the menu if it is still open
    prompts = page.locator(".jp-NotebookPanel .jp-CodeCell .jp-InputPrompt").all_text_contents()
    raise AssertionError(f"{title} → {item} had no effect after {attempts} tries: {prompts}")


def screenshot(page: Page, name: str) -> None:
    """The first stage of panes in view if there is one, else the top of the notebook."""
    pane = page.locator(".chatlib-client-pane").first
    if pane.count():
        pane.scroll_into_view_if_needed()
    page.screenshot(path=artifact(f"jupyterlab-{Path(name).stem}.png"))


def each_notebook(notebooks: list[Path]) -> pytest.MarkDecorator:
    """Parametrize over the guide's notebooks; an empty list fails instead of passing."""
    return pytest.mark.parametrize(
        "notebook", notebooks or [None], ids=lambda p: p.stem if p else "none"
    )


def run_guide_notebook(
    lab: JupyterLab, browser: Browser, notebook: Path | None
) -> tuple[dict[str, Any], Page, list[str]]:
    """Run one of the guide's notebooks from the Run menu: (state, page, problems found)."""
    assert notebook is not None, "no notebook found in notebooks/: nothing would be tested"
    expected = expected_panes(notebook)
    state, page = run_in_jupyterlab(lab, browser, notebook.name)
    return state, page, problems(state, expected)


@each_notebook(NOTEBOOKS)
def test_notebook_runs_in_jupyterlab(lab: JupyterLab, browser: Browser, notebook: Path) -> None:
    _state, page, found = run_guide_notebook(lab, browser, notebook)
    try:
        screenshot(page, notebook.name)
        assert found == []
    finally:
        page.close()
        lab.shut_down_kernels()


# The checks must be able to fail: a notebook with an error, an unrun cell and a pane that
# shows nothing although a table says its client received a message.
BROKEN = [
    "from chatlib import ChatClient\nfrom chatlib.widgets import ClientPane\n\n"
    'ClientPane(ChatClient("alice"))',
    "print(\"from  event         data  alice\\nbob   chat message  'hi'  ✓\")",
    "1 / 0",
    'print("never runs")',
]


def write_notebook(lab: JupyterLab, name: str, sources: list[str]) -> str:
    """Save code cells as an unrun notebook called ``name`` where JupyterLab serves it."""
    cells = [
        {"cell_type": "code", "execution_count": None, "id": f"c{i}", "metadata": {}}
        | {"outputs": [], "source": source}
        for i, source in enumerate(sources)
    ]
    notebook = {
        "cells": cells,
        "metadata": {"kernelspec": {"name": "python3", "display_name": "Python 3"}},
        "nbformat": 4,
        "nbformat_minor": 5,
    }
    (lab.root / name).write_text(json.dumps(notebook))
    return name


def test_the_checks_catch_a_broken_notebook(lab: JupyterLab, browser: Browser) -> None:
    state, page = run_in_jupyterlab(lab, browser, write_notebook(lab, "broken.ipynb", BROKEN))
    page.close()
    lab.shut_down_kernels()

    found = problems(state, Counter({"alice": 1, "bob": 1}))
    assert found == [
        "code cells [3] did not run (of 4)",
        "error output in cell 2: ZeroDivisionError: division by zero",
        "panes not rendered: ['bob']",
        "pane alice shows no message, but alice received 1",
        "no pane of alice shows any of [\"← chat message 'hi'\"]",
    ]


DIAGRAM = [
    "from chatlib import connect_clients, settle, start_server\n"
    "from chatlib.diagram.widget import DeliveryDiagram\n\n"
    'server = await start_server("diagram")\n'
    'clients = await connect_clients(server.url, ["alice", "bob", "carol"])\n'
    "alice = clients[0]\n"
    "DeliveryDiagram(server, clients)",
    "@server.sio.on('chat message')\n"
    "async def chat_message(sid, text):\n"
    "    await server.sio.emit('chat message', text, skip_sid=sid)\n\n"
    "await alice.chat('hello, everyone but me')\n"
    "await settle(server, clients)",
]


def test_the_delivery_diagram_draws_a_broadcast(lab: JupyterLab, browser: Browser) -> None:
    """Arrows to bob and carol, alice visibly skipped: drawn by the widget's own JavaScript."""
    state, page = run_in_jupyterlab(lab, browser, write_notebook(lab, "diagram.ipynb", DIAGRAM))
    try:
        assert state["errors"] == [] and state["widgetFailures"] == []
        svg = page.locator(".chatlib-diagram svg.dg-svg")
        for receiver in ("bob", "carol"):
            arrow = svg.locator(f'path.dg-delivered[data-to="{receiver}"]')
            arrow.wait_for(state="attached", timeout=10_000)  # a flat arrow has no height
        skipped = svg.locator('path.dg-skipped[data-to="alice"]')
        skipped.wait_for(state="attached", timeout=10_000)
        assert skipped.get_attribute("data-reason") == "excluded"
        assert svg.locator('path.dg-delivered[data-to="alice"]').count() == 0
        page.locator(".chatlib-diagram").screenshot(
            path=artifact("jupyterlab-diagram.png"), animations="disabled"
        )
    finally:
        page.close()
        lab.shut_down_kernels()
