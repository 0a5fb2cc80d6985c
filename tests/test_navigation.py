"""Previous / next links at the top and bottom of every notebook (``tools/navigation.py``)."""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

import pytest

from tools import navigation

NOTEBOOKS = sorted(navigation.NOTEBOOKS.glob("[0-9][0-9]*-*.ipynb"))


def navigation_cells(path: Path) -> list[tuple[int, str]]:
    cells = json.loads(path.read_text())["cells"]
    return [(i, "".join(c["source"])) for i, c in enumerate(cells) if navigation.is_navigation(c)]


def test_every_notebook_is_up_to_date() -> None:
    assert len(NOTEBOOKS) >= 2, "fewer than two notebooks: nothing to link"
    assert navigation.problems() == []


@pytest.mark.parametrize("index", range(len(NOTEBOOKS)), ids=[p.stem for p in NOTEBOOKS])
def test_top_and_bottom_link_the_previous_and_the_next_notebook(index: int) -> None:
    """Read from the cells themselves, not from the generator: neighbours by file order."""
    path = NOTEBOOKS[index]
    cells = navigation_cells(path)
    total = len(json.loads(path.read_text())["cells"])
    assert [i for i, _ in cells] == [1, total - 1], "one after the title, one at the very end"
    for _, text in cells:
        links = re.findall(r"\]\(([^)]+)\)", text)
        if index > 0:
            assert re.search(rf"previous: \[[^\]]+\]\({NOTEBOOKS[index - 1].name}\)", text)
        if index + 1 < len(NOTEBOOKS):
            assert re.search(rf"next: \[[^\]]+\]\({NOTEBOOKS[index + 1].name}\)", text)
        assert path.name not in links, "a notebook does not link to itself"
        assert all((path.parent / link).is_file() for link in links)


@pytest.fixture
def copies(tmp_path: Path) -> Path:
    for path in NOTEBOOKS:
        shutil.copy(path, tmp_path / path.name)
    return tmp_path


def edit(path: Path, change) -> None:
    notebook = json.loads(path.read_text())
    change(notebook["cells"])
    path.write_text(json.dumps(notebook))


def test_a_missing_link_cell_is_reported(copies: Path) -> None:
    edit(copies / NOTEBOOKS[2].name, lambda cells: cells.pop())  # the bottom navigation
    assert navigation.problems(copies) == [f"{NOTEBOOKS[2].name}: 1 navigation cells, expected 2"]
    assert navigation.main(["--check", str(copies)]) == 1


def test_a_wrong_link_is_reported(copies: Path) -> None:
    wrong = NOTEBOOKS[3].name
    target = NOTEBOOKS[2].name

    def point_next_to_a_missing_notebook(cells) -> None:
        cells[1]["source"] = [line.replace(wrong, "99-gone.ipynb") for line in cells[1]["source"]]

    edit(copies / target, point_next_to_a_missing_notebook)
    assert navigation.problems(copies) == [
        f"{target}: navigation links missing, wrong or misplaced",
        f"{target}: link to 99-gone.ipynb, which does not exist",
    ]


def test_writing_repairs_only_the_navigation_cells(copies: Path) -> None:
    path = copies / NOTEBOOKS[1].name
    before = json.loads(path.read_text())["cells"]
    edit(path, lambda cells: cells.pop(1))  # the top navigation
    assert navigation.write(copies) == [path]
    assert json.loads(path.read_text())["cells"] == before
    assert navigation.problems(copies) == []
