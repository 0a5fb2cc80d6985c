import asyncio
import contextlib
import re
import sys
from collections.abc import AsyncIterator

from chatlib import ChatClient, wait_until


@contextlib.asynccontextmanager
async def serving(*options: str) -> AsyncIterator[tuple[ChatClient, ChatClient]]:
    """``python -m chatlib serve --port 0 OPTIONS`` with alice and bob connected to it."""
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "chatlib", "serve", "--port", "0", *options,
        stdout=asyncio.subprocess.PIPE,
    )  # fmt: skip
    alice, bob = ChatClient("alice"), ChatClient("bob")
    try:
        line = (await asyncio.wait_for(process.stdout.readline(), 15)).decode()
        url = re.search(r"(http://127\.0\.0\.1:\d+)/", line).group(1)
        await alice.connect(url)
        await bob.connect(url)
        yield alice, bob
    finally:
        for client in (alice, bob):
            await client.disconnect()
        process.terminate()
        await asyncio.wait_for(process.wait(), 10)


async def test_serve_runs_the_chat_outside_a_notebook():
    async with serving() as (alice, bob):
        assert await alice.call("chat message", "over the wire", timeout=5) == {"ok": True}
        await wait_until(lambda: bob.received("chat message"), what="bob receiving it")
        assert bob.received("chat message") == ["over the wire"]


async def test_serve_refuses_a_non_loopback_address():
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "chatlib", "serve", "--host", "0.0.0.0",
        stderr=asyncio.subprocess.PIPE,
    )  # fmt: skip
    _, err = await asyncio.wait_for(process.communicate(), 15)
    assert process.returncode == 2
    assert b"not a loopback address" in err


async def test_serve_with_topics_offers_them_and_keeps_messages_in_a_topic():
    async with serving("--topics", "music, art") as (alice, bob):
        assert await alice.call("topics", timeout=5) == {"ok": True, "topics": ["music", "art"]}
        await alice.call("join", "music", timeout=5)
        await bob.call("join", "art", timeout=5)
        assert await alice.call("chat message", "music only", timeout=5) == {
            "ok": True,
            "rooms": ["music"],
        }
        assert await bob.call("chat message", "art only", timeout=5) == {
            "ok": True,
            "rooms": ["art"],
        }
        # The barrier: the server emitted bob's message before acknowledging it, so before
        # it read alice's next question; any copy for alice arrives before that answer.
        await alice.call("topics", timeout=5)
        assert alice.received("chat message") == ["music only"]
        assert bob.received("chat message") == ["art only"]


async def test_serve_refuses_topics_with_db_and_empty_topic_names(tmp_path):
    for extra in (["--db", str(tmp_path / "chat.db"), "--topics", "music"], ["--topics", "a,,b"]):
        process = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "chatlib", "serve", "--port", "0", *extra,
            stderr=asyncio.subprocess.PIPE,
        )  # fmt: skip
        _, err = await asyncio.wait_for(process.communicate(), 15)
        assert process.returncode == 2, err
        assert b"--topics" in err


async def test_serve_with_recovery_gives_a_dropped_client_what_it_missed():
    async with serving("--recovery", "30") as (alice, bob):
        assert await alice.call("chat message", "hello", timeout=5) == {"ok": True}
        await wait_until(lambda: alice.received("chat message") == ["hello"], what="an offset")
        sid = alice.get_sid()
        await alice.eio.ws.close()  # the connection drops; alice reconnects on her own
        await wait_until(lambda: not alice.connected, what="alice losing her connection")
        assert await bob.call("chat message", "while you were away", timeout=5) == {"ok": True}
        await wait_until(lambda: alice.connected, timeout=10, what="alice reconnecting")
        assert (alice.recovered, alice.get_sid() == sid) == (True, True)
        await wait_until(lambda: len(alice.inbox) == 2, what="the missed message")
        assert alice.received("chat message") == ["hello", "while you were away"]


async def test_serve_refuses_recovery_with_db(tmp_path):
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "chatlib", "serve", "--recovery", "30",
        "--db", str(tmp_path / "chat.db"), stderr=asyncio.subprocess.PIPE,
    )  # fmt: skip
    _, err = await asyncio.wait_for(process.communicate(), 15)
    assert process.returncode == 2
    assert b"--recovery and --db cannot be combined" in err
