"""Run notebooks top to bottom and keep what their widgets showed (``make notebooks``).

``python -m tools.execute notebooks/*.ipynb`` re-executes each notebook in place
and saves its outputs with the widget state, so that a reader without a kernel
(GitHub, nbviewer, an HTML export, ``make site``) sees the panes, the room
boards and the diagram with their content.

Why not ``nbconvert --execute --ExecutePreprocessor.store_widget_state=True``:
nbclient records a widget's changes only from messages whose parent is the cell
being executed. A pane is redrawn by the client's own task, started in the cell
that connected it, so every later message it shows is dropped from the state,
and the saved panes come out empty. Here the kernel is asked for the state of
all its widgets instead (``Widget.get_manager_state``), once, just before
the teardown cell (the first one calling ``stop_all()``), so the panes are saved
connected, with their messages.
"""

from __future__ import annotations

import argparse
import json
import re
import uuid
from pathlib import Path

import nbformat
from nbclient import NotebookClient

CELL_TIMEOUT = 120  # seconds for one cell, as under nbval
WIDGET_STATE = "application/vnd.jupyter.widget-state+json"
TEARDOWN = "stop_all("
WIDGET_VIEW = "application/vnd.jupyter.widget-view+json"
_MODEL_ID = re.compile(r"[0-9a-f]{32}")
_LOOPBACK_PORT = re.compile(r"(127\.0\.0\.1|localhost):\d{2,5}")

# Run in the kernel; prints the widget manager's state as one JSON document. chatlib's views
# redraw a moment after what they show changes (coalesced): each is redrawn first, so the state
# holds what they show now, not what a pending redraw was about to replace. Defaults are left
# out (a pane's layout alone has some forty), except for anywidget's widgets, whose front end
# (_esm, _css) is an instance trait's default.
_STATE_SOURCE = (
    "import json as _json\n"
    "from ipywidgets import Widget as _Widget\n"
    "for _view in list(_Widget.widgets.values()):\n"
    "    if callable(getattr(_view, 'refresh', None)):\n"
    "        _view.refresh()\n"
    "_state = _Widget.get_manager_state(drop_defaults=True)\n"
    "from anywidget import AnyWidget as _AnyWidget\n"
    "_any = [w for w in _Widget.widgets.values() if isinstance(w, _AnyWidget)]\n"
    "if _any:\n"
    "    _state['state'].update(\n"
    "        _Widget.get_manager_state(drop_defaults=False, widgets=_any)['state'])\n"
    "print(_json.dumps(_state))"
)


def _kernel_widget_state(client: NotebookClient, notebook: nbformat.NotebookNode) -> dict:
    # nbclient writes each executed cell back at its index: the probe gets a place of its
    # own at the end, taken away again, so the saved notebook never contains it.
    probe = nbformat.v4.new_code_cell(_STATE_SOURCE)
    notebook.cells.append(probe)
    try:
        client.execute_cell(probe, len(notebook.cells) - 1, store_history=False)
    finally:
        notebook.cells.pop()
    text = "".join(o.get("text", "") for o in probe.outputs if o.get("name") == "stdout")
    return json.loads(text)


def execute(notebook: nbformat.NotebookNode, folder: Path) -> nbformat.NotebookNode:
    """Execute ``notebook`` (cwd ``folder``) in place; its widget state goes in its metadata."""
    client = NotebookClient(
        notebook,
        timeout=CELL_TIMEOUT,
        kernel_name="python3",
        resources={"metadata": {"path": str(folder)}},
        record_timing=False,
    )
    state = None
    with client.setup_kernel():
        info = client.wait_for_reply(client.kc.kernel_info())
        notebook.metadata["language_info"] = info["content"]["language_info"]
        count = 0  # our own: the state probe must not take an execution count
        for index, cell in enumerate(notebook.cells):
            if cell.cell_type != "code":
                continue
            if state is None and TEARDOWN in cell.source:
                state = _kernel_widget_state(client, notebook)
            count += 1
            client.execute_cell(cell, index, execution_count=count)
        if state is None:
            state = _kernel_widget_state(client, notebook)
    notebook.metadata.pop("widgets", None)
    if state.get("state"):
        notebook.metadata["widgets"] = {WIDGET_STATE: state}
    for cell in notebook.cells:
        if cell.cell_type == "code":
            cell.outputs = joined_streams(cell.outputs)
    return stable_widget_ids(notebook, seed=notebook.cells[0].source)


def joined_streams(outputs: list[nbformat.NotebookNode]) -> list[nbformat.NotebookNode]:
    """Consecutive pieces of one stream as one output, as a reader sees them.

    A cell that prints while it waits (a line from Node, then the rest) arrives
    in pieces whose number depends on timing; joined, the saved cell is the same
    on every run.
    """
    joined: list[nbformat.NotebookNode] = []
    for output in outputs:
        last = joined[-1] if joined else None
        if (
            last is not None
            and output.output_type == last.output_type == "stream"
            and output.name == last.name
        ):
            last.text += output.text
        else:
            joined.append(output)
    return joined


def stable_widget_ids(notebook: nbformat.NotebookNode, seed: str) -> nbformat.NotebookNode:
    """Give widget models the same ids, and servers the same port, on every run.

    The kernel names each widget model with a random UUID and each server gets a
    free port, so without this every ``make notebooks`` would rewrite the saved
    state of every notebook even when nothing a reader sees has changed. Ids are
    renumbered in the order the notebook shows them (then in the state's order),
    derived from ``seed``; a loopback port becomes ``PORT``: a saved link points at
    a server that is gone anyway, and the panes' text is what a reader needs.
    """
    views = [
        output["data"][WIDGET_VIEW]["model_id"]
        for cell in notebook.cells
        for output in cell.get("outputs", [])
        if WIDGET_VIEW in output.get("data", {})
    ]
    state = notebook.metadata.get("widgets", {}).get(WIDGET_STATE, {}).get("state", {})
    order = list(dict.fromkeys([*views, *state]))
    renamed = {
        old: uuid.uuid5(uuid.NAMESPACE_URL, f"{seed}#{number}").hex
        for number, old in enumerate(order)
    }
    text = _MODEL_ID.sub(lambda m: renamed.get(m.group(0), m.group(0)), json.dumps(notebook))
    stable = nbformat.from_dict(json.loads(text))
    if "widgets" in stable.metadata:  # ports only in the state: outputs never show one
        saved = json.dumps(stable.metadata["widgets"])
        saved = _LOOPBACK_PORT.sub(lambda m: f"{m.group(1)}:PORT", saved)
        stable.metadata["widgets"] = json.loads(saved)
    return stable


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m tools.execute", description=__doc__)
    parser.add_argument("notebooks", nargs="+", type=Path)
    for path in parser.parse_args(argv).notebooks:
        notebook = nbformat.read(path, as_version=4)
        nbformat.write(execute(notebook, path.resolve().parent), path)
        print(f"{path}: executed, widget state saved", flush=True)


if __name__ == "__main__":
    main()
