"""A room of students for the load test: ``python -m tests.swarm URL COUNT MESSAGES TOKEN``.

Each student is a websocket that speaks Engine.IO 4 / Socket.IO 5 frames
itself (aiohttp's client), not a python-socketio ``AsyncClient``: in one
process, 200 AsyncClients spend ~50 µs of Python per received message, and
the room receives 200 × 20 × 200 = 800,000 of them. The frames on the wire
are the ones the official clients send; the server cannot tell the
difference, and it is the server that is under test.

Students join, print ``joined``, wait for a line on stdin, send their
messages (each with an ack id) without waiting in between, answer the
server's pings, and stop when they have every ack and every message of the
room. The last line printed is a JSON summary: counts, lost, duplicated,
refused, timings.
"""

from __future__ import annotations

import asyncio
import json
import sys
import time
from collections import Counter

import aiohttp


class Student:
    def __init__(self, name: str, messages: int, expected: int) -> None:
        self.name = name
        self.messages = messages
        self.expected = expected
        self.received: Counter[tuple[str, str]] = Counter()
        self.acks: dict[int, object] = {}
        self.ws: aiohttp.ClientWebSocketResponse | None = None

    async def join(self, http: aiohttp.ClientSession, url: str, token: str) -> None:
        ws_url = url.replace("http://", "ws://") + "/socket.io/?EIO=4&transport=websocket"
        self.ws = await http.ws_connect(ws_url)
        opened = await self.ws.receive_str(timeout=10)
        assert opened.startswith("0{"), opened
        await self.ws.send_str("40" + json.dumps({"name": self.name, "token": token}))
        answer = await self.ws.receive_str(timeout=10)
        assert answer.startswith("40{"), f"{self.name} was not let in: {answer}"

    async def run(self) -> None:
        assert self.ws is not None
        for i in range(self.messages):
            await self.ws.send_str(f"42{i}" + json.dumps(["chat message", f"{self.name} #{i}"]))
        while len(self.acks) < self.messages or sum(self.received.values()) < self.expected:
            frame = await self.ws.receive()
            if frame.type != aiohttp.WSMsgType.TEXT:
                raise ConnectionError(f"{self.name}: the server closed the connection")
            data: str = frame.data
            if data == "2":
                await self.ws.send_str("3")
            elif data.startswith("42["):
                _event, name, text = json.loads(data[2:])
                self.received[(name, text)] += 1
            elif data.startswith("43"):
                ack_id, _, payload = data[2:].partition("[")
                self.acks[int(ack_id)] = json.loads("[" + payload)[0]


async def main(url: str, count: int, messages: int, token: str, timeout: float) -> None:
    expected = count * messages
    students = [Student(f"student{i:03d}", messages, expected) for i in range(count)]
    connector = aiohttp.TCPConnector(limit=0)
    async with aiohttp.ClientSession(connector=connector) as http:
        began = time.perf_counter()
        for i in range(0, count, 20):  # 20 at a time: a room arriving, not one stampede
            await asyncio.gather(*(s.join(http, url, token) for s in students[i : i + 20]))
        joined = time.perf_counter() - began
        print("joined", flush=True)
        loop = asyncio.get_running_loop()
        await asyncio.wait_for(loop.run_in_executor(None, sys.stdin.readline), 60)
        started = time.perf_counter()
        tasks = [asyncio.create_task(s.run()) for s in students]
        done, pending = await asyncio.wait(tasks, timeout=timeout)
        for task in pending:
            task.cancel()
        elapsed = time.perf_counter() - started
        wanted = {(s.name, f"{s.name} #{i}") for s in students for i in range(messages)}
        summary = {
            "students": count,
            "messages_each": messages,
            "finished": len(done),
            "errors": sorted({str(t.exception()) for t in done if t.exception()})[:3],
            "received_min": min(sum(s.received.values()) for s in students),
            "received_max": max(sum(s.received.values()) for s in students),
            "lost": sum(len(wanted - set(s.received)) for s in students),
            "duplicated": sum(n - 1 for s in students for n in s.received.values() if n > 1),
            "refused": sum(1 for s in students for a in s.acks.values() if a != {"ok": True}),
            "join_s": round(joined, 2),
            "deliver_s": round(elapsed, 2),
        }
        for s in students:
            if s.ws is not None:
                await s.ws.close()
    print(json.dumps(summary), flush=True)


if __name__ == "__main__":
    url, count, messages, token, timeout = sys.argv[1:6]
    asyncio.run(main(url, int(count), int(messages), token, float(timeout)))
