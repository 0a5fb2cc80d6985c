"""chatlib.scale.localredis: find Redis, or start a private one and leave nothing behind."""

import os
import shutil
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import psutil
import pytest

from chatlib.scale import localredis
from chatlib.scale.localredis import RedisUnavailable, find_redis, ping, start_redis
from tests.support import require

HAS_REDIS_SERVER = shutil.which("redis-server") is not None


def need_redis_server() -> None:
    require(HAS_REDIS_SERVER, "redis-server", "apt-get install redis-server")


def redis_processes_on(port: int) -> list[psutil.Process]:
    found = []
    for process in psutil.process_iter(["name", "cmdline"]):
        try:
            cmdline = " ".join(process.info["cmdline"] or [])
        except psutil.Error:
            continue
        if "redis-server" in (process.info["name"] or "") + cmdline and str(port) in cmdline:
            found.append(process)
    return found


@pytest.fixture
def nothing_on_the_default_port(monkeypatch):
    """Make 127.0.0.1:6379 look empty: point the default at a port where nothing listens."""
    monkeypatch.delenv("REDIS_URL", raising=False)
    monkeypatch.setattr(localredis, "DEFAULT_PORT", localredis.free_port())


def test_a_redis_on_the_default_port_is_used_as_it_is(monkeypatch):
    monkeypatch.delenv("REDIS_URL", raising=False)
    require(ping("127.0.0.1", 6379), "Redis on 127.0.0.1:6379", "start redis-server")
    redis = find_redis()
    assert (redis.url, redis.origin, redis.started_here) == (
        "redis://127.0.0.1:6379/0",
        "already running",
        False,
    )
    redis.stop()  # never stops a Redis it did not start
    assert ping("127.0.0.1", 6379)


def test_without_redis_it_starts_one_and_stop_leaves_nothing_behind(nothing_on_the_default_port):
    need_redis_server()
    redis = find_redis()
    try:
        assert redis.origin == "started by chatlib"
        assert redis.port != 6379 and redis.ping()
        assert len(redis_processes_on(redis.port)) == 1
        directory = Path(redis.directory)
        assert directory.is_dir()
    finally:
        redis.stop()
    assert not redis.ping()
    assert redis_processes_on(redis.port) == []
    assert not directory.exists()
    redis.stop()  # twice is harmless


def test_redis_url_wins_over_the_default_port(monkeypatch):
    need_redis_server()
    private = start_redis()
    try:
        monkeypatch.setenv("REDIS_URL", private.url)
        found = find_redis()
        assert (found.url, found.origin, found.started_here) == (private.url, "REDIS_URL", False)
    finally:
        private.stop()


def test_a_redis_url_where_nothing_answers_is_an_error(monkeypatch):
    port = localredis.free_port()
    monkeypatch.setenv("REDIS_URL", f"redis://127.0.0.1:{port}/0")
    with pytest.raises(RedisUnavailable, match="nothing answers PING"):
        find_redis()


def test_no_redis_at_all_says_how_to_get_one(nothing_on_the_default_port, monkeypatch):
    monkeypatch.setenv("PATH", "/nonexistent")
    monkeypatch.setenv("CI", "false")
    with pytest.raises(RedisUnavailable) as error:
        find_redis()
    message = str(error.value)
    assert "apt-get install redis-server" in message
    assert "conda-forge redis-server" in message
    assert "REDIS_URL" in message
    assert "CI=true" not in message


def test_under_ci_a_missing_redis_is_a_failure(nothing_on_the_default_port, monkeypatch):
    monkeypatch.setenv("PATH", "/nonexistent")
    monkeypatch.setenv("CI", "true")
    with pytest.raises(RedisUnavailable, match="CI=true"):
        find_redis()
    with pytest.raises(RedisUnavailable):
        localredis.redis_for_lesson()  # a notebook does not skip under CI either


def test_a_notebook_without_redis_skips_the_cells_that_follow(
    nothing_on_the_default_port, monkeypatch, capsys
):
    from IPython.core.interactiveshell import InteractiveShell

    monkeypatch.setenv("PATH", "/nonexistent")
    monkeypatch.setenv("CI", "false")
    shell = InteractiveShell.instance()
    transformers = list(shell.input_transformers_post)
    try:
        shell.run_cell(
            "from chatlib.scale.localredis import redis_for_lesson\nr = redis_for_lesson()"
        )
        assert shell.user_ns["r"] is None
        result = shell.run_cell("raise RuntimeError('this cell must not run')")
        assert result.success
    finally:
        shell.input_transformers_post[:] = transformers
    out = capsys.readouterr().out
    assert "apt-get install redis-server" in out
    assert "skipped: this lesson needs Redis" in out


def test_redis_started_by_a_process_that_is_killed_goes_with_it():
    """A kernel killed without teardown must not leave its redis-server running."""
    need_redis_server()
    script = textwrap.dedent(
        """
        import sys, time
        from chatlib.scale.localredis import start_redis
        redis = start_redis()
        print(redis.port, redis.directory, flush=True)
        time.sleep(60)
        """
    )
    parent = subprocess.Popen([sys.executable, "-c", script], stdout=subprocess.PIPE, text=True)
    try:
        port, directory = parent.stdout.readline().split()
        port = int(port)
        assert ping("127.0.0.1", port)
        os.kill(parent.pid, signal.SIGKILL)
        parent.wait(5)
        deadline = time.monotonic() + 5
        while redis_processes_on(port) and time.monotonic() < deadline:
            time.sleep(0.05)
        left = redis_processes_on(port)
        for process in left:  # clean up before failing
            process.kill()
        assert left == []
    finally:
        parent.kill()
        parent.wait(5)
        shutil.rmtree(directory, ignore_errors=True)  # nobody was left to remove it


def test_the_ci_script_starts_redis_when_none_answers():
    """`.ci/run` relies on .ci/start-redis on a fresh machine, where no Redis runs."""
    need_redis_server()
    script = Path(__file__).parent.parent / ".ci" / "start-redis"
    port = localredis.free_port()
    try:
        first = subprocess.run([script, str(port)], capture_output=True, text=True, timeout=20)
        assert first.returncode == 0, first.stderr
        assert "starting redis-server" in first.stdout
        assert ping("127.0.0.1", port)
        again = subprocess.run([script, str(port)], capture_output=True, text=True, timeout=20)
        assert "already running" in again.stdout
    finally:
        for process in redis_processes_on(port):
            process.terminate()
            process.wait(5)
    assert not ping("127.0.0.1", port)


def test_a_notebook_that_needs_redis_is_skipped_without_it(
    nothing_on_the_default_port, monkeypatch
):
    import conftest
    from tests import support

    notebook = Path(__file__).parent.parent / "notebooks" / "07-adapters-and-nodes.ipynb"
    monkeypatch.setattr(support, "IN_CI", False)
    monkeypatch.setenv("PATH", "/nonexistent")
    assert "apt-get install redis-server" in conftest._missing_service(notebook)
    monkeypatch.setattr(support, "IN_CI", True)
    assert conftest._missing_service(notebook) is None  # CI: run it, and let it fail
