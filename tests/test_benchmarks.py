"""The benchmarks stay runnable: each one, at a tiny size, prints a full table.

These check that the measuring works (every message delivered once, every row
present), not how fast anything is: speed is measured by running the benchmarks.
"""

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.support import require

BENCHMARKS = Path(__file__).resolve().parent.parent / "benchmarks"
NODE_CLIENT = BENCHMARKS.parent / "node_modules/socket.io-client"


def run(*args: str) -> list[str]:
    done = subprocess.run(
        [sys.executable, *args], cwd=BENCHMARKS, capture_output=True, text=True, timeout=180
    )
    assert done.returncode == 0, done.stderr[-2000:]
    return [line for line in done.stdout.splitlines() if line.startswith("|")]


def cells(row: str) -> list[str]:
    return [cell.strip() for cell in row.strip("|").split("|")]


@pytest.fixture
def node():
    require(
        shutil.which("node") is not None and NODE_CLIENT.is_dir(),
        "Node.js with the npm packages of package.json",
        "install nodejs and npm, then run `npm ci`",
    )


def test_fanout_prints_every_server_and_loses_nothing(node):
    rows = run("fanout.py", "--clients", "5", "--rounds", "1", "--seconds", "0.5", "--rate", "10")
    body = [cells(row) for row in rows[2:]]
    assert [row[1] for row in body] == [
        "node socket.io 4.8",
        "chatlib (notebooks)",
        "python-socketio defaults",
    ]
    for row in body:
        assert float(row[2].replace(",", "")) > 0
        assert row[-2:] == ["0", "0"], f"{row[1]} lost or duplicated messages"


def test_redis_cost_prints_both_setups(node):
    rows = run("redis_cost.py", "--clients", "6", "--rounds", "1", "--seconds", "0.5")
    body = [cells(row) for row in rows[2:]]
    assert [row[0] for row in body] == ["one node, in memory", "two nodes, Redis"]
    assert all(row[-2:] == ["0", "0"] for row in body)


def test_lifecycle_prints_three_steps():
    rows = run("lifecycle.py", "--rounds", "2")
    assert [cells(row)[0] for row in rows[2:]] == [
        "start",
        "connect 3 clients",
        "stop with 3 clients",
    ]


def test_flood_counts_widget_messages_in_a_real_kernel():
    rows = run("flood.py", "--panes", "2", "--rate", "200", "--seconds", "1")
    measures = {cells(row)[0]: cells(row)[1] for row in rows[2:]}
    assert measures["messages each pane received"] == "200"
    median, _ = measures["widget messages per pane per second, median / max"].split(" / ")
    assert float(median) > 0


def test_soak_holds_its_clients_and_counts_what_it_lost(node):
    rows = run("soak.py", "--clients", "5", "--minutes", "0.05", "--rate", "10")
    (row,) = [cells(row) for row in rows[2:]]
    clients, _, messages, deliveries, disconnects, lost, duplicated, refused = row[:8]
    assert clients == "5"
    assert int(messages) > 0
    assert int(deliveries.replace(",", "")) == 5 * int(messages)
    assert [disconnects, lost, duplicated, refused] == ["0", "0", "0", "0"]
    assert float(row[8]) > 0 and float(row[9]) > 0  # RSS measured


def test_idle_memory_measures_both_servers_with_every_client_held(node):
    rows = run("idle_memory.py", "--clients", "20", "--rounds", "1")
    body = [cells(row) for row in rows[2:]]
    assert [row[0] for row in body] == ["node socket.io 4.8", "chatlib (notebooks)"]
    for row in body:
        before, after = float(row[1]), float(row[2])
        assert after >= before > 0, row


@pytest.mark.redis
def test_classroom_counts_every_delivery_on_one_node_and_on_two(redis):
    from tests.test_nginx import NGINX

    require(NGINX is not None, "nginx", "apt-get install nginx (.ci/run does it)")
    rows = run("classroom.py", "--runs", "1:20", "2:20", "--redis", redis.url)
    assert len(rows) == 4  # header, rule, a row per run
    for row, nodes in zip(rows[2:], ("1", "2"), strict=True):
        fields = cells(row)
        assert fields[0] == nodes
        assert fields[2:5] == ["400 of 400", "0", "0"], row  # deliveries, lost, duplicated
