"""socket.io's own JavaScript, run live on Node.js beside the Python line it is compared with.

The guide says what socket.io does in JavaScript; this module lets a cell show
it. ``start_node_server`` starts a real socket.io 4.8 server (the npm package
pinned in package.json) as a child process of the kernel, on 127.0.0.1 and a
port the system picks. The lesson's ``ChatClient``s connect to it as they do to
a python-socketio server, and ``run`` executes one JavaScript snippet there::

    node = await start_node_server(cast={"alice": ["room1"], "bob": ["room1"]})
    clients = await connect_clients(node.url, ["alice", "bob", "carol"])
    print(await node.run("socket.to('room1').emit('hello', 1)", sender="alice"))
    await node.stop()

To put JavaScript *beside* Python, ``node.connect_clients()`` connects a
second set of clients with the cast's names, which stay connected next to the
lesson's clients of the same names on the Python server::

    node_clients = await node.connect_clients()   # alice, bob, ... on Node
    print(await node.run("socket.broadcast.emit('hello')", sender="alice"))

``run`` returns the same delivery table ``settle()`` gives for a Python line,
found the same way: after the snippet, Node emits a marker to every namespace,
and a client holding it holds everything the snippet sent it. The table also
carries what the snippet returned, the error it threw (a reserved event name,
say) and what it printed; ``print(...)`` in a handler the snippet registers
(``disconnecting``, ``connection``) is collected as it happens
(``next_printed``). Socket ids are printed as ``<id of alice>``, so output is
the same on every run.

A handler that throws on Node is an uncaught exception, which ends a default
Node process; the runner does the same, after reporting the message, and the
next ``run`` raises ``NodeServerError`` with it. (A python-socketio server
logs the same throw and keeps running; chatlib's server records it.)

Without Node.js or without ``npm ci``, ``start_node_server`` raises
``NodeUnavailable`` saying how to get them; a notebook cell guards itself with
``if need_node():``, which prints that advice and skips, except under
``CI=true``, where a missing Node is an error.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import shutil
import subprocess
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .clients import ChatClient, connected_clients
from .delivery import Delivery, SettleTimeout, record

RUNNER = Path(__file__).resolve().parent / "node" / "runner.js"
INSTALL_ADVICE = (
    "install Node.js and npm (e.g. `sudo apt-get install nodejs npm`), then run `npm ci` "
    "(or `make setup`) in the project folder"
)
START_TIMEOUT = 15.0
"""Seconds to wait for Node to load socket.io and listen (a cold start on a busy machine)."""
STOP_TIMEOUT = 5.0

_running: dict[str, NodeServer] = {}


class NodeUnavailable(RuntimeError):
    """Node.js or the npm package socket.io is missing; the message says how to get them."""


class NodeServerError(RuntimeError):
    """The Node process ended or stopped answering; the message says why, if Node said."""


def _in_ci() -> bool:
    return os.environ.get("CI", "").lower() in ("1", "true", "yes")


def find_node_modules(start: Path | None = None) -> Path | None:
    """The nearest ``node_modules`` holding socket.io, above ``start`` or above chatlib itself."""
    places = [start or Path.cwd(), RUNNER.parent]
    for place in places:
        for folder in [place.resolve(), *place.resolve().parents]:
            if (folder / "node_modules" / "socket.io" / "package.json").is_file():
                return folder / "node_modules"
    return None


def node_problem(node_modules: Path | None = None) -> str | None:
    """Why Node cannot run a socket.io server here (with what to do), or None when it can."""
    if shutil.which("node") is None:
        return f"Node.js is not installed: {INSTALL_ADVICE}."
    modules = node_modules or find_node_modules()
    if modules is None or not (modules / "socket.io" / "package.json").is_file():
        return f"the npm package socket.io is not installed: {INSTALL_ADVICE}."
    return None


def need_node() -> bool:
    """For a notebook cell: ``if need_node(): ...`` runs the JavaScript part only where it can.

    Without Node it prints what to install and returns False, so the cell skips
    its JavaScript; under ``CI=true`` it raises ``NodeUnavailable`` instead,
    because a skipped comparison there would hide a difference.
    """
    problem = node_problem()
    if problem is None:
        return True
    if _in_ci():
        raise NodeUnavailable(problem + " (CI=true: Node.js is required)")
    print(f"Skipped the JavaScript side: {problem}")
    return False


@dataclass(repr=False)
class NodeDelivery(Delivery):
    """A ``Delivery`` from a JavaScript snippet, plus what the snippet returned, threw, printed."""

    result: Any = None
    error: str | None = None
    printed: list[str] = field(default_factory=list)

    def _notes(self) -> list[str]:
        notes = [f"printed: {line}" for line in self.printed]
        if self.error is not None:
            notes.append(f"threw: {self.error}")
        return notes

    def __str__(self) -> str:
        return "\n".join([Delivery.__str__(self), *self._notes()])

    __repr__ = __str__

    def _repr_html_(self) -> str:
        from html import escape

        notes = "".join(f"<p><code>{escape(note)}</code></p>" for note in self._notes())
        return Delivery._repr_html_(self) + notes


class NodeClient(ChatClient):
    """A ``ChatClient`` of a Node server, connected beside a Python client of the same name.

    ``ChatClient.connect`` disconnects a live client that has the same name, so
    that a re-run cell never leaves two alices behind. Here two alices are the
    point: one on Node, one on the lesson's Python server, so that both tables
    have the same columns. Its ``NodeServer`` keeps it and disconnects it when
    it stops, which is the clean-up that registry gives the others.
    """

    async def connect(  # type: ignore[override]
        self, url: str, *, namespaces: list[str] | None = None, wait_timeout: float = 5
    ) -> None:
        self.server_url = url
        await super(ChatClient, self).connect(
            url,
            auth={"name": self.name},
            namespaces=namespaces,
            transports=["websocket"],
            wait_timeout=wait_timeout,
        )


class NodeServer:
    """A socket.io server in a child Node.js process; ``run`` executes JavaScript on it."""

    def __init__(self, name: str, process: asyncio.subprocess.Process, cast: dict) -> None:
        self.name = name
        self.cast = cast
        self.port = 0
        self.clients: list[NodeClient] = []
        """The clients ``connect_clients`` connected, in order."""
        self.printed: list[str] = []
        """Every line ``print(...)`` reported, from snippets and from handlers, in order."""
        self._process = process
        self._printed_read = 0
        self._printed_changed = asyncio.Event()
        self._replies: dict[int, asyncio.Future[dict[str, Any]]] = {}
        self._next_id = 0
        self._lock = asyncio.Lock()
        self._listening: asyncio.Future[int] = asyncio.get_running_loop().create_future()
        self._ended: str | None = None
        self._stderr = b""
        self._readers = [
            asyncio.ensure_future(self._read_stdout()),
            asyncio.ensure_future(self._read_stderr()),
        ]

    def __repr__(self) -> str:
        state = "running" if self.running else "stopped"
        return f"<NodeServer {self.name!r} {state}>"

    @property
    def running(self) -> bool:
        return self._ended is None and self._process.returncode is None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    # --- talking to the process ----------------------------------------------
    async def _read_stdout(self) -> None:
        assert self._process.stdout is not None
        while line := await self._process.stdout.readline():
            try:
                message = json.loads(line)
            except ValueError:
                continue  # not from the runner (a stray console.log in a snippet)
            self._dispatch(message)
        await self._process.wait()
        self._end(self._ended or f"Node exited with code {self._process.returncode}")

    async def _read_stderr(self) -> None:
        assert self._process.stderr is not None
        while chunk := await self._process.stderr.read(4096):
            self._stderr = (self._stderr + chunk)[-4000:]

    def _dispatch(self, message: dict[str, Any]) -> None:
        if "port" in message and not self._listening.done():
            self._listening.set_result(int(message["port"]))
        elif "printed" in message:
            self.printed.append(str(message["printed"]))
            self._printed_changed.set()
        elif "uncaught" in message:
            self._ended = (
                f"a handler threw {message['uncaught']!r}: an uncaught exception, which ends "
                "a Node.js process"
            )
        elif "id" in message:
            waiter = self._replies.pop(message["id"], None)
            if waiter is not None and not waiter.done():
                waiter.set_result(message)

    def _end(self, why: str) -> None:
        self._ended = why
        stderr = self._stderr.decode(errors="replace").strip()
        error = NodeServerError(
            f"the Node server {self.name!r} stopped: {why}"
            + (f"\n{stderr}" if stderr and "uncaught" not in why else "")
        )
        waiters: list[asyncio.Future[Any]] = [self._listening, *self._replies.values()]
        for waiter in waiters:
            if not waiter.done():
                waiter.set_exception(error)
        self._replies.clear()
        self._printed_changed.set()

    def _check_running(self) -> None:
        if self._ended is not None:
            raise NodeServerError(f"the Node server {self.name!r} stopped: {self._ended}")

    async def _request(self, command: dict[str, Any], timeout: float) -> dict[str, Any]:
        self._check_running()
        self._next_id += 1
        waiter: asyncio.Future[dict[str, Any]] = asyncio.get_running_loop().create_future()
        self._replies[self._next_id] = waiter
        assert self._process.stdin is not None
        self._process.stdin.write((json.dumps({"id": self._next_id, **command}) + "\n").encode())
        await self._process.stdin.drain()
        try:
            return await asyncio.wait_for(waiter, timeout)
        except TimeoutError:
            self._replies.pop(self._next_id, None)
            raise NodeServerError(
                f"the snippet did not finish within {timeout} s on Node "
                "(an await that never resolves? give emitWithAck a .timeout())"
            ) from None

    # --- what a lesson uses ---------------------------------------------------
    async def connect_clients(self, names: list[str] | None = None) -> list[NodeClient]:
        """Connect a ``NodeClient`` per name (default: the whole cast), each to its namespaces.

        A client joins every namespace of the cast that lists its name (``/``
        for a name the cast does not list), one client after another so the
        order is the same on every run. Python clients of the same names stay
        connected to their own server.
        """
        if names is None:
            names = list(dict.fromkeys(n for members in self.cast.values() for n in members))
        connected = []
        for name in names:
            namespaces = [ns for ns, members in self.cast.items() if name in members] or ["/"]
            client = NodeClient(name)
            await client.connect(self.url, namespaces=namespaces)
            self.clients.append(client)
            connected.append(client)
        return connected

    def _default_clients(self) -> list[ChatClient]:
        own = [c for c in self.clients if c.connected]
        return own + [c for c in connected_clients(self.url) if c not in own]

    async def run(
        self,
        code: str,
        *,
        sender: str | None = None,
        namespace: str = "/",
        clients: list[ChatClient] | None = None,
        timeout: float = 5.0,
    ) -> NodeDelivery:
        """Run ``code`` on Node; return who received what, as ``settle()`` does for Python.

        ``code`` is the body of an async function with ``io``, ``socket`` (the
        ``sender``'s socket in ``namespace``), ``idOf(name)``, ``print(...)``
        and ``jsClient(name, url)`` (the official JavaScript client, connected
        to this server or to ``url``) in scope; ``return`` a value to see it
        as ``.result``. A snippet that
        throws does not raise here: the table's ``.error`` holds the message,
        as a lesson wants to show it. ``clients`` defaults to this server's
        ``NodeClient``s, then every other ``ChatClient`` connected to it, in
        the order they connected. Every wait
        is bounded by ``timeout``.
        """
        async with self._lock:
            clients = self._default_clients() if clients is None else list(clients)
            token = f"{uuid.uuid4().hex}:{self.name}"
            waiters = {c.name: c.expect_marker(token) for c in clients if c.connected}
            printed_before = len(self.printed)
            command = {"code": code, "sender": sender, "namespace": namespace, "token": token}
            try:
                reply = await self._request(command, timeout)
            except BaseException:
                for waiter in waiters.values():
                    waiter.cancel()
                raise
            if waiters:
                _done, pending = await asyncio.wait(waiters.values(), timeout=timeout)
                if pending:
                    missing = sorted(n for n, w in waiters.items() if w in pending)
                    for waiter in pending:
                        waiter.cancel()
                    raise SettleTimeout(
                        f"{', '.join(missing)} did not receive the barrier within {timeout} s "
                        f"from the Node server {self.name!r}"
                    )
            table = record(clients)
            return NodeDelivery(
                table.names,
                table.rows,
                result=reply.get("result"),
                error=reply.get("error"),
                printed=self.printed[printed_before:],
            )

    async def next_printed(self, count: int = 1, *, timeout: float = 5.0) -> list[str]:
        """The next ``count`` printed lines not read yet, waiting (bounded) for them.

        For handlers that print later than the snippet that registered them:
        ``disconnecting`` runs when a client leaves.
        """
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while len(self.printed) < self._printed_read + count:
            self._check_running()
            self._printed_changed.clear()
            remaining = deadline - loop.time()
            if remaining <= 0:
                got = len(self.printed) - self._printed_read
                raise TimeoutError(
                    f"Node printed {got} of {count} expected line(s) within {timeout} s"
                )
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._printed_changed.wait(), remaining)
        lines = self.printed[self._printed_read : self._printed_read + count]
        self._printed_read += count
        return lines

    async def stop(self) -> None:
        """Disconnect this server's chat clients, then end the Node process (bounded)."""
        from .clients import disconnect_clients

        if _running.get(self.name) is self:
            del _running[self.name]
        if self._process.returncode is None:
            if self.port:
                await disconnect_clients(self.url)
                await asyncio.gather(
                    *(c.disconnect() for c in self.clients if c.connected), return_exceptions=True
                )
            if self._process.stdin is not None and not self._process.stdin.is_closing():
                self._process.stdin.close()  # the runner exits when its stdin closes
            try:
                await asyncio.wait_for(self._process.wait(), STOP_TIMEOUT)
            except TimeoutError:
                self._process.kill()
                await self._process.wait()
        for reader in self._readers:
            with contextlib.suppress(asyncio.CancelledError, TimeoutError):
                await asyncio.wait_for(reader, STOP_TIMEOUT)
        if self._ended is None:
            self._end("stopped")

    async def __aenter__(self) -> NodeServer:
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.stop()


def _as_cast(cast: dict | None) -> dict[str, dict[str, list[str]]]:
    """``{name: rooms}`` (the main namespace) or ``{"/ns": {name: rooms}}``, in one shape."""
    if not cast:
        return {"/": {}}
    if all(key.startswith("/") for key in cast):
        return {
            ns: {name: list(rooms) for name, rooms in members.items()}
            for ns, members in cast.items()
        }
    return {"/": {name: list(rooms) for name, rooms in cast.items()}}


async def start_node_server(
    cast: dict | None = None,
    *,
    name: str = "node",
    node_modules: Path | None = None,
    timeout: float = START_TIMEOUT,
) -> NodeServer:
    """Start socket.io on Node; a running Node server of the same ``name`` is stopped first.

    ``cast`` says which rooms each client joins when it connects:
    ``{"alice": ["room1"]}`` for the main namespace, or
    ``{"/": {...}, "/chat": {"frank": ["room1"]}}`` to open more namespaces
    (Node refuses clients of a namespace the cast does not name).
    """
    problem = node_problem(node_modules)
    if problem is not None:
        raise NodeUnavailable(problem)
    modules = node_modules or find_node_modules()
    previous = _running.get(name)
    if previous is not None:
        await previous.stop()
    shaped = _as_cast(cast)
    process = await asyncio.create_subprocess_exec(
        shutil.which("node") or "node",
        str(RUNNER),
        json.dumps(shaped),
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env={**os.environ, "NODE_PATH": str(modules)},
    )
    server = NodeServer(name, process, shaped)
    try:
        server.port = await asyncio.wait_for(asyncio.shield(server._listening), timeout)
    except TimeoutError:
        await server.stop()
        raise NodeServerError(f"Node did not start socket.io within {timeout} s") from None
    except NodeServerError:
        await server.stop()
        raise
    _running[name] = server
    return server


def running_node_servers() -> list[NodeServer]:
    return list(_running.values())


async def stop_node_servers() -> None:
    """Stop every Node server this kernel started (``chatlib.stop_all`` calls this)."""
    for server in list(_running.values()):
        await server.stop()
