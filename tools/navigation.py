"""Previous / next links at the top and bottom of every notebook, written and checked.

``python -m tools.navigation`` rewrites the two navigation cells of each notebook
in ``notebooks/`` (a markdown cell right after the title cell, and one at the
end); ``python -m tools.navigation --check`` changes nothing and exits with 1,
listing what is missing or wrong. Only these markdown cells are touched:
markdown cells have no outputs, so nbval and the saved outputs are unaffected.

A navigation cell is recognised by its ``navigation`` tag; its text is fully
generated from the notebooks' file names and titles, so a renamed or added
notebook only needs this script run again.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

NOTEBOOKS = Path(__file__).resolve().parent.parent / "notebooks"
TAG = "navigation"
MARK = "<!-- navigation: written by `python -m tools.navigation`, do not edit by hand -->"
INDEX_LABEL = "Index"


@dataclass(frozen=True)
class Page:
    """One notebook as the links name it."""

    path: Path
    label: str

    @property
    def link(self) -> str:
        return f"[{self.label}]({self.path.name})"


def pages(folder: Path = NOTEBOOKS) -> list[Page]:
    """The numbered notebooks in reading order, each labelled by its title."""
    found = []
    for path in sorted(folder.glob("[0-9][0-9]*-*.ipynb")):
        title = read(path)["cells"][0]["source"]
        first = "".join(title).splitlines()[0] if title else ""
        if not first.startswith("# "):
            raise ValueError(f"{path.name}: the first cell must start with a '# ' title")
        label = INDEX_LABEL if path.name.startswith("00-") else first[2:].strip()
        found.append(Page(path, label))
    return found


def navigation_text(all_pages: list[Page], i: int) -> str:
    """The links of notebook ``i``: previous, the index, next (those that exist)."""
    parts = []
    if i > 0:
        parts.append(f"← previous: {all_pages[i - 1].link}")
    if i > 1:
        parts.append(all_pages[0].link)  # the index, unless it is the previous one
    if i + 1 < len(all_pages):
        parts.append(f"next: {all_pages[i + 1].link} →")
    return MARK + "\n" + " · ".join(parts)


def navigation_cell(text: str, where: str) -> dict[str, Any]:
    return {
        "cell_type": "markdown",
        "id": f"navigation-{where}",
        "metadata": {"tags": [TAG]},
        "source": text.splitlines(keepends=True),
    }


def is_navigation(cell: dict[str, Any]) -> bool:
    return TAG in cell.get("metadata", {}).get("tags", [])


def with_navigation(notebook: dict[str, Any], text: str) -> dict[str, Any]:
    """``notebook`` with its navigation cells replaced: after the title cell, and last."""
    cells = [c for c in notebook["cells"] if not is_navigation(c)]
    top, bottom = navigation_cell(text, "top"), navigation_cell(text, "bottom")
    return {**notebook, "cells": [cells[0], top, *cells[1:], bottom]}


def read(path: Path) -> dict[str, Any]:
    return json.loads(path.read_text(encoding="utf-8"))


def dumps(notebook: dict[str, Any]) -> str:
    """The way Jupyter saves a notebook (one-space indent, UTF-8 kept), so diffs stay small."""
    return json.dumps(notebook, indent=1, ensure_ascii=False) + "\n"


def as_generated(folder: Path) -> Iterator[tuple[Page, dict[str, Any], dict[str, Any]]]:
    """Each notebook of ``folder``: its page, the notebook as saved, and as it should be with
    the navigation generated for its place in the reading order."""
    all_pages = pages(folder)
    for i, page in enumerate(all_pages):
        notebook = read(page.path)
        yield page, notebook, with_navigation(notebook, navigation_text(all_pages, i))


def problems(folder: Path = NOTEBOOKS) -> list[str]:
    """What differs from the generated navigation, one sentence per notebook (empty: all good)."""
    found = []
    for page, notebook, expected in as_generated(folder):
        if notebook["cells"] == expected["cells"]:
            continue
        navigation = [c for c in notebook["cells"] if is_navigation(c)]
        if len(navigation) != 2:
            found.append(f"{page.path.name}: {len(navigation)} navigation cells, expected 2")
        else:
            found.append(f"{page.path.name}: navigation links missing, wrong or misplaced")
    found += broken_links(folder)
    return found


def broken_links(folder: Path = NOTEBOOKS) -> list[str]:
    """Links in navigation cells whose notebook does not exist."""
    found = []
    for path in sorted(folder.glob("[0-9][0-9]*-*.ipynb")):
        for cell in filter(is_navigation, read(path)["cells"]):
            for target in re.findall(r"\]\(([^)]+)\)", "".join(cell["source"])):
                if not (folder / target).is_file():
                    found.append(f"{path.name}: link to {target}, which does not exist")
    return found


def write(folder: Path = NOTEBOOKS) -> list[Path]:
    """Rewrite the navigation cells where they differ; return the notebooks changed."""
    changed = []
    for page, notebook, updated in as_generated(folder):
        if updated != notebook:
            page.path.write_text(dumps(updated), encoding="utf-8")
            changed.append(page.path)
    return changed


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="change nothing; exit 1 if stale")
    parser.add_argument("folder", nargs="?", type=Path, default=NOTEBOOKS)
    args = parser.parse_args(argv)
    if args.check:
        found = problems(args.folder)
        print("\n".join(found) or "navigation is up to date")
        return 1 if found else 0
    for path in write(args.folder):
        print(f"updated {path.name}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
