"""Students for the class load tests: ``python -m tests.swarm URL COUNT MESSAGES TOKEN SECONDS``.

Each student is a websocket that speaks Engine.IO 4 / Socket.IO 5 frames
itself (aiohttp's client), not a python-socketio ``AsyncClient``: in one
process, 200 AsyncClients spend ~50 µs of Python per received message, and
a room of 1,000 receives 1,000 × 1,000 per message round. The frames on the
wire are the ones the official clients send; the server cannot tell the
difference, and it is the server that is under test.

The process prints ``started`` and waits for a line on stdin (so that the
start-up of several processes does not overlap the measurement); then the
students join, print ``joined``, wait for another line, send their
messages (each with an ack id) without waiting in between, answer the
server's pings, and stop when every message was accepted and every message
of the class has arrived. A message the server refuses (the class's budget,
the per-client rate) is sent again after the wait the refusal asks for, as
the page invites a student to do. The last line printed is a JSON summary:
counts, lost, duplicated, refusals, the most ``online`` updates a student
got, timings.

A big class runs as several of these processes: ``--first`` numbers this
process's students after the others', ``--class-size`` is the whole class
(every student expects every student's messages), ``--source`` is the local
address to connect from (a load balancer's ``ip_hash`` spreads addresses).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import random
import re
import sys
import time
from collections import Counter
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import aiohttp

ROOT = Path(__file__).resolve().parent.parent
_AGAIN = re.compile(r"again in (\d+) second")


def student_name(number: int) -> str:
    return f"student{number:04d}"


class Student:
    def __init__(self, name: str, messages: int, expected: int) -> None:
        self.name = name
        self.messages = messages
        self.expected = expected
        self.received: Counter[tuple[str, str]] = Counter()
        self.accepted: set[int] = set()
        self.refusals: Counter[str] = Counter()
        self.online_updates = 0
        self.ws: aiohttp.ClientWebSocketResponse | None = None
        self._next_ack = 0
        self._sent: dict[int, int] = {}  # ack id -> message number

    async def join(self, http: aiohttp.ClientSession, url: str, token: str) -> None:
        ws_url = url.replace("http://", "ws://") + "/socket.io/?EIO=4&transport=websocket"
        self.ws = await http.ws_connect(ws_url, max_msg_size=0)
        opened = await self.ws.receive_str(timeout=30)
        assert opened.startswith("0{"), opened
        await self.ws.send_str("40" + json.dumps({"name": self.name, "token": token}))
        answer = await self.ws.receive_str(timeout=30)
        assert answer.startswith("40{"), f"{self.name} was not let in: {answer}"

    async def send(self, number: int) -> None:
        assert self.ws is not None
        ack, self._next_ack = self._next_ack, self._next_ack + 1
        self._sent[ack] = number
        await self.ws.send_str(f"42{ack}" + json.dumps(["chat message", f"{self.name} #{number}"]))

    async def resend_later(self, number: int, answer: Any) -> None:
        error = str(answer.get("error", "")) if isinstance(answer, dict) else ""
        wait = float(_AGAIN.search(error).group(1)) if _AGAIN.search(error) else 1.0
        await asyncio.sleep(wait * (0.5 + random.random()))
        await self.send(number)

    async def run(self) -> None:
        assert self.ws is not None
        for number in range(self.messages):
            await self.send(number)
        retries: set[asyncio.Task[None]] = set()
        while len(self.accepted) < self.messages or sum(self.received.values()) < self.expected:
            frame = await self.ws.receive()
            if frame.type != aiohttp.WSMsgType.TEXT:
                raise ConnectionError(f"{self.name}: the server closed the connection")
            data: str = frame.data
            if data == "2":
                await self.ws.send_str("3")
            elif data.startswith("42["):
                event, *args = json.loads(data[2:])
                if event == "chat message":
                    self.received[(args[0], args[1])] += 1
                elif event == "online":
                    self.online_updates += 1
            elif data.startswith("43"):
                ack_id, _, payload = data[2:].partition("[")
                answer = json.loads("[" + payload)[0]
                number = self._sent.pop(int(ack_id))
                if answer == {"ok": True}:
                    self.accepted.add(number)
                else:
                    reason = "busy" if answer.get("busy") else str(answer.get("error"))[:40]
                    self.refusals[reason] += 1
                    task = asyncio.create_task(self.resend_later(number, answer))
                    retries.add(task)
                    task.add_done_callback(retries.discard)


async def main(options: argparse.Namespace) -> None:
    names = [student_name(options.first + i) for i in range(options.count)]
    class_size = options.class_size or options.count
    expected = class_size * options.messages
    students = [Student(name, options.messages, expected) for name in names]
    connector = aiohttp.TCPConnector(
        limit=0, local_addr=(options.source, 0) if options.source else None
    )
    loop = asyncio.get_running_loop()
    print("started", flush=True)
    await asyncio.wait_for(loop.run_in_executor(None, sys.stdin.readline), 600)
    async with aiohttp.ClientSession(connector=connector) as http:
        began = time.perf_counter()
        for i in range(0, len(students), 20):  # 20 at a time: a room arriving, not one stampede
            batch = students[i : i + 20]
            await asyncio.gather(*(s.join(http, options.url, options.token) for s in batch))
        joined = time.perf_counter() - began
        print("joined", flush=True)
        await asyncio.wait_for(loop.run_in_executor(None, sys.stdin.readline), 600)
        started = time.perf_counter()
        tasks = [asyncio.create_task(s.run()) for s in students]
        done, pending = await asyncio.wait(tasks, timeout=options.timeout)
        for task in pending:
            task.cancel()
        elapsed = time.perf_counter() - started
        everyone = [student_name(n) for n in range(class_size)]
        wanted = {(name, f"{name} #{i}") for name in everyone for i in range(options.messages)}
        refusals: Counter[str] = Counter()
        for s in students:
            refusals.update(s.refusals)
        summary = {
            "students": len(students),
            "finished": len(done),
            "errors": sorted({str(t.exception()) for t in done if t.exception()})[:3],
            "received_min": min(sum(s.received.values()) for s in students),
            "received_max": max(sum(s.received.values()) for s in students),
            "received": sum(sum(s.received.values()) for s in students),
            "lost": sum(len(wanted - set(s.received)) for s in students),
            "duplicated": sum(n - 1 for s in students for n in s.received.values() if n > 1),
            "strangers": sum(len(set(s.received) - wanted) for s in students),
            "accepted": sum(len(s.accepted) for s in students),
            "refusals": dict(refusals),
            "online_updates_max": max(s.online_updates for s in students),
            "join_s": round(joined, 2),
            "deliver_s": round(elapsed, 2),
        }
        for s in students:
            if s.ws is not None:
                await s.ws.close()
    print(json.dumps(summary), flush=True)


def merge(summaries: list[dict[str, Any]]) -> dict[str, Any]:
    """One summary for a class driven from several processes."""
    refusals: Counter[str] = Counter()
    for summary in summaries:
        refusals.update(summary["refusals"])
    total = {
        key: sum(s[key] for s in summaries)
        for key in ("students", "finished", "received", "lost", "duplicated", "strangers")
    }
    return {
        **total,
        "accepted": sum(s["accepted"] for s in summaries),
        "errors": sorted({e for s in summaries for e in s["errors"]})[:3],
        "received_min": min(s["received_min"] for s in summaries),
        "received_max": max(s["received_max"] for s in summaries),
        "refusals": dict(refusals),
        "online_updates_max": max(s["online_updates_max"] for s in summaries),
        "join_s": max(s["join_s"] for s in summaries),
        "deliver_s": max(s["deliver_s"] for s in summaries),
    }


class Swarms:
    """A class of ``students`` driven from ``processes`` processes of this module.

    ``sources`` are local addresses dealt to the processes in turn (none: the
    system's choice). ``await join()`` starts them and waits until every
    student is in; ``await go()`` lets them send and returns the merged summary.
    """

    def __init__(
        self,
        url: str,
        students: int,
        messages: int,
        token: str,
        *,
        processes: int = 1,
        sources: list[str] | None = None,
        timeout: float = 120,
    ) -> None:
        self.url, self.students, self.messages, self.token = url, students, messages, token
        self.processes, self.sources, self.timeout = processes, sources or [], timeout
        self._running: list[asyncio.subprocess.Process] = []

    async def join(
        self, timeout: float = 120, before: Callable[[], Awaitable[Any]] | None = None
    ) -> None:
        share, extra = divmod(self.students, self.processes)
        first = 0
        for k in range(self.processes):
            count = share + (1 if k < extra else 0)
            command = [sys.executable, "-m", "tests.swarm", self.url, str(count)]
            command += [str(self.messages), self.token, str(self.timeout)]
            command += ["--first", str(first), "--class-size", str(self.students)]
            if self.sources:
                command += ["--source", self.sources[k % len(self.sources)]]
            first += count
            pipe = asyncio.subprocess.PIPE
            process = await asyncio.create_subprocess_exec(
                *command, cwd=ROOT, stdin=pipe, stdout=pipe
            )
            self._running.append(process)
        await self._expect(b"started", timeout)
        if before is not None:
            await before()  # e.g. start measuring, now that the processes are up
        await self._tell(b"join")
        await self._expect(b"joined", timeout)

    async def _tell(self, line: bytes) -> None:
        for process in self._running:
            assert process.stdin is not None
            process.stdin.write(line + b"\n")
            await process.stdin.drain()

    async def _expect(self, word: bytes, timeout: float) -> None:
        for process in self._running:
            assert process.stdout is not None
            line = await asyncio.wait_for(process.stdout.readline(), timeout)
            if line.strip() != word:
                raise RuntimeError(f"a swarm process said {line!r}, not {word!r}")

    async def go(self) -> dict[str, Any]:
        await self._tell(b"go")
        summaries = []
        for process in self._running:
            assert process.stdout is not None
            line = await asyncio.wait_for(process.stdout.readline(), self.timeout + 30)
            summaries.append(json.loads(line))
        return merge(summaries)

    async def close(self) -> None:
        for process in self._running:
            if process.returncode is None:
                process.kill()
            await process.wait()
        self._running = []


def arguments(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m tests.swarm")
    parser.add_argument("url")
    parser.add_argument("count", type=int)
    parser.add_argument("messages", type=int)
    parser.add_argument("token")
    parser.add_argument("timeout", type=float)
    parser.add_argument("--first", type=int, default=0, help="number of the first student")
    parser.add_argument("--class-size", type=int, default=0, help="students in the whole class")
    parser.add_argument("--source", default="", help="local address to connect from")
    return parser.parse_args(argv)


if __name__ == "__main__":
    asyncio.run(main(arguments(sys.argv[1:])))
