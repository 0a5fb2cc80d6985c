"""Suite-wide guards: an empty set of notebooks fails the run instead of passing it, and a
notebook whose service (Redis) is missing is skipped for a learner (it fails under CI=true)."""

import json
import shutil
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
    for item in cells:
        missing = _missing_service(item.path)
        if missing:
            item.add_marker(pytest.mark.skip(reason=missing))
    if asked_for_notebooks and not cells and not config.getoption("-k"):
        raise pytest.UsageError("no notebook cell was collected: nbval would have tested nothing")


def _missing_service(notebook: Path) -> str | None:
    """Why a notebook cannot run here: its metadata ``chatlib.needs`` lists ``redis``.

    A learner without Redis gets a skip with install advice; under CI=true
    nothing is skipped, so a missing Redis fails the notebook.
    """
    from tests.support import IN_CI

    needs = json.loads(notebook.read_text()).get("metadata", {}).get("chatlib", {}).get("needs", [])
    if "redis" not in needs or IN_CI:
        return None
    from chatlib.scale.localredis import HOW_TO_GET_REDIS, RedisUnavailable, find_redis

    try:
        find_redis(start=False)
    except RedisUnavailable:
        if not shutil.which("redis-server"):
            return HOW_TO_GET_REDIS
    return None
