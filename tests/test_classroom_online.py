"""Who is online: every student sees the class, updated as people come and go, coalesced."""

import asyncio
import re
import signal
import sys
import uuid

import socketio

from chatlib import wait_until
from chatlib.classroom.nodes import node_options
from chatlib.classroom.online import LocalNames
from chatlib.classroom.session import start_class
from chatlib.classroom.student import join_class
from chatlib.scale.cluster import wait_for_subscribers


def seen_online(pane) -> set[str]:
    """What a page would show: the last full list, then each change applied in order."""
    return set(pane.online())


async def test_names_are_counted_so_a_second_tab_does_not_make_a_second_name():
    names = LocalNames()
    assert await names.change({"ada": 1, "bob": 1}) == (["ada", "bob"], [])
    assert await names.change({"ada": 1}) == ([], [])  # ada's second connection
    assert await names.change({"ada": -1, "bob": -1}) == ([], ["bob"])
    assert await names.everyone() == ["ada"] and await names.size() == 1


async def test_students_see_who_joins_and_leaves():
    classroom = await start_class("online", online_tick=0.05)
    handled = []
    try:
        ada = await join_class(classroom.url, "ada")
        await wait_until(lambda: seen_online(ada) == {"ada"}, what="ada seeing herself")
        bob = await join_class(classroom.url, "bob")
        await wait_until(lambda: seen_online(ada) == {"ada", "bob"}, what="ada seeing bob")
        await wait_until(lambda: seen_online(bob) == {"ada", "bob"}, what="bob's first list")
        assert bob.client.online_updates[0] == {"everyone": ["ada", "bob"], "count": 2}
        eve = await join_class(classroom.url, "<i>eve</i>")
        await wait_until(lambda: len(ada.online()) == 3, what="ada seeing eve")
        ada.refresh()
        assert "online (3): &lt;i&gt;eve&lt;/i&gt;, ada, bob" in ada.header.value  # text
        assert not any("online" in line for line in ada.lines())  # the header's, not the log's
        assert ada.client.received("online") == []  # nor the delivery tables'
        ada.client.on("online", lambda update: handled.append(update))
        await eve.client.disconnect()
        await wait_until(lambda: len(ada.online()) == 2, what="ada seeing eve leave")
        await bob.client.disconnect()
        await wait_until(lambda: seen_online(ada) == {"ada"}, what="ada seeing bob leave")
        assert ada.client.online_updates[-1] == {"joined": [], "left": ["bob"], "count": 1}
        assert handled[-1] == ada.client.online_updates[-1]  # a handler of its own still runs
    finally:
        await classroom.stop()


async def test_a_crowd_arriving_costs_each_student_one_message_per_tick():
    classroom = await start_class("crowd", online_tick=0.3)
    clients = []
    try:
        ada = await join_class(classroom.url, "ada")
        await wait_until(lambda: seen_online(ada) == {"ada"}, what="ada's list")
        for i in range(60):
            client = socketio.AsyncClient(handle_sigint=False, reconnection=False)
            await client.connect(
                classroom.url, auth={"name": f"s{i:02d}"}, transports=["websocket"]
            )
            clients.append(client)
        everyone = {"ada"} | {f"s{i:02d}" for i in range(60)}
        await wait_until(lambda: seen_online(ada) == everyone, what="ada seeing the crowd")
        updates = len(ada.client.online_updates)
        assert updates <= 6, updates  # 60 arrivals in well under 6 ticks, not 60 messages
        assert classroom.board.count == 61
    finally:
        for client in clients:
            await client.disconnect()
        await classroom.stop()


async def test_two_nodes_show_the_whole_class_through_redis(redis):
    channel = f"chatlib-online-{uuid.uuid4().hex[:10]}"
    rooms = []
    try:
        for node in ("node-a", "node-b"):
            classroom = await start_class(
                node,
                online_tick=0.05,
                **node_options(redis.url, channel),
            )
            rooms.append(classroom)
        await wait_for_subscribers(redis.url, channel, 2, 5)
        ada = await join_class(rooms[0].url, "ada")
        bob = await join_class(rooms[1].url, "bob")
        for pane in (ada, bob):
            await wait_until(
                lambda pane=pane: seen_online(pane) == {"ada", "bob"},
                what="both students on both nodes",
            )
        await bob.client.disconnect()
        await wait_until(lambda: seen_online(ada) == {"ada"}, what="ada seeing bob leave")
        await rooms[1].stop()
        await rooms[0].stop()
        rooms.clear()
        from redis import asyncio as aioredis

        check = aioredis.Redis.from_url(redis.url)
        assert await check.exists(f"{channel}:online") == 0  # nodes took their names out
        await check.aclose()
    finally:
        for classroom in rooms:
            await classroom.stop()


async def classroom_process(*options: str) -> tuple[asyncio.subprocess.Process, str, str]:
    """``python -m chatlib classroom --port 0 OPTIONS``: the process, its URL, what it printed."""
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "chatlib", "classroom", "--port", "0", *options,
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT,
    )  # fmt: skip
    assert process.stdout is not None
    printed = ""
    while "One node of the class" not in printed:
        line = await asyncio.wait_for(process.stdout.readline(), 20)
        assert line, f"the classroom ended before it said it was a node:\n{printed}"
        printed += line.decode()
    found = re.search(r"http://127\.0\.0\.1:\d+", printed)
    assert found, printed
    return process, found.group(0), printed


async def test_the_classroom_command_runs_one_class_on_two_nodes_through_redis(redis):
    channel = f"chatlib-cli-{uuid.uuid4().hex[:10]}"
    shared = ("--redis", redis.url, "--channel", channel)
    started = await asyncio.gather(classroom_process(*shared), classroom_process(*shared))
    processes = [process for process, _, _ in started]
    try:
        assert f"channel '{channel}'" in started[0][2]
        await wait_for_subscribers(redis.url, channel, 2, 5)
        ada = await join_class(started[0][1], "ada")
        bob = await join_class(started[1][1], "bob")
        for pane in (ada, bob):
            await wait_until(
                lambda pane=pane: seen_online(pane) == {"ada", "bob"},
                what="both students, each on a node of their own, seeing the other",
            )
        await ada.say("hello from node A")
        await wait_until(
            lambda: bob.chat_lines() == ["ada: hello from node A"], what="bob reading ada's message"
        )
        await ada.client.disconnect()
        await bob.client.disconnect()
    finally:
        for process in processes:
            if process.returncode is None:
                process.send_signal(signal.SIGINT)  # Ctrl+C: the class stops cleanly
        codes = [await asyncio.wait_for(process.wait(), 10) for process in processes]
    assert codes == [0, 0]
    from redis import asyncio as aioredis

    check = aioredis.Redis.from_url(redis.url)
    assert await check.exists(f"{channel}:online") == 0  # each node took its names out
    await check.aclose()
