"""A private JupyterLab for the browser tests: loopback, a fresh token, nothing of the user's.

The server runs from a temporary directory holding a copy of ``notebooks/`` (so
running cells never touches the committed files), with its own runtime, config,
data, settings and workspace directories, so a learner's own Jupyter setup cannot
change what the test sees. Settings make the notebook render every cell
(no windowing: output off-screen is still in the DOM) and keep it quiet (no news,
no update check, no autosave).
"""

from __future__ import annotations

import contextlib
import json
import os
import secrets
import shutil
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any

START_TIMEOUT = 60.0

SETTINGS = {
    "@jupyterlab/notebook-extension/tracker": {"windowingMode": "none"},
    "@jupyterlab/docmanager-extension/plugin": {"autosave": False},
    "@jupyterlab/apputils-extension/notification": {
        "checkForUpdates": False,
        "fetchNews": "false",
    },
}


class JupyterLab:
    """``jupyter lab`` as a subprocess; ``url(path)`` gives an address with the token."""

    MODULE = "jupyterlab"  # run as ``python -m MODULE``
    APP = "LabApp"  # the application's configuration class

    def __init__(self, home: Path, notebooks: Path) -> None:
        self.home = home
        self.root = home / "notebooks"
        shutil.copytree(notebooks, self.root, ignore=shutil.ignore_patterns(".ipynb_checkpoints"))
        self.token = secrets.token_hex(16)
        self.port: int | None = None
        self.process: subprocess.Popen[bytes] | None = None
        self.log_path = home / "jupyterlab.log"

    def start(self) -> JupyterLab:
        runtime = self.home / "runtime"
        settings = self.home / "settings"
        for plugin, values in SETTINGS.items():
            path = settings / f"{plugin}.jupyterlab-settings"
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(json.dumps(values))
        env = {
            **os.environ,
            "JUPYTER_RUNTIME_DIR": str(runtime),
            "JUPYTER_CONFIG_DIR": str(self.home / "config"),
            "JUPYTER_DATA_DIR": str(self.home / "data"),
            "IPYTHONDIR": str(self.home / "ipython"),
            # Read by every application of the server (Notebook 7 loads JupyterLab's too,
            # which answers the settings API), where a command-line flag reaches only one.
            "JUPYTERLAB_SETTINGS_DIR": str(settings),
            "JUPYTERLAB_WORKSPACES_DIR": str(self.home / "workspaces"),
            "PATH": str(Path(sys.executable).parent) + os.pathsep + os.environ.get("PATH", ""),
        }
        command = [
            sys.executable,
            "-m",
            self.MODULE,
            "--no-browser",
            "--ip=127.0.0.1",
            "--ServerApp.port=0",
            f"--IdentityProvider.token={self.token}",
            f"--ServerApp.root_dir={self.root}",
            f"--{self.APP}.user_settings_dir={settings}",
            f"--{self.APP}.workspaces_dir={self.home / 'workspaces'}",
            # window.jupyterapp: the test reads each output's type from the notebook model.
            f"--{self.APP}.expose_app_in_browser=True",
        ]
        if hasattr(os, "geteuid") and os.geteuid() == 0:
            command.append("--allow-root")
        log = self.log_path.open("wb")
        self.process = subprocess.Popen(
            command, cwd=self.home, env=env, stdout=log, stderr=subprocess.STDOUT
        )
        self.port = self._wait_for_port(runtime)
        self._wait_until_ready()
        return self

    def _wait_for_port(self, runtime: Path) -> int:
        """The port JupyterLab picked, read from the file it writes when listening."""
        deadline = time.monotonic() + START_TIMEOUT
        while time.monotonic() < deadline:
            self._check_alive()
            for info in runtime.glob("jpserver-*.json"):
                try:
                    return int(json.loads(info.read_text())["port"])
                except (ValueError, KeyError):
                    pass  # written but not complete yet
            time.sleep(0.1)
        raise TimeoutError(f"JupyterLab did not start in {START_TIMEOUT} s: {self.log_tail()}")

    def _wait_until_ready(self) -> None:
        deadline = time.monotonic() + START_TIMEOUT
        while time.monotonic() < deadline:
            self._check_alive()
            try:
                self.api("GET", "api/status")
                return
            except (urllib.error.URLError, ConnectionError):
                time.sleep(0.1)
        raise TimeoutError(f"JupyterLab did not answer in {START_TIMEOUT} s: {self.log_tail()}")

    def _check_alive(self) -> None:
        if self.process is not None and self.process.poll() is not None:
            raise RuntimeError(
                f"JupyterLab exited with {self.process.returncode}: {self.log_tail()}"
            )

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.port}/{path.lstrip('/')}?token={self.token}"

    def document_path(self, name: str) -> str:
        """Where ``name`` opens, in a workspace of its own (no tab left over from another test)."""
        return f"lab/workspaces/{Path(name).stem}/tree/{name}"

    def api(self, method: str, path: str) -> Any:
        """One REST call to the Jupyter server; its JSON answer (None when empty)."""
        request = urllib.request.Request(self.url(path), method=method)
        with urllib.request.urlopen(request, timeout=10) as response:
            body = response.read()
        return json.loads(body) if body else None

    def shut_down_kernels(self) -> None:
        """Shut down every session's kernel (closing a tab does not)."""
        for session in self.api("GET", "api/sessions"):
            self.api("DELETE", f"api/sessions/{session['id']}")

    def stop(self) -> None:
        if self.process is None:
            return
        # If the server is already gone, its kernels went with it.
        with contextlib.suppress(urllib.error.URLError, ConnectionError):
            self.shut_down_kernels()
        self.process.send_signal(signal.SIGTERM)
        try:
            self.process.wait(10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(5)
        self.process = None

    def log_tail(self, lines: int = 30) -> str:
        try:
            return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return "(no log)"


class Notebook7(JupyterLab):
    """``jupyter notebook`` (Notebook 7: JupyterLab's components, one document per tab)."""

    MODULE = "notebook"
    APP = "JupyterNotebookApp"

    def document_path(self, name: str) -> str:
        """Each document opens in a page of its own: there are no workspaces."""
        return f"notebooks/{name}"
