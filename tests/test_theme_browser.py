"""Every view readable in JupyterLab's Light and Dark themes, measured from the page.

One notebook shows each view once (client panes, a pane with an error, the
server log, the chat page link, the room board with topic buttons, the delivery
diagram, the inspector, the playground with a result, durable panes with their
toggles, a student's pane, the join card and the presenter view). It runs in a
private JupyterLab in headless Chromium; then, in each theme, every text node
inside the views gets its WCAG contrast ratio: the colour the browser computed
for it (``fill`` for SVG text) against the first opaque background found up the
tree (an SVG shape behind it counts), translucent layers composited on top. AA
for text asks for 4.5:1. A probe styled the old way (a light background, text
colour inherited) must fail in Dark, so the measurement is known to catch it.
Screenshots of both themes go to ``test-artifacts/``.
"""

from __future__ import annotations

import pytest
from playwright.sync_api import Browser, Page

from .browser_support import ARTIFACTS, artifact
from .lab_support import JupyterLab

# lab and browser: the same module-scoped fixtures as the notebook runs (one JupyterLab here)
from .test_jupyterlab_browser import browser, lab, run_in_jupyterlab, write_notebook  # noqa: F401

pytestmark = pytest.mark.browser

AA = 4.5
THEMES = ["JupyterLab Light", "JupyterLab Dark"]
PROBE = "contrast-probe"
SCROLLER = ".jp-NotebookPanel:not(.lm-mod-hidden) .jp-WindowedPanel-outer"
"""The notebook's scrolling box: made as tall as its content, so one shot shows every view."""

VIEWS = [
    "import asyncio\n"
    "import tempfile\n"
    "from pathlib import Path\n\n"
    "import ipywidgets as widgets\n\n"
    "from chatlib import ChatClient, add_chat_handlers, connect_clients, settle, start_server\n"
    "from chatlib.widgets import ChatPageLink, ClientPane, Stage\n\n"
    'server = await start_server("views", chat_page=True)\n'
    "add_chat_handlers(server.sio)\n"
    'clients = await connect_clients(server.url, ["alice", "bob"])\n'
    "alice, bob = clients\n"
    'await alice.chat("hello from alice")\n'
    "await settle(server, clients)\n"
    'lost = ClientPane(ChatClient("carol"))\n'
    'lost.text.value = "anyone there?"\n'
    "lost.send.click()  # carol never connected: the pane shows the error\n"
    "async with asyncio.timeout(5):\n"
    "    while not lost.status.value:\n"
    "        await asyncio.sleep(0.05)\n"
    "display(Stage(server, clients), lost, ChatPageLink(server))",
    # The bug, kept as a probe: a light background under inherited text.
    f'widgets.HTML(\'<div class="{PROBE}" style="background:#fafafa">light box, '
    "inherited text</div>')",
    "from chatlib.roomboard import RoomStage\n"
    "from chatlib.rooms import add_room_handlers\n\n"
    "add_room_handlers(server.sio)\n"
    'rooms = RoomStage(server, clients, topics=["music", "art"])\n'
    'await alice.call("join", "music", timeout=5)\n'
    "await settle(server, clients)\n"
    "rooms",
    "from chatlib.diagram.widget import DeliveryDiagram\n\n"
    "diagram = DeliveryDiagram(server, clients)\n\n\n"
    '@server.sio.on("shout")\n'
    "async def shout(sid, text):\n"
    '    await server.sio.emit("shout", text, skip_sid=sid)\n\n\n'
    'await alice.emit("shout", "to everyone but me")\n'
    "await settle(server, clients)\n"
    "diagram.pause()  # stays on this step while later cells emit\n"
    "diagram",
    "from chatlib.diagram.panel import InspectorPanel\n\nInspectorPanel(server)",
    "from chatlib.emits.playground import Playground\n\n"
    "playground = Playground(server, clients)\n"
    "await playground.send()\n"
    "playground",
    "from chatlib.durable.server import DurableChatServer\n"
    "from chatlib.durable.widgets import DurableStage\n"
    "from chatlib.durable.reliable import connect_durable_clients\n\n"
    'database = Path(tempfile.mkdtemp(prefix="chat-")) / "chat.db"\n'
    'chat = await DurableChatServer("durable", database).start()\n'
    'friends = await connect_durable_clients(chat.url, ["dana", "eli"], ack_timeout=2)\n'
    'await friends[0].chat("kept for later")\n'
    "await settle(chat, friends)\n"
    "DurableStage(chat, friends)",
    "from chatlib.classroom.session import start_class\n"
    "from chatlib.classroom.presenter import JoinCard\n"
    "from chatlib.classroom.student import join_class\n\n"
    'classroom = await start_class("class", token="demo-token")\n'
    'ada = await join_class(classroom.url, name="ada", token="demo-token")\n'
    'await ada.say("hello, class")\n'
    "await settle(classroom.server, ada.client)\n"
    "display(ada, JoinCard(classroom), classroom.presenter())",
]

# Texts each view shows: the measurement must have reached every view.
EXPECTED_TEXTS = [
    "hello from alice",  # a client pane
    "not connected",  # a pane's status, and the error of carol's pane
    "open the chat page of server views in a new tab",
    "rooms on server views",  # the room board
    "✕ skip_sid",  # the diagram's skip mark
    "receivers",  # the diagram's heading
    "socket",  # the inspector's table
    "received by: alice, bob",  # the playground's result
    "Disconnect",  # a durable pane's toggle
    "kept for later",
    "hello, class",  # the student's pane and the presenter view
    "1 online",  # the presenter view
]

MEASURE = """(probeClass) => {
  const parse = (text) => {
    const m = /rgba?\\(([^)]+)\\)/.exec(text || '');
    if (!m) return null;
    const p = m[1].split(/[\\s,\\/]+/).filter(Boolean).map(Number);
    return [p[0], p[1], p[2], p.length > 3 ? p[3] : 1];
  };
  const over = (top, under) =>
    [0, 1, 2].map((i) => top[i] * top[3] + under[i] * (1 - top[3])).concat([1]);
  const luminance = (c) => {
    const f = (v) => { v /= 255; return v <= 0.03928 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4; };
    return 0.2126 * f(c[0]) + 0.7152 * f(c[1]) + 0.0722 * f(c[2]);
  };
  const ratio = (a, b) => {
    const [hi, lo] = [luminance(a), luminance(b)].sort((x, y) => y - x);
    return (hi + 0.05) / (lo + 0.05);
  };
  const backgroundOf = (el) => {
    const layers = [];
    for (let e = el; e; e = e.parentElement) {
      let colour;
      if (e instanceof SVGElement) {
        const shape = e.tagName === 'g' ? e.querySelector(':scope > rect') : null;
        colour = shape ? parse(getComputedStyle(shape).fill) : null;
      } else {
        colour = parse(getComputedStyle(e).backgroundColor);
      }
      if (colour && colour[3] > 0) {
        layers.push(colour);
        if (colour[3] >= 1) break;
      }
    }
    return layers.reverse().reduce((under, layer) => over(layer, under), [255, 255, 255, 1]);
  };
  const css = (c) => `rgb(${c.slice(0, 3).map(Math.round).join(', ')})`;
  const outputs = [...document.querySelectorAll(
    '.jp-NotebookPanel:not(.lm-mod-hidden) .jp-OutputArea-output')]
    .filter((output) => output.querySelector('.jupyter-widgets, .chatlib-diagram'));  // views
  const found = [];
  for (const output of outputs) {
    const walker = document.createTreeWalker(output, NodeFilter.SHOW_TEXT);
    for (let node = walker.nextNode(); node; node = walker.nextNode()) {
      const text = node.textContent.trim();
      const el = node.parentElement;
      if (!text || !el) continue;
      const style = getComputedStyle(el);
      const range = document.createRange();
      range.selectNodeContents(node);
      const shown = [...range.getClientRects()].some((r) => r.width > 0 && r.height > 0);
      if (!shown || style.visibility !== 'visible') continue;
      let alpha = 1;
      for (let e = el; e; e = e.parentElement) alpha *= Number(getComputedStyle(e).opacity);
      const ink = parse(el instanceof SVGElement ? style.fill : style.color);
      if (!ink) continue;
      const background = backgroundOf(el);
      const colour = over([ink[0], ink[1], ink[2], ink[3] * alpha], background);
      found.push({
        text: text.slice(0, 60),
        ratio: ratio(colour, background),
        ink: css(colour),
        background: css(background),
        probe: Boolean(el.closest('.' + probeClass)),
      });
    }
  }
  return found;
}"""


def change_theme(page: Page, theme: str) -> None:
    """The command the Settings → Theme menu runs; done when the notebook is painted in it."""
    page.evaluate(
        "(theme) => window.jupyterapp.commands.execute('apputils:change-theme', {theme})", theme
    )
    page.wait_for_function(
        """([theme, light]) => {
          if (document.body.dataset.jpThemeName !== theme) return false;
          const notebook = document.querySelector('.jp-NotebookPanel .jp-Notebook');
          const rgb = getComputedStyle(notebook).backgroundColor.match(/\\d+/g).map(Number);
          return (rgb[0] + rgb[1] + rgb[2] > 3 * 128) === light;
        }""",
        arg=[theme, "Light" in theme],
        timeout=20_000,
        polling=100,
    )


def test_every_view_is_readable_in_light_and_dark(lab: JupyterLab, browser: Browser) -> None:  # noqa: F811
    state, page = run_in_jupyterlab(lab, browser, write_notebook(lab, "views.ipynb", VIEWS))
    try:
        assert state["errors"] == [] and state["widgetFailures"] == []
        height = page.evaluate(f"() => document.querySelector({SCROLLER!r}).scrollHeight")
        page.set_viewport_size({"width": 1400, "height": min(int(height) + 200, 12_000)})
        lowest: dict[str, float] = {}
        lowest_text: dict[str, str] = {}
        probe: dict[str, float] = {}
        failures: list[str] = []
        for theme in THEMES:
            change_theme(page, theme)
            page.evaluate(f"() => {{ document.querySelector({SCROLLER!r}).scrollTop = 0; }}")
            shot = artifact(f"theme-{theme.split()[-1].lower()}.png")
            page.screenshot(path=shot, animations="disabled")
            measured = page.evaluate(MEASURE, PROBE)
            views = [m for m in measured if not m["probe"]]
            texts = " | ".join(m["text"] for m in views)
            missing = [t for t in EXPECTED_TEXTS if t not in texts]
            assert not missing, f"{theme}: these views were not measured: {missing}"
            least = min(views, key=lambda m: m["ratio"])
            lowest[theme] = least["ratio"]
            lowest_text[theme] = f"{least['text']!r} {least['ink']} on {least['background']}"
            probe[theme] = min(m["ratio"] for m in measured if m["probe"])
            failures += [
                f"{theme}: {m['text']!r} {m['ink']} on {m['background']}: {m['ratio']:.2f}"
                for m in views
                if m["ratio"] < AA
            ]
        report = ", ".join(
            f"{theme} {ratio:.2f}:1 ({lowest_text[theme]})" for theme, ratio in lowest.items()
        )
        ARTIFACTS.mkdir(exist_ok=True)
        (ARTIFACTS / "theme-contrast.txt").write_text(f"lowest contrast: {report}\n")
        print(f"lowest contrast in the views: {report}")
        assert failures == []
        assert probe["JupyterLab Dark"] < AA, "the measurement missed the light-box probe"
    finally:
        page.close()
        lab.shut_down_kernels()
