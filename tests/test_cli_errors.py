"""Every bad invocation of ``python -m chatlib`` gets one line, a non-zero exit, and no hang.

Each command line runs as a real process, at most 20 s, a few at a time (the
interpreter's start dominates). The answer must be exactly one line on
stderr, name the problem, and never be a traceback; ``--host localhost``
must simply work. The read-only database needs a file its owner cannot
write: root writes any file, so it then lives on a tmpfs mounted read-only.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import socket
import sqlite3
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.serve_support import free_port

TIME_LIMIT = 20.0
AT_ONCE = 3


@dataclass(frozen=True)
class Answer:
    returncode: int | None
    stderr: str

    @property
    def lines(self) -> list[str]:
        return self.stderr.splitlines()


async def answer_to(*arguments: str, limit: asyncio.Semaphore) -> Answer:
    """Run ``python -m chatlib ARGUMENTS``; a process still running after 20 s is a hang."""
    async with limit:
        process = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "chatlib", *arguments,
            stdin=asyncio.subprocess.DEVNULL,
            stdout=asyncio.subprocess.DEVNULL,
            stderr=asyncio.subprocess.PIPE,
        )  # fmt: skip
        try:
            _, err = await asyncio.wait_for(process.communicate(), TIME_LIMIT)
        except TimeoutError:
            process.kill()
            _, err = await process.communicate()
            return Answer(None, err.decode())
        return Answer(process.returncode, err.decode())


@pytest.fixture
def busy_port() -> Iterator[int]:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        yield taken.getsockname()[1]


def bad_invocations(tmp_path: Path, busy_port: int) -> dict[tuple[str, ...], str]:
    """Each command line, with words its one-line answer must contain."""
    (tmp_path / "a-folder").mkdir()
    not_sqlite = tmp_path / "notes.txt"
    not_sqlite.write_text("shopping list: milk, bread\n" * 200)
    nothing_listens = free_port()  # closed again at once: nothing listens there
    return {
        ("serve", "--port", str(busy_port)): f"port {busy_port} is already in use",
        ("serve", "--port", "99999"): "99999 is not a port",
        ("serve", "--port", "-1"): "-1 is not a port",
        ("serve", "--host", "nonsense"): "--host nonsense is neither an IP address",
        ("serve", "--port", "0", "--redis", f"redis://127.0.0.1:{nothing_listens}"): (
            f"cannot use Redis at redis://127.0.0.1:{nothing_listens}"
        ),
        ("serve", "--port", "0", "--redis", "not-a-url"): "cannot use Redis at not-a-url",
        ("serve", "--port", "0", "--db", str(tmp_path / "missing" / "chat.db")): (
            "does not exist; create it first"
        ),
        ("serve", "--port", "0", "--db", str(tmp_path / "a-folder")): "is a folder",
        ("serve", "--port", "0", "--db", str(not_sqlite)): "is not a SQLite database",
        ("serve", "--port", "0", "--topics", "a,a"): "each topic once",
        ("classroom", "--port", "99999"): "99999 is not a port",
        ("classroom", "--port", "0", "--token", ""): "--token '' would let anyone in",
        ("classroom", "--port", str(busy_port)): f"port {busy_port} is already in use",
        ("classroom", "--host", "nonsense", "--port", "0"): "--host nonsense is neither",
        ("serve", "--ping-interval", "0"): "0 is not a number of seconds",
        ("classroom", "--ping-timeout", "soon"): "soon is not a number of seconds",
        ("classroom", "--port", "0", "--budget", "0"): "--budget 0: give a positive number",
        ("classroom", "--port", "0", "--redis", f"redis://127.0.0.1:{nothing_listens}"): (
            f"cannot use Redis at redis://127.0.0.1:{nothing_listens}"
        ),
        ("classroom", "--port", "0", "--redis", "not-a-url"): "cannot use Redis at not-a-url",
    }


def check(arguments: tuple[str, ...], answer: Answer, words: str) -> None:
    shown = " ".join(arguments)
    assert answer.returncode is not None, f"{shown}: still running after {TIME_LIMIT} s"
    assert answer.returncode != 0, f"{shown}: exit status 0"
    assert "Traceback" not in answer.stderr, f"{shown}:\n{answer.stderr}"
    assert len(answer.lines) == 1, f"{shown}: {len(answer.lines)} lines:\n{answer.stderr}"
    (line,) = answer.lines
    assert line.startswith(f"python -m chatlib {arguments[0]}: error: "), f"{shown}: {line}"
    assert words in line, f"{shown}: {line}"


async def test_each_bad_invocation_is_answered_in_one_line_and_exits(tmp_path, busy_port):
    cases = bad_invocations(tmp_path, busy_port)
    limit = asyncio.Semaphore(AT_ONCE)
    answers = await asyncio.gather(*(answer_to(*arguments, limit=limit) for arguments in cases))
    for (arguments, words), answer in zip(cases.items(), answers, strict=True):
        check(arguments, answer, words)


@contextlib.contextmanager
def read_only_database(folder: Path) -> Iterator[Path]:
    """A SQLite file that cannot be written: by its mode, or for root on a read-only mount."""
    folder.mkdir()
    if os.geteuid() != 0:
        database = folder / "chat.db"
        with sqlite3.connect(database) as made:
            made.execute("CREATE TABLE kept (x)")
        made.close()
        database.chmod(0o444)
        folder.chmod(0o555)
        try:
            yield database
        finally:
            folder.chmod(0o755)
        return
    mounted = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", "size=1m", "tmpfs", str(folder)], capture_output=True
    )
    if mounted.returncode != 0:
        pytest.skip(f"root writes any file, and a read-only mount is not allowed here: {mounted}")
    try:
        with sqlite3.connect(folder / "chat.db") as made:
            made.execute("CREATE TABLE kept (x)")
        made.close()
        subprocess.run(["mount", "-o", "remount,ro", str(folder)], check=True)
        yield folder / "chat.db"
    finally:
        subprocess.run(["umount", str(folder)], check=True)


async def test_a_read_only_database_is_answered_in_one_line_and_exits(tmp_path):
    with read_only_database(tmp_path / "read-only") as database:
        arguments = ("serve", "--port", "0", "--db", str(database))
        answer = await answer_to(*arguments, limit=asyncio.Semaphore(1))
    check(arguments, answer, "cannot be written")


async def test_host_localhost_simply_works():
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "chatlib", "serve", "--host", "localhost", "--port", "0",
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
    )  # fmt: skip
    try:
        line = (await asyncio.wait_for(process.stdout.readline(), TIME_LIMIT)).decode()
        assert line.startswith("chat server running at http://127.0.0.1:"), line
    finally:
        process.terminate()
        await asyncio.wait_for(process.wait(), 10)
