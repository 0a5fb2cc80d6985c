"""Suite-wide guards: an empty set of notebooks fails the run instead of passing it."""

from pathlib import Path

import pytest

NOTEBOOKS = Path(__file__).parent / "notebooks"


def pytest_collection_modifyitems(session: pytest.Session, config: pytest.Config, items) -> None:
    if not config.getoption("--nbval", default=False):
        return
    asked_for_notebooks = not config.args or any(
        Path(arg.split("::")[0]).resolve().is_relative_to(NOTEBOOKS.resolve())
        or NOTEBOOKS.resolve().is_relative_to(Path(arg.split("::")[0]).resolve())
        for arg in config.args
    )
    cells = [item for item in items if item.path.suffix == ".ipynb"]
    if asked_for_notebooks and not cells and not config.getoption("-k"):
        raise pytest.UsageError("no notebook cell was collected: nbval would have tested nothing")
