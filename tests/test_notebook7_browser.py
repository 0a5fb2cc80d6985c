"""The guide in Jupyter Notebook 7: every notebook runs from its Run menu in Chromium.

Notebook 7 is built from JupyterLab's components but has a shell of its own (one
document per browser tab, its own menus and URLs), so it is run like the
JupyterLab test: a private server (``lab_support.Notebook7``), outputs cleared,
Run → Run All Cells, then the same generic checks (``lab_checks``): every cell
ran, no error output, every pane rendered and showing what the delivery tables
say its client received. Deselect with ``-m "not browser"``.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, expect

from . import test_jupyterlab_browser as in_lab
from .browser_support import ROOT, artifact, require_chromium
from .lab_checks import expected_panes, problems
from .lab_support import Notebook7
from .support import require
from .test_jupyterlab_browser import browser as browser  # Chromium, after this module's `lab`

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def lab(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Notebook7]:
    """Notebook 7's server, under the name the shared `browser` fixture depends on."""
    require_chromium()
    try:
        import notebook  # noqa: F401  (the `lab` extra installs it)
    except ImportError:
        require(False, "Jupyter Notebook 7", "pip install -e '.[lab]'")
    server = Notebook7(tmp_path_factory.mktemp("notebook7"), ROOT / "notebooks").start()
    yield server
    server.stop()


@in_lab.each_notebook(in_lab.NOTEBOOKS)
def test_notebook_runs_in_notebook7(lab: Notebook7, browser: Browser, notebook: Path) -> None:
    state, page, found = in_lab.run_guide_notebook(lab, browser, notebook)
    try:
        pane = page.locator(".chatlib-client-pane").first
        if pane.count():
            pane.scroll_into_view_if_needed()
        page.screenshot(path=artifact(f"notebook7-{notebook.stem}.png"))
        assert found == []
        saved = notebook.read_text()  # what the notebook showed when it was saved
        if "chatlib-client-pane" in saved:
            assert state["panes"], "its saved copy shows panes: Notebook 7 must show them too"
        if "chatlib-diagram" in saved:
            expect(page.locator(".chatlib-diagram svg").first).to_be_visible(timeout=10_000)
    finally:
        page.close()
        lab.shut_down_kernels()


def test_the_checks_catch_an_error_in_notebook7(lab: Notebook7, browser: Browser) -> None:
    """The same checks, able to fail here too: an error and the cell it stopped."""
    name = in_lab.write_notebook(lab, "broken.ipynb", ["1 / 0", 'print("never runs")'])
    state, page = in_lab.run_in_jupyterlab(lab, browser, name)
    page.close()
    lab.shut_down_kernels()
    assert problems(state, expected_panes(lab.root / name)) == [
        "code cells [1] did not run (of 2)",
        "error output in cell 0: ZeroDivisionError: division by zero",
    ]
