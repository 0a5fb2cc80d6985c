"""A real Jupyter kernel, used the way a learner uses it: Interrupt, then restart."""

import asyncio
import socket

import pytest
from jupyter_client.manager import start_new_async_kernel

START = """
from chatlib import connect_clients, start_server
server = await start_server("kernel-test")

@server.sio.on("echo")
async def echo(sid, data):
    return data

(alice,) = await connect_clients(server.url, ["alice"])
print(server.port)
"""

START_WITH_DEFAULT_CLIENT = """
import socketio
from chatlib import start_server
server = await start_server("kernel-test")
alice = socketio.AsyncClient()
await alice.connect(server.url, transports=["websocket"])

@server.sio.on("echo")
async def echo(sid, data):
    return data
"""


async def run(client, code: str, timeout: float = 30, started=None) -> tuple[str, str]:
    """Execute ``code``; return (status, stdout). ``started`` is set on the first output."""
    out: list[str] = []

    def hook(msg):
        if msg["header"]["msg_type"] == "stream":
            out.append(msg["content"]["text"])
            if started is not None:
                started.set()

    reply = await client.execute_interactive(code, timeout=timeout, output_hook=hook)
    return reply["content"]["status"], "".join(out)


def port_is_open(port: int) -> bool:
    with socket.socket() as probe:
        return probe.connect_ex(("127.0.0.1", port)) == 0


@pytest.fixture
async def kernel():
    manager, client = await start_new_async_kernel(kernel_name="python3")
    yield manager, client
    client.stop_channels()
    await manager.shutdown_kernel(now=True)


async def interrupt_a_running_cell(manager, client) -> tuple[str, str]:
    """Press Interrupt while a cell awaits; return what a cell run afterwards prints."""
    started = asyncio.Event()
    cell = asyncio.ensure_future(
        run(client, "import asyncio\nprint('started', flush=True)\nawait asyncio.sleep(5)",
            started=started)
    )  # fmt: skip
    await asyncio.wait_for(started.wait(), 10)
    await manager.interrupt_kernel()  # SIGINT to the kernel process, as the Interrupt button
    try:
        await asyncio.wait_for(cell, 10)
        return await asyncio.wait_for(
            run(client, 'print(alice.connected, server.running, await alice.call("echo", 1))'),
            10,
        )
    except TimeoutError:
        return "no answer", ""


async def test_interrupt_leaves_kernel_server_and_client_alive(kernel):
    manager, client = kernel
    status, port = await run(client, START)
    assert status == "ok", port
    status, out = await interrupt_a_running_cell(manager, client)
    assert (status, out.strip()) == ("ok", "True True 1")
    assert port_is_open(int(port))
    assert await manager.is_alive()


async def test_the_check_above_catches_a_client_with_a_sigint_handler(kernel):
    """python-socketio's default, handle_sigint=True, is what the check above must catch."""
    manager, client = kernel
    status, out = await run(client, START_WITH_DEFAULT_CLIENT)
    assert status == "ok", out
    status, out = await interrupt_a_running_cell(manager, client)
    assert (status, out.strip()) != ("ok", "True True 1")


async def test_restarting_the_kernel_frees_the_port(kernel):
    manager, client = kernel
    status, port = await run(client, START)
    assert status == "ok", port
    assert port_is_open(int(port))
    await manager.restart_kernel(now=True)
    await client.wait_for_ready(timeout=30)
    assert not port_is_open(int(port))


async def test_rerunning_the_server_cell_keeps_one_listening_port(kernel):
    _, client = kernel
    for _ in range(3):
        status, out = await run(client, START)
        assert status == "ok", out
    status, out = await run(
        client,
        "import psutil\n"
        "print(sum(c.status == 'LISTEN' for c in psutil.Process().net_connections('tcp')))",
    )
    # the kernel's own ZMQ ports listen too; count ours by comparing with no server at all
    await run(client, "from chatlib import stop_all\nawait stop_all()")
    status, baseline = await run(
        client,
        "print(sum(c.status == 'LISTEN' for c in psutil.Process().net_connections('tcp')))",
    )
    assert int(out) == int(baseline) + 1
