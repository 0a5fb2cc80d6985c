"""When links go through the Jupyter server, and when they stay direct.

Each case runs in a fresh Python process, whose environment is the kernel's
environment in miniature: what JupyterHub sets, which runtime directory, and
whether jupyter-server-proxy can be imported (``sys.modules[name] = None`` is
Python's own way to make a module unimportable). The real Jupyter server's
case, a kernel started by JupyterLab, is in ``test_jupyter_proxy_browser.py``.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from .browser_support import ROOT

SHOW = """
import sys
if {hide_proxy}:
    sys.modules["jupyter_server_proxy"] = None
from chatlib.jupyter_links import proxied_path
from chatlib.classroom.access import proxied_join_path
print(proxied_path(8123), proxied_join_path(8123, "t k"), sep="\\n")
"""


LINK = """
import re, sys
if {hide_proxy}:
    sys.modules["jupyter_server_proxy"] = None
from types import SimpleNamespace
from chatlib.widgets import ChatPageLink
# A server run as a process: a name and a url are all the link needs.
html = ChatPageLink(SimpleNamespace(name="server.py", url="http://127.0.0.1:8123")).value
print(*re.findall(r'href="([^"]*)"', html), sep="\\n")
"""


def links_in_child(
    tmp_path: Path, *, hide_proxy: bool = False, code: str = SHOW, **env: str
) -> list[str]:
    clean = {k: v for k, v in os.environ.items() if k != "JUPYTERHUB_SERVICE_PREFIX"}
    done = subprocess.run(
        [sys.executable, "-c", code.format(hide_proxy=hide_proxy)],
        cwd=ROOT,
        env={**clean, "JUPYTER_RUNTIME_DIR": str(tmp_path), **env},
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    return done.stdout.splitlines()


def test_without_a_jupyter_server_links_stay_direct(tmp_path: Path) -> None:
    assert links_in_child(tmp_path) == ["None", "None"]


def test_on_jupyterhub_links_go_through_the_users_server(tmp_path: Path) -> None:
    found = links_in_child(tmp_path, JUPYTERHUB_SERVICE_PREFIX="/user/ada/")
    assert found == ["/user/ada/proxy/8123/", "/user/ada/proxy/8123/?token=t%20k"]


def test_a_jupyter_server_that_started_the_process_is_found_by_its_runtime_file(
    tmp_path: Path,
) -> None:
    # A Jupyter server writes jpserver-<its pid>.json; the child's parent is this process.
    (tmp_path / f"jpserver-{os.getpid()}.json").write_text(json.dumps({"base_url": "/jh/"}))
    assert links_in_child(tmp_path)[0] == "/jh/proxy/8123/"
    (tmp_path / f"jpserver-{os.getpid() + 1}.json").write_text(json.dumps({"base_url": "/x/"}))
    (tmp_path / f"jpserver-{os.getpid()}.json").unlink()
    assert links_in_child(tmp_path)[0] == "None", "another server's file is not ours"


@pytest.mark.parametrize("env", [{"JUPYTERHUB_SERVICE_PREFIX": "/user/ada/"}, {}])
def test_without_jupyter_server_proxy_links_fall_back_to_direct(
    tmp_path: Path, env: dict[str, str]
) -> None:
    (tmp_path / f"jpserver-{os.getpid()}.json").write_text(json.dumps({"base_url": "/"}))
    assert links_in_child(tmp_path, hide_proxy=True, **env) == ["None", "None"]


def test_the_chat_page_link_shows_the_proxied_link_and_the_direct_one_beside_it(
    tmp_path: Path,
) -> None:
    hub = {"JUPYTERHUB_SERVICE_PREFIX": "/user/ada/"}
    assert links_in_child(tmp_path, code=LINK, **hub) == [
        "/user/ada/proxy/8123/",
        "http://127.0.0.1:8123/",
    ]
    assert links_in_child(tmp_path, code=LINK, hide_proxy=True, **hub) == ["http://127.0.0.1:8123/"]
