"""Headless Chromium for the tests: where it is, how it is started, where pictures go.

The tests drive Debian's ``chromium`` through Playwright for Python; Playwright's
own browser download is not used, so ``executable_path`` points at the system
binary. Playwright gives every launch a fresh temporary profile, so nothing a
test does survives it. Screenshots land in ``test-artifacts/`` (git-ignored), to
look at after a run, in CI or by hand.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from .support import require

ROOT = Path(__file__).resolve().parent.parent
ARTIFACTS = ROOT / "test-artifacts"
CHROMIUM = Path(os.environ.get("CHROMIUM", "/usr/bin/chromium"))

# Root in a container has no sandbox to offer; the rest keeps a headless run quiet and
# offline (no update checks, no sync, no first-run dialogs).
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


def require_chromium() -> None:
    """Skip (fail under CI) unless a Chromium binary is installed.

    Playwright itself is a test dependency (``pip install -e '.[test]'``), imported
    by the test modules like pytest-asyncio is.
    """
    require(
        CHROMIUM.is_file() and os.access(CHROMIUM, os.X_OK),
        f"Chromium ({CHROMIUM})",
        "sudo apt-get install -y --no-install-recommends chromium "
        "(or set CHROMIUM=/path/to/chromium)",
    )


def launch_options() -> dict[str, Any]:
    """Keyword arguments for ``playwright.chromium.launch``."""
    return {"executable_path": str(CHROMIUM), "headless": True, "args": CHROMIUM_ARGS}


def artifact(name: str) -> Path:
    """A path in ``test-artifacts/`` for a screenshot called ``name``."""
    ARTIFACTS.mkdir(exist_ok=True)
    return ARTIFACTS / name
