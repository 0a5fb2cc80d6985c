"""Colours that follow the theme: no view hard-codes one; the pages have a dark scheme.

What these checks read is the source: every colour a view or the diagram's
stylesheet names is one of JupyterLab's variables with a fallback (see
``chatlib.theme``); and the chat and classroom pages, fetched from their servers
with the stylesheet they link, define their colours as custom properties that a
``prefers-color-scheme: dark`` rule redefines. Whether the result is
readable is measured in a real JupyterLab by ``tests/test_theme_browser.py``.
"""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urljoin

import aiohttp
import pytest

from chatlib import EmbeddedServer
from chatlib.classroom.session import start_class
from chatlib.theme import error_html, link_html, status_html

CHATLIB = Path(__file__).resolve().parent.parent / "chatlib"
COLOUR_LITERAL = re.compile(r"#[0-9a-fA-F]{3,8}\b|\brgba?\(")
PROPERTY = re.compile(r"(?<![-\w])(color|background|background-color|fill|stroke|border[-\w]*)\s*:")
DARK_RULE = re.compile(r"@media\s*\(prefers-color-scheme:\s*dark\)\s*{(.*?)}\s*}", re.S)


def declarations(css: str) -> list[tuple[str, str]]:
    """``(property, value)`` of every declaration in ``css`` (comments dropped)."""
    css = re.sub(r"/\*.*?\*/", "", css, flags=re.S)
    return re.findall(r"([-\w]+)\s*:\s*([^;{}]+)", css)


def outside_var_fallbacks(value: str) -> str:
    """``value`` with each ``var(--name, fallback)`` removed: what is left is hard-coded."""
    while (stripped := re.sub(r"var\(--[-\w]+(?:,[^()]*)?\)", "", value)) != value:
        value = stripped
    return value


@dataclass(frozen=True)
class ServedStyle:
    """A page's own ``<style>`` and the stylesheets it links, as its server sends them."""

    page: str
    inline: str
    linked: str


async def served_style(url: str) -> ServedStyle:
    """Fetch the page at ``url`` and each stylesheet it links, resolved as a browser would."""
    async with aiohttp.ClientSession() as http:
        async with http.get(url) as response:
            assert (response.status, response.content_type) == (200, "text/html")
            page = await response.text()
        sheets = []
        for href in re.findall(r'<link rel="stylesheet" href="([^"]+)">', page):
            async with http.get(urljoin(url, href)) as response:
                assert (response.status, response.content_type) == (200, "text/css"), href
                sheets.append(await response.text())
    inline = re.search(r"<style>(.*?)</style>", page, re.S)
    return ServedStyle(page, inline[1] if inline else "", "\n".join(sheets))


@pytest.fixture(params=["chat", "classroom"])
async def style(request: pytest.FixtureRequest) -> AsyncIterator[ServedStyle]:
    """The chat page of a chat server, or the classroom page of a class server."""
    if request.param == "chat":
        async with EmbeddedServer("theme-chat", chat_page=True) as server:
            yield await served_style(server.url + "/")
    else:
        async with await start_class("theme-class") as classroom:
            yield await served_style(classroom.url + "/")


async def test_page_has_a_dark_scheme_for_every_colour_it_defines(style: ServedStyle) -> None:
    css = style.linked + style.inline
    dark = DARK_RULE.search(css)
    assert dark, "the page has no prefers-color-scheme: dark rule"
    light = re.search(r":root\s*{(.*?)}", css, re.S)
    assert light, "the page defines no colours on :root"
    light_names = {name for name, _ in declarations(light[1]) if name.startswith("--")}
    dark_names = {name for name, _ in declarations(dark[1]) if name.startswith("--")}
    assert light_names and light_names == dark_names


async def test_page_rules_take_every_colour_from_the_custom_properties(style: ServedStyle) -> None:
    css = re.sub(r":root\s*{.*?}", "", style.linked + style.inline, flags=re.S)  # defined there
    css = DARK_RULE.sub("", css)
    hard_coded = [
        f"{name}: {value.strip()}"
        for name, value in declarations(css)
        if PROPERTY.match(f"{name}:") and COLOUR_LITERAL.search(value)
    ]
    assert hard_coded == []
    uses = set(re.findall(r"var\((--[-\w]+)\)", style.inline))
    assert uses, "the page's rules take no colour from the custom properties"


def test_the_diagram_stylesheet_names_theme_variables_only() -> None:
    css = (CHATLIB / "static" / "diagram.css").read_text()
    hard_coded = [
        f"{name}: {value.strip()}"
        for name, value in declarations(css)
        if COLOUR_LITERAL.search(outside_var_fallbacks(value))
    ]
    assert hard_coded == []
    assert "var(--jp-content-font-color1" in css and "var(--jp-layout-color1" in css


def test_no_view_hard_codes_a_colour() -> None:
    """Only chatlib.theme spells colours, each inside a var(--jp-…, fallback)."""
    found = []
    for path in sorted(CHATLIB.rglob("*.py")):
        if path.name == "theme.py":
            continue
        for number, line in enumerate(path.read_text().splitlines(), 1):
            if PROPERTY.search(line) and COLOUR_LITERAL.search(outside_var_fallbacks(line)):
                found.append(f"{path.relative_to(CHATLIB)}:{number}: {line.strip()}")
    assert found == []


def test_theme_module_spells_each_colour_as_a_variable_with_a_fallback() -> None:
    import chatlib.theme as theme

    colours = {k: v for k, v in vars(theme).items() if k.isupper() and not k.startswith("_")}
    assert colours, "chatlib.theme defines no colour"
    for name, value in colours.items():
        assert re.fullmatch(r"var\(--jp-[-\w]+, #[0-9a-f]{3,6}\)", value), name


def test_status_and_error_keep_their_words_as_text() -> None:
    """The colour goes to a dot or a bar; the words are escaped text."""
    assert status_html(True, "connected").endswith("</span>connected")
    assert "<b>" not in error_html("<b>refused</b>")
    assert "&lt;b&gt;refused&lt;/b&gt;" in error_html("<b>refused</b>")
    link = link_html('http://127.0.0.1:1/"x', "open <it>")
    assert 'href="http://127.0.0.1:1/&quot;x"' in link and "open &lt;it&gt;" in link
