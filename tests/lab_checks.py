"""What a learner should see once a notebook has run in JupyterLab, checked from the page.

The checks are generic, so that every notebook is held to them without a list
of its own expectations:

- every code cell ran, and no output is an error;
- no widget failed to display, and every pane the notebook's saved outputs show
  (``Stage(...; clients a, b)``, ``ClientPane(a)``) is rendered again;
- every server log pane shows its proof of life;
- the notebook's own delivery tables (rendered HTML tables, or printed text
  tables) say who received what: every pane of such a client shows messages,
  and at least one of the messages the tables list for it.
"""

from __future__ import annotations

import json
import re
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from chatlib.delivery import RECEIVED

# One evaluate() reads everything the checks need from the page.
READ_PAGE = """() => {
  const notebook = document.querySelector('.jp-NotebookPanel:not(.lm-mod-hidden)');
  const lines = (el) => (el ? el.innerText : '').split('\\n').filter((l) => l.trim());
  const outputs = [...notebook.querySelectorAll('.jp-OutputArea-output')];
  const cells = window.jupyterapp.shell.currentWidget.content.model.cells;
  const errors = [];
  for (let i = 0; i < cells.length; i++) {
    const cell = cells.get(i);
    if (cell.type !== 'code') continue;
    for (let j = 0; j < cell.outputs.length; j++) {
      const out = cell.outputs.get(j).toJSON();
      if (out.output_type === 'error') errors.push(`cell ${i}: ${out.ename}: ${out.evalue}`);
    }
  }
  return {
    prompts: [...notebook.querySelectorAll('.jp-CodeCell .jp-InputPrompt')]
      .map((p) => p.textContent.trim()),
    errors,
    panes: [...notebook.querySelectorAll('.chatlib-client-pane')].map((pane) => ({
      name: pane.querySelector('.chatlib-pane-header b')?.textContent ?? '',
      lines: lines(pane.querySelector('.chatlib-pane-messages')),
    })),
    logs: [...notebook.querySelectorAll('.chatlib-server-log')]
      .map((log) => lines(log.querySelector('.chatlib-pane-messages'))),
    tables: [...notebook.querySelectorAll('.jp-OutputArea-output table')].map((t) => ({
      header: [...t.querySelectorAll('thead th')].map((c) => c.textContent),
      rows: [...t.querySelectorAll('tbody tr')]
        .map((r) => [...r.querySelectorAll('td')].map((c) => c.textContent)),
    })),
    texts: outputs.filter((o) => o.dataset.mimeType === 'application/vnd.jupyter.stdout')
      .map((o) => o.innerText),
    widgetFailures: outputs.map((o) => o.innerText)
      .filter((t) => t.includes('Error displaying widget')),
  };
}"""

# The notebook is the current panel, its file is loaded and its kernel is idle.
NOTEBOOK_READY = """() => {
  const panel = window.jupyterapp && window.jupyterapp.shell.currentWidget;
  const kernel = panel && panel.sessionContext && panel.sessionContext.session
    && panel.sessionContext.session.kernel;
  return Boolean(panel && panel.context && panel.context.isReady && panel.content
    && kernel && kernel.status === 'idle'
    && document.querySelector('.jp-Notebook-ExecutionIndicator[data-status="idle"]'));
}"""

_PROMPTS = "[...document.querySelectorAll('.jp-NotebookPanel .jp-CodeCell .jp-InputPrompt')]"
ALL_CLEARED = f"() => {_PROMPTS}.every((p) => p.textContent.includes('[ ]'))"
RUN_STARTED = f"() => {_PROMPTS}.some((p) => /\\[(\\*|\\d+)\\]/.test(p.textContent))"

# Done when no cell waits ([*]) and at least one has run, with the kernel idle.
RUN_FINISHED = """() => {
  const notebook = document.querySelector('.jp-NotebookPanel:not(.lm-mod-hidden)');
  const prompts = [...notebook.querySelectorAll('.jp-CodeCell .jp-InputPrompt')]
    .map((p) => p.textContent);
  const idle = notebook.querySelector('.jp-Notebook-ExecutionIndicator[data-status="idle"]');
  return idle !== null && !prompts.some((p) => p.includes('*'))
    && prompts.some((p) => /\\[\\d+\\]/.test(p));
}"""

_STAGE = re.compile(r"^Stage\(server .*; clients (?P<names>.*)\)$")
_PANE = re.compile(r"^ClientPane\((?P<name>.*)\)$")


def expected_panes(notebook: Path) -> Counter[str]:
    """Client names of the panes the saved notebook displays, from their text reprs."""
    names: Counter[str] = Counter()
    for cell in json.loads(notebook.read_text())["cells"]:
        for output in cell.get("outputs", []):
            if "application/vnd.jupyter.widget-view+json" not in output.get("data", {}):
                continue
            text = "".join(output["data"].get("text/plain", ""))
            if match := _STAGE.match(text):
                names.update(n.strip() for n in match["names"].split(","))
            elif match := _PANE.match(text):
                names[match["name"]] += 1
    return names


@dataclass
class Received:
    """Who received what, according to the delivery tables on the page."""

    by_name: dict[str, set[str]] = field(default_factory=dict)

    def add_table(self, header: list[str], rows: list[list[str]]) -> None:
        if header[:1] != ["from"] or "event" not in header or "data" not in header:
            return  # not a delivery table
        event, data = header.index("event"), header.index("data")
        namespace = header.index("namespace") if "namespace" in header else None
        for row in rows:
            where = row[namespace] if namespace is not None and namespace < len(row) else "/"
            line = f"← {row[event]} {row[data]}" + ("" if where == "/" else f" [{where}]")
            for column in range(data + 1, len(header)):
                if column < len(row) and row[column].startswith(RECEIVED):
                    self.by_name.setdefault(header[column], set()).add(line)

    def add_text(self, text: str) -> None:
        """Printed tables: columns start where the header's words start."""
        lines = text.splitlines()
        for i, line in enumerate(lines):
            if not re.match(r"^from\s{2,}", line) or " event " not in line:
                continue
            starts = [m.start() for m in re.finditer(r"\S+", line)]
            header = line.split()
            rows = []
            for row_line in lines[i + 1 :]:
                if not row_line.strip():
                    break
                bounds = [*starts[1:], None]
                rows.append([row_line[a:b].strip() for a, b in zip(starts, bounds, strict=True)])
            self.add_table(header, rows)


def problems(state: dict[str, Any], expected: Counter[str]) -> list[str]:
    """Everything wrong with a run notebook, as readable sentences (empty: all is well)."""
    found = []
    not_run = [i for i, p in enumerate(state["prompts"]) if not re.search(r"\[\d+\]", p)]
    if not_run:
        found.append(f"code cells {not_run} did not run (of {len(state['prompts'])})")
    found += [f"error output in {error}" for error in state["errors"]]
    found += [f"a widget failed to display: {text[:200]}" for text in state["widgetFailures"]]

    rendered = Counter(pane["name"] for pane in state["panes"])
    missing = expected - rendered
    if missing:
        found.append(f"panes not rendered: {sorted(missing.elements())}")
    for i, log in enumerate(state["logs"]):
        if not log:
            found.append(f"server log pane {i} shows no line")

    received = Received()
    for table in state["tables"]:
        received.add_table(table["header"], table["rows"])
    for text in state["texts"]:
        received.add_text(text)
    for name, lines in sorted(received.by_name.items()):
        panes = [pane for pane in state["panes"] if pane["name"] == name]
        if not panes:
            continue
        for pane in panes:
            if not pane["lines"]:
                found.append(f"pane {name} shows no message, but {name} received {len(lines)}")
        shown = {line for pane in panes for line in pane["lines"]}
        if not shown & lines:
            found.append(f"no pane of {name} shows any of {sorted(lines)[:3]}")
    return found
