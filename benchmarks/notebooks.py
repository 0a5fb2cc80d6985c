"""Notebook suite time: each notebook under nbval on its own, then all of them in one run.

    .venv/bin/python benchmarks/notebooks.py

Wall times include starting pytest and the kernel, as a learner or CI pays them.
"""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PYTEST = [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider"]


def timed(paths: list[Path]) -> tuple[float, str]:
    started = time.perf_counter()
    run = subprocess.run([*PYTEST, *map(str, paths)], cwd=ROOT, capture_output=True, text=True)
    elapsed = time.perf_counter() - started
    summary = run.stdout.strip().splitlines()[-1] if run.stdout.strip() else run.stderr[-200:]
    if run.returncode != 0:
        raise SystemExit(f"{' '.join(p.name for p in paths)} failed: {summary}")
    return elapsed, summary


def main() -> None:
    notebooks = sorted((ROOT / "notebooks").glob("[0-9][0-9]*-*.ipynb"))
    print("| notebook | wall s | pytest says |")
    print("|---|---|---|")
    for notebook in notebooks:
        elapsed, summary = timed([notebook])
        print(f"| {notebook.stem} | {elapsed:.1f} | {summary} |", flush=True)
    elapsed, summary = timed(notebooks)
    print(f"| **all {len(notebooks)}, one run** | {elapsed:.1f} | {summary} |")


if __name__ == "__main__":
    main()
