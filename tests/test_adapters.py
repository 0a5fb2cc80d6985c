"""chatlib.adapters: the map from socket.io's adapters to python-socketio's managers."""

import socketio

from chatlib.scale.adapters import ADAPTERS, PYTHON_ONLY, adapters_table


def test_every_adapter_on_socket_io_s_page_is_mapped():
    packages = [a.javascript for a in ADAPTERS]
    assert packages == [
        "@socket.io/redis-adapter",
        "@socket.io/redis-streams-adapter",
        "@socket.io/mongo-adapter",
        "@socket.io/postgres-adapter",
        "@socket.io/cluster-adapter",
        "@socket.io/gcp-pubsub-adapter",
        "@socket.io/aws-sqs-adapter",
        "@socket.io/azure-service-bus-adapter",
    ]


def test_every_python_manager_named_exists_in_python_socketio():
    named = {a.python for a in (*ADAPTERS, *PYTHON_ONLY) if a.python}
    assert named == {"AsyncRedisManager", "AsyncAioPikaManager", "KafkaManager", "ZmqManager"}
    for name in named:
        manager = getattr(socketio, name)
        assert issubclass(manager, socketio.base_manager.BaseManager), name


def test_only_redis_has_a_python_match_among_socket_io_s_adapters():
    assert [a.javascript for a in ADAPTERS if a.python] == ["@socket.io/redis-adapter"]


def test_the_table_prints_one_line_per_adapter():
    lines = adapters_table().splitlines()
    assert len(lines) == 1 + len(ADAPTERS) + len(PYTHON_ONLY)
    assert lines[0].split() == ["socket.io", "adapter", "python-socketio", "needs"]
    assert "@socket.io/gcp-pubsub-adapter" in lines[6] and "none" in lines[6]
    assert lines[-1].split()[-2:] == ["ZmqManager", "ZeroMQ"]
