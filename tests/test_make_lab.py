"""`make lab` as a learner types it: it starts JupyterLab, as root too, on loopback only.

Containers, Codespaces and many classroom machines run as root, where
``jupyter lab`` refuses to start unless given ``--allow-root``. The Makefile adds
the flag for root only; these tests run the real target and read the command it
would run for another user.
"""

from __future__ import annotations

import json
import os
import secrets
import shutil
import signal
import subprocess
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import psutil
import pytest

ROOT = Path(__file__).resolve().parent.parent
START_TIMEOUT = 60.0
IS_ROOT = os.geteuid() == 0


def lab_command(*as_user: str) -> str:
    """The `jupyter lab` line `make -n lab` prints (the setup lines before it are skipped)."""
    done = subprocess.run(
        [*as_user, "make", "-n", "--no-print-directory", "lab"],
        cwd=ROOT, capture_output=True, text=True, timeout=30, check=True,
    )  # fmt: skip
    lines = [line for line in done.stdout.splitlines() if "jupyter lab" in line]
    assert len(lines) == 1, done.stdout
    return lines[0]


@pytest.fixture
def make_lab(tmp_path: Path) -> Iterator[tuple[subprocess.Popen[bytes], Path, str]]:
    """`make lab` with no browser, a free port and a private runtime directory."""
    runtime = tmp_path / "runtime"
    token = secrets.token_hex(16)
    env = {
        **os.environ,
        "JUPYTER_RUNTIME_DIR": str(runtime),
        "JUPYTER_CONFIG_DIR": str(tmp_path / "config"),
        "JUPYTER_DATA_DIR": str(tmp_path / "data"),
    }
    extra = f"--no-browser --ServerApp.port=0 --IdentityProvider.token={token}"
    log = (tmp_path / "make-lab.log").open("wb")
    process = subprocess.Popen(
        ["make", "--no-print-directory", "lab", f"LAB_ARGS={extra}"],
        cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True,
    )  # fmt: skip
    try:
        yield process, runtime, token
    finally:
        stop_group(process)
        log.close()


def stop_group(process: subprocess.Popen[bytes]) -> None:
    """Stop make and the JupyterLab it started (one process group), if still running."""
    for sig, wait in ((signal.SIGTERM, 15), (signal.SIGKILL, 5)):
        try:
            os.killpg(process.pid, sig)
        except ProcessLookupError:
            return  # the whole group is gone already
        try:
            process.wait(wait)
            return
        except subprocess.TimeoutExpired:
            continue


def server_info(process: subprocess.Popen[bytes], runtime: Path) -> dict:
    deadline = time.monotonic() + START_TIMEOUT
    while time.monotonic() < deadline:
        if process.poll() is not None:
            log = (runtime.parent / "make-lab.log").read_text(errors="replace")
            raise AssertionError(f"make lab exited with {process.returncode}:\n{log[-2000:]}")
        for path in runtime.glob("jpserver-*.json"):
            try:
                return json.loads(path.read_text())
            except ValueError:
                pass  # written but not complete yet
        time.sleep(0.2)
    raise AssertionError(f"make lab did not start JupyterLab within {START_TIMEOUT} s")


def test_make_lab_starts_jupyterlab_on_loopback_only(make_lab) -> None:
    process, runtime, token = make_lab
    info = server_info(process, runtime)
    url = f"http://127.0.0.1:{info['port']}/api/status?token={token}"
    with urllib.request.urlopen(url, timeout=10) as response:
        assert response.status == 200
    server = psutil.Process(info["pid"])
    listening = {
        conn.laddr.ip
        for conn in server.net_connections(kind="inet")
        if conn.status == psutil.CONN_LISTEN and conn.laddr.port == info["port"]
    }
    assert listening == {"127.0.0.1"}


def test_only_root_gets_allow_root() -> None:
    assert ("--allow-root" in lab_command()) == IS_ROOT
    assert "--ip=127.0.0.1" in lab_command()


@pytest.mark.skipif(not IS_ROOT or shutil.which("setpriv") is None, reason="needs root, setpriv")
def test_another_user_does_not_get_allow_root() -> None:
    line = lab_command("setpriv", "--reuid=65534", "--regid=65534", "--clear-groups")
    assert "--allow-root" not in line and "--ip=127.0.0.1" in line
