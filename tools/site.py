"""The whole guide as static HTML pages that show what happened, readable without a kernel.

``python -m tools.site`` (``make site``) turns every notebook of ``notebooks/``
into an HTML page with nbconvert, with the widget state ``make notebooks`` saved
in it, and writes the pages into ``site/`` (git-ignored), ``index.html`` being
the index. ``--execute`` runs each notebook afresh first (as ``tools.execute``
does), for a site that shows the code as it is now rather than as last saved.

- **Panes, tables and the diagram are shown.** The widget state is embedded in
  each page, and the widget renderer (``@jupyter-widgets/html-manager``), its
  loader (``requirejs``) and the diagram's front end (``anywidget``) are copied
  next to the pages, so the site works offline and from any static host; by
  default nbconvert would fetch them from public CDNs. MathJax is left out
  (``site-page.html.j2``): the guide has no formulas.
- **Links between notebooks work.** Links to ``NN-name.ipynb`` (the index, the
  previous/next cells) become links to ``NN-name.html``.
- **The committed notebooks are not touched.** Each is read (and with
  ``--execute`` executed) and converted in memory; only ``site/`` is written.

The three npm packages are fetched once with ``npm pack`` (the tarball alone, no
dependencies: the renderer is a self-contained bundle) into ``build/site-js``.
"""

from __future__ import annotations

import argparse
import re
import shutil
import subprocess
import sys
import tarfile
import time
from importlib.metadata import version
from pathlib import Path

import nbformat
from nbconvert import HTMLExporter

from .execute import WIDGET_VIEW, execute

ROOT = Path(__file__).resolve().parent.parent
PAGE_TEMPLATE = Path(__file__).resolve().parent / "site-page.html.j2"
NOTEBOOKS = ROOT / "notebooks"
SITE = ROOT / "site"
JS_CACHE = ROOT / "build" / "site-js"
STATIC = "_static"

# npm package → (version, folder name under _static/)
JS_PACKAGES = {
    "@jupyter-widgets/html-manager": ("1.0.15", "html-manager"),
    "requirejs": ("2.3.7", "requirejs"),
    # The front end must be the version the Python package speaks for.
    "anywidget": (version("anywidget"), "anywidget"),
}

# Read by require.js when it loads: the diagram's module is served from the site itself,
# so the renderer never falls back to its CDN.
REQUIRE_CONFIG = (
    "<script>var require = {paths: {anywidget: '" + STATIC + "/anywidget/dist/index'}};</script>"
)

# A relative link to a notebook of the guide: `01-chat-example.ipynb`, optionally with `#part`.
_NOTEBOOK_LINK = re.compile(r'href="(\d\d[a-z]?-[^"/#:]+)\.ipynb(#[^"]*)?"')


def fetch_js(cache: Path = JS_CACHE) -> dict[str, Path]:
    """Each package's unpacked folder, fetched with ``npm pack`` the first time."""
    folders = {}
    for package, (wanted, name) in JS_PACKAGES.items():
        folder = cache / f"{name}-{wanted}"
        if not (folder / "package.json").is_file():
            if shutil.which("npm") is None:
                sys.exit("make site needs npm to fetch the widget renderer: install Node.js")
            cache.mkdir(parents=True, exist_ok=True)
            packed = subprocess.run(
                ["npm", "pack", f"{package}@{wanted}", "--pack-destination", str(cache)],
                capture_output=True,
                text=True,
                check=True,
                timeout=300,
            ).stdout.split()[-1]
            with tarfile.open(cache / packed) as tar:
                tar.extractall(cache / f"{name}-unpacked", filter="data")
            shutil.rmtree(folder, ignore_errors=True)
            (cache / f"{name}-unpacked" / "package").rename(folder)
            shutil.rmtree(cache / f"{name}-unpacked")
            (cache / packed).unlink()
        folders[name] = folder
    return folders


def rewrite_links(html: str) -> str:
    """Links to the guide's notebooks point at their pages."""
    return _NOTEBOOK_LINK.sub(lambda m: f'href="{m[1]}.html{m[2] or ""}"', html)


def page(notebook: nbformat.NotebookNode, exporter: HTMLExporter) -> str:
    html, _resources = exporter.from_notebook_node(notebook)
    html = html.replace("<head>", "<head>\n" + REQUIRE_CONFIG, 1)
    return rewrite_links(html)


def exporter() -> HTMLExporter:
    return HTMLExporter(
        template_name="lab",
        template_file=str(PAGE_TEMPLATE),
        require_js_url=f"{STATIC}/requirejs/require.js",
        widget_renderer_url=f"{STATIC}/html-manager/dist/embed-amd.js",
    )


def shows_widgets(notebook: nbformat.NotebookNode) -> bool:
    return any(
        WIDGET_VIEW in output.get("data", {})
        for cell in notebook.cells
        for output in cell.get("outputs", [])
    )


def build(
    out: Path = SITE, notebooks: list[Path] | None = None, *, fresh: bool = False
) -> list[Path]:
    """Write one page per notebook (and ``index.html``) into ``out``; return the pages.

    ``fresh`` executes each notebook first; otherwise its saved outputs and widget
    state are used, and a notebook saved without widget state is an error (run
    ``make notebooks``), since its page would show no panes.
    """
    notebooks = notebooks or sorted(NOTEBOOKS.glob("[0-9][0-9]*-*.ipynb"))
    if not notebooks:
        raise SystemExit(f"no notebook found in {NOTEBOOKS}")
    js = fetch_js()
    shutil.rmtree(out, ignore_errors=True)
    (out / STATIC).mkdir(parents=True)
    for name, folder in js.items():
        shutil.copytree(folder, out / STATIC / name)
    html = exporter()
    pages = []
    for path in notebooks:
        started = time.monotonic()
        target = out / f"{path.stem}.html"
        notebook = nbformat.read(path, as_version=4)
        if fresh:
            notebook = execute(notebook, path.parent)
        elif shows_widgets(notebook) and "widgets" not in notebook.metadata:
            raise SystemExit(f"{path.name} has no saved widget state: run `make notebooks` first")
        target.write_text(page(notebook, html), encoding="utf-8")
        pages.append(target)
        print(f"{target.relative_to(out)}  ({time.monotonic() - started:.1f} s)", flush=True)
    shutil.copyfile(pages[0], out / "index.html")
    return pages


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m tools.site", description=__doc__)
    parser.add_argument("--out", type=Path, default=SITE, help="where to write (default: site/)")
    parser.add_argument("--execute", action="store_true", help="run each notebook afresh first")
    parser.add_argument("notebooks", nargs="*", type=Path, help="only these (default: all)")
    args = parser.parse_args(argv)
    started = time.monotonic()
    pages = build(args.out, [p.resolve() for p in args.notebooks] or None, fresh=args.execute)
    print(f"{len(pages)} pages in {args.out} in {time.monotonic() - started:.0f} s")


if __name__ == "__main__":
    main()
