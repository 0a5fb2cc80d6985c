"""chatlib.scale.processes: the chat server of notebook 01 as several processes sharing Redis."""

from chatlib import connect_clients, disconnect_clients
from chatlib.scale.cluster import Cluster
from chatlib.scale.processes import start_chat_processes, wait_for_messages


async def test_two_chat_processes_hold_one_conversation(redis):
    cluster = Cluster(redis)
    processes = await start_chat_processes(cluster, ["chat-1", "chat-2"])
    try:
        assert processes[0].url != processes[1].url
        clients = await connect_clients(processes[0].url, ["alice"])
        clients += await connect_clients(processes[1].url, ["bob", "carol"])
        assert await clients[0].call("chat message", "hi from process 1", timeout=5) == {"ok": True}
        assert await clients[2].call("chat message", "hi from process 2", timeout=5) == {"ok": True}
        await wait_for_messages(clients, "chat message", 2)
        for client in clients:
            assert sorted(client.received("chat message")) == [
                "hi from process 1",
                "hi from process 2",
            ]
    finally:
        await disconnect_clients()
        for process in processes:
            await process.stop()
    assert not any(process.running for process in processes)
