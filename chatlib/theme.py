"""Colours for every view: JupyterLab's theme variables, with a light fallback elsewhere.

JupyterLab's Dark theme changes the text colour a view inherits, but not a colour
written into a ``style`` attribute: a hard-coded light background under inherited
text is white on white. So a view never hard-codes a colour. It names one of
JupyterLab's CSS variables, which follow the theme, with a fallback for pages
where they are not defined (an HTML export, a plain page); and wherever it sets a
background it sets the text colour from the same theme, so the pair always fits.

Status is never carried by coloured text alone. JupyterLab's green and red reach
a contrast of 4.5:1 (WCAG AA for text) in one theme but not in the other, so
status words keep the text colour and the colour goes to a dot or a bar beside
them, which need only 3:1.
"""

from __future__ import annotations

from html import escape

TEXT = "var(--jp-content-font-color1, #1f1f1f)"
"""Body text; paired with ``BOX_BACKGROUND`` or ``BACKGROUND``."""
BACKGROUND = "var(--jp-layout-color1, #ffffff)"
"""The page's own background (the diagram, which draws on it)."""
BOX_BACKGROUND = "var(--jp-cell-editor-background, #f5f5f5)"
"""A message box: a shade off the page in the Light theme, the page itself in Dark."""
RAISED_BACKGROUND = "var(--jp-layout-color2, #eeeeee)"
"""Something picked out: the current step, a node of the diagram."""
BORDER = "var(--jp-border-color2, #e0e0e0)"
LINK = "var(--jp-content-link-color, #0d47a1)"
SUCCESS = "var(--jp-success-color1, #388e3c)"
ERROR = "var(--jp-error-color1, #d32f2f)"

_DOT = (
    "display:inline-block;width:0.65em;height:0.65em;border-radius:50%;"
    "margin-right:0.3em;background:{colour}"
)


def box_style() -> str:
    """Colours of a box of text (pane, log): background, text and border from one theme."""
    return f"background:{BOX_BACKGROUND};color:{TEXT};border:1px solid {BORDER}"


def status_html(ok: bool, words: str) -> str:
    """A coloured dot, then ``words`` in the text colour: "● connected"."""
    colour = SUCCESS if ok else ERROR
    return f'<span style="{_DOT.format(colour=colour)}"></span>{escape(words)}'


def error_html(message: str) -> str:
    """An error for a view's status line: a red bar, then the message as text."""
    return f'<span style="border-left:3px solid {ERROR};padding-left:6px">{escape(message)}</span>'


def link_html(href: str, text: str) -> str:
    """A link that opens in a new tab, in the theme's link colour."""
    return (
        f'<a href="{escape(href)}" target="_blank" rel="noopener" '
        f'style="color:{LINK};text-decoration:underline">{escape(text)}</a>'
    )
