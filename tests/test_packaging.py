"""The project's promises about itself: in-sync dependencies, linked and executed notebooks."""

import json
import re
import tomllib
from pathlib import Path

import nbformat
import pytest
import yaml

from tools.execute import WIDGET_STATE, WIDGET_VIEW, joined_streams, stable_widget_ids

ROOT = Path(__file__).resolve().parent.parent
NOTEBOOKS = sorted((ROOT / "notebooks").glob("[0-9][0-9]*-*.ipynb"))
LESSONS = [nb for nb in NOTEBOOKS if not nb.name.startswith("00-")]


CONDA_NAMES = {"redis": "redis-py"}
"""PyPI names that conda-forge spells differently."""


def requirement(spec: str) -> tuple[str, str]:
    name, version = re.match(r"([A-Za-z0-9_.-]+)(?:\[[^\]]*\])?\s*(.*)", spec).groups()
    return name.lower(), version.replace(" ", "")


NOT_ON_PYPI = {"python", "pip", "nodejs", "redis-server"}
"""What environment.yml adds that pip does not install: the interpreter, Node.js, Redis."""


def conda_requirements(path: Path) -> dict[str, str]:
    specs = yaml.safe_load(path.read_text())["dependencies"]
    found = dict(requirement(spec) for spec in specs if isinstance(spec, str))
    return {name: version for name, version in found.items() if name not in NOT_ON_PYPI}


def pyproject_requirements(specs: list[str], extras: dict[str, list[str]]) -> dict[str, str]:
    """Names and versions of ``specs``, with ``chatlib[x,y]`` replaced by those extras' specs."""
    wanted = {}
    for spec in specs:
        if included := re.match(r"chatlib\[(.*)\]", spec):
            for extra in included[1].split(","):
                wanted |= pyproject_requirements(extras[extra.strip()], extras)
        else:
            name, version = requirement(spec)
            wanted[CONDA_NAMES.get(name, name)] = version
    return wanted


def test_environment_files_follow_pyproject_split_into_guide_and_tests():
    """environment.yml is `make lab` (dependencies + lab); environment-test.yml adds `make test`."""
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    extras = project["optional-dependencies"]
    guide = pyproject_requirements([*project["dependencies"], "chatlib[lab]"], extras)
    everything = pyproject_requirements(["chatlib[test]"], extras) | guide
    tests_add = {name: v for name, v in everything.items() if name not in guide}
    assert "jupyterlab" in guide and "pytest" in tests_add
    assert not {"pytest", "ruff", "playwright", "nbval", "asyncpg", "aio-pika"} & guide.keys()
    assert conda_requirements(ROOT / "environment.yml") == guide
    assert conda_requirements(ROOT / "environment-test.yml") == tests_add


def test_there_are_notebooks_and_the_index_links_each_one():
    assert len(LESSONS) >= 1, "no lesson notebook found"
    index = nbformat.read(ROOT / "notebooks/00-index.ipynb", as_version=4)
    text = "\n".join(c.source for c in index.cells if c.cell_type == "markdown")
    links = set(re.findall(r"\]\(([^)#]+\.ipynb)\)", text))
    assert links == {nb.name for nb in LESSONS}
    for link in links:
        assert (ROOT / "notebooks" / link).is_file()


def test_readme_lists_every_notebook_and_the_two_commands():
    readme = (ROOT / "README.md").read_text()
    for nb in NOTEBOOKS:
        assert nb.stem in readme, f"README does not mention {nb.stem}"
    assert "make lab" in readme and "make test" in readme
    assert "make test" in (ROOT / ".ci/run").read_text()


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_notebook_is_saved_executed_and_ends_with_the_error_check(path):
    nb = nbformat.read(path, as_version=4)
    code = [c for c in nb.cells if c.cell_type == "code"]
    assert nb.cells[0].cell_type == "markdown" and nb.cells[0].source.startswith("# ")
    assert nb.metadata["kernelspec"]["name"] == "python3"
    views = [
        o.data[WIDGET_VIEW]["model_id"]
        for c in code
        for o in c.outputs
        if WIDGET_VIEW in o.get("data", {})
    ]
    if views:  # read without a kernel, the panes show only what `make notebooks` saved
        state = nb.metadata.get("widgets", {}).get(WIDGET_STATE, {}).get("state", {})
        unsaved = [view for view in views if view not in state]
        assert not unsaved, f"{len(unsaved)} widgets without saved state: run `make notebooks`"
        assert not re.search(r"127\.0\.0\.1:\d", json.dumps(state)), "a port in the saved state"
    assert all(c.execution_count is not None for c in code), "run every cell before saving"
    assert [c.execution_count for c in code] == list(range(1, len(code) + 1)), "run top to bottom"
    errors = [o for c in code for o in c.outputs if o.output_type == "error"]
    assert not errors, f"saved with an error: {errors[0]['ename'] if errors else ''}"
    if path in LESSONS:
        assert "assert_no_handler_errors()" in code[-1].source
        assert "stop_all()" in code[-2].source


def test_a_run_that_collects_no_notebook_fails():
    """An empty glob of notebooks must fail the suite, not pass it."""
    import subprocess
    import sys

    done = subprocess.run(
        [sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "notebooks",
         "--ignore-glob=notebooks/*.ipynb"],
        cwd=ROOT, capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert done.returncode != 0
    assert "no notebook cell was collected" in done.stdout + done.stderr


def _saved(model_id: str, port: int) -> nbformat.NotebookNode:
    """A notebook as one run saves it: a random model id, a link to a free port."""
    view = {WIDGET_VIEW: {"model_id": model_id, "version_major": 2, "version_minor": 0}}
    cell = nbformat.v4.new_code_cell("pane", outputs=[nbformat.v4.new_output("display_data", view)])
    link = {"model_name": "HTMLModel", "state": {"value": f"http://127.0.0.1:{port}/"}}
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_markdown_cell("# title"), cell])
    nb.metadata["widgets"] = {WIDGET_STATE: {"state": {model_id: link}}}
    return nb


def test_saving_twice_gives_the_same_widget_ids_and_no_port():
    first = stable_widget_ids(_saved("a" * 32, 41001), seed="# title")
    second = stable_widget_ids(_saved("b" * 32, 52002), seed="# title")
    assert first.metadata == second.metadata  # (cells differ only by their random cell ids)
    assert first.cells[1].outputs == second.cells[1].outputs
    (model_id,) = first.metadata["widgets"][WIDGET_STATE]["state"]
    assert first.cells[1].outputs[0].data[WIDGET_VIEW]["model_id"] == model_id != "a" * 32
    assert "127.0.0.1:PORT/" in json.dumps(first.metadata)


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_no_markdown_cell_is_longer_than_250_words(path):
    """A learner reads between cells that run: a long text block is a chapter, not a step."""
    nb = nbformat.read(path, as_version=4)
    words = {i: len(c.source.split()) for i, c in enumerate(nb.cells) if c.cell_type == "markdown"}
    too_long = {i: n for i, n in words.items() if n > 250}
    assert not too_long, f"markdown cells over 250 words (cell: words): {too_long}"


def test_a_stream_printed_in_pieces_is_saved_as_one_output():
    piece = nbformat.v4.new_output
    outputs = [
        piece("stream", name="stdout", text="Node, erin:"),
        piece("stream", name="stdout", text=" ['client namespace disconnect']\n"),
        piece("stream", name="stderr", text="a warning\n"),
        piece("stream", name="stdout", text="after\n"),
    ]
    assert [(o.name, o.text) for o in joined_streams(outputs)] == [
        ("stdout", "Node, erin: ['client namespace disconnect']\n"),
        ("stderr", "a warning\n"),
        ("stdout", "after\n"),
    ]
