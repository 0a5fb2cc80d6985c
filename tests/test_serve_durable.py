"""``python -m chatlib serve --db``: a real process, killed and started again on the same file.

Also drives the page's own protocol (auth with serverOffset, client offsets,
``retries``/``ackTimeout``) with the official socket.io-client in Node.
"""

from __future__ import annotations

import asyncio
import json
import shutil
import sqlite3
from pathlib import Path

import aiohttp
import pytest

from chatlib import stop_all
from chatlib.durable.reliable import connect_durable_clients, wait_connected
from tests.serve_support import fill, free_port, kill, serve, serve_watched, small_disk
from tests.support import require

ROOT = Path(__file__).resolve().parent.parent
NODE_CLIENT = ROOT / "node_modules" / "socket.io-client"


async def test_messages_survive_a_killed_process_and_clients_come_back(tmp_path):
    db, port = tmp_path / "chat.db", free_port()
    process, url = await serve(db, port)
    try:
        async with aiohttp.ClientSession() as http, http.get(url + "/") as response:
            page = await response.text()
        assert 'id="toggle"' in page and "serverOffset" in page and "clientOffset" in page

        clients = await connect_durable_clients(url, ["alice", "bob"])
        alice, bob = clients
        await alice.send("one")
        await bob.send("two")
        await kill(process)  # no goodbye: the clients keep trying to reconnect
        sending = asyncio.ensure_future(alice.send("three, after the kill"))
        process, _ = await serve(db, port)
        assert (await sending)["ok"]
        await wait_connected(clients, timeout=10)
        await bob.send("four")

        (carol,) = await connect_durable_clients(url, ["carol"])  # replayed before connected
        expected = ["one", "two", "three, after the kill", "four"]
        # the server is another process: no settle(); bob's own ack came after his broadcast
        await asyncio.wait_for(_until(lambda: len(alice.shown) == 4), 10)
        for client in [alice, bob, carol]:
            assert client.shown_texts() == expected, client.name
            assert [m.id for m in client.shown] == [1, 2, 3, 4]
    finally:
        await stop_all()
        await kill(process)


async def _until(condition) -> None:
    while not condition():
        await asyncio.sleep(0.02)


NODE_SCRIPT = r"""
const { io } = require(process.argv[2]);
let serverOffset = 0; let sent = false; const shown = [];
const socket = io(process.argv[3], {
  transports: ['websocket'], ackTimeout: 2000, retries: 3,
  auth: (cb) => cb({ name: 'page', serverOffset }),
});
socket.on('chat message', (msg, offset) => {
  if (typeof offset === 'number') { if (offset <= serverOffset) return; serverOffset = offset; }
  shown.push([offset, msg]);
});
socket.on('connect', async () => {
  if (sent) return;
  sent = true;
  const answers = [];
  answers.push(await socket.emitWithAck('chat message', 'from the page', 'page-s-1'));
  answers.push(await socket.emitWithAck('chat message', 'from the page', 'page-s-1'));
  answers.push(await socket.emitWithAck('chat message', '', 'page-s-2'));
  setTimeout(() => {
    console.log(JSON.stringify({ answers, shown }));
    socket.disconnect();
  }, 200);
});
"""


async def test_the_page_protocol_works_with_the_official_javascript_client(tmp_path):
    node = shutil.which("node")
    require(
        node is not None and NODE_CLIENT.is_dir(),
        "Node.js and socket.io-client",
        "install Node.js and run `npm ci`",
    )
    process, url = await serve(tmp_path / "chat.db", free_port())
    try:
        (alice,) = await connect_durable_clients(url, ["alice"])
        await alice.send("already there")
        script = tmp_path / "page.js"
        script.write_text(NODE_SCRIPT)
        run = await asyncio.create_subprocess_exec(
            node, str(script), str(NODE_CLIENT), url, stdout=asyncio.subprocess.PIPE
        )
        out, _ = await asyncio.wait_for(run.communicate(), 20)
        result = json.loads(out.decode().strip().splitlines()[-1])
        assert result["answers"] == [
            {"ok": True, "offset": 2},
            {"ok": True, "offset": 2, "duplicate": True},
            {"ok": False, "error": "a chat message cannot be empty"},
        ]
        assert result["shown"] == [[1, "already there"], [2, "from the page"]]
    finally:
        await stop_all()
        await kill(process)


@pytest.fixture(autouse=True)
def _quiet(caplog):
    caplog.set_level("ERROR")


async def test_serve_refuses_to_acknowledge_once_its_database_file_is_deleted(tmp_path):
    db, port = tmp_path / "chat.db", free_port()
    process, url = await serve_watched(db, port)
    try:
        (alice,) = await connect_durable_clients(url, ["alice"], ack_timeout=3, retries=0)
        assert (await alice.send("before the deletion"))["ok"]
        db.unlink()
        answers = [await alice.send(f"after the deletion {i}") for i in range(3)]
        for answer in answers:
            assert answer["ok"] is False, answer
            assert "was deleted while the server ran" in answer["error"]
        await kill(process)
        assert process.stderr is not None
        console = (await process.stderr.read()).decode().splitlines()
        assert len(console) == 1 and "chat.db was deleted while the server ran" in console[0]

        process, _ = await serve(db, port)  # a new file
        await wait_connected([alice], timeout=10)
        assert (await alice.send("after the restart"))["ok"]
        acknowledged = [a["offset"] for a in answers if a.get("ok")]
        kept = [row[0] for row in _rows(db)]
        assert all(offset in kept for offset in acknowledged) and acknowledged == []
    finally:
        await stop_all()
        await kill(process)


async def test_serve_on_a_full_disk_says_so_and_stores_the_retry_once_space_is_back(tmp_path):
    port = free_port()
    with small_disk(tmp_path / "disk") as disk:
        db = disk / "chat.db"
        process, url = await serve_watched(db, port)
        try:
            alice, bob = await connect_durable_clients(url, ["alice", "bob"])
            assert (await alice.send("before"))["ok"]
            filler = fill(disk)
            big = "a message bigger than a page of the write-ahead log " * 9
            refused = await alice.call("chat message", (big, "s-1"), timeout=10)
            assert refused["ok"] is False and refused["retry"] is True
            assert refused["error"].startswith("not stored: the disk holding chat.db is full")
            assert process.stderr is not None
            line = (await asyncio.wait_for(process.stderr.readline(), 10)).decode()
            assert "not being stored" in line and "is full" in line
            filler.unlink()  # space is back: the client's retry carries the same offset
            assert (await alice.call("chat message", (big, "s-1"), timeout=10))["ok"] is True
            await asyncio.wait_for(_until(lambda: bob.shown_texts()[-1:] == [big]), 10)
            assert bob.shown_texts() == ["before", big]
        finally:
            await stop_all()
            await kill(process)


def _rows(db: Path) -> list[tuple]:
    with sqlite3.connect(db) as connection:
        rows = connection.execute("SELECT id, sender, content FROM messages").fetchall()
    connection.close()
    return rows
