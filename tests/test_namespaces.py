"""Namespaces on a real server: multiplexing, middleware, and the '*' handler trap."""

import pytest
import socketio
from socketio.exceptions import ConnectionError, ConnectionRefusedError

from chatlib import ChatClient, EmbeddedServer, connect_clients, settle
from chatlib.connections import engineio_sessions, sessions_of, tcp_connections


class Teachers(socketio.AsyncNamespace):
    async def on_connect(self, sid, environ, auth):
        if (auth or {}).get("token") != "apple":
            raise ConnectionRefusedError("teachers only", {"hint": "ask the office"})


async def accept(sid, environ, auth):
    return None


async def test_three_namespaces_share_one_session_and_one_tcp_connection():
    async with EmbeddedServer("test-ns") as server:
        for ns in ("/teachers", "/students"):
            server.sio.on("connect", accept, namespace=ns)
        assert tcp_connections(server) == 0
        (tina,) = await connect_clients(
            server.url, ["tina"], namespaces=["/", "/teachers", "/students"]
        )
        ids = sessions_of(tina)
        assert sorted(ids["namespaces"]) == ["/", "/students", "/teachers"]
        assert len(set(ids["namespaces"].values())) == 3
        assert ids["engineio"] not in ids["namespaces"].values()
        assert engineio_sessions(server) == 1
        assert tcp_connections(server) == 1
        (_sam,) = await connect_clients(server.url, ["sam"], namespaces=["/students"])
        assert (engineio_sessions(server), tcp_connections(server)) == (2, 2)


async def test_refusal_data_reaches_connect_error_and_drops_every_namespace():
    async with EmbeddedServer("test-ns") as server:
        server.sio.on("connect", accept, namespace="/students")
        server.sio.register_namespace(Teachers("/teachers"))
        sam = ChatClient("sam", reconnection=False)
        with pytest.raises(ConnectionError, match="/teachers"):
            await sam.connect(
                server.url, namespaces=["/students", "/teachers"], auth={"token": "x"}
            )
        assert sam.connect_errors == [
            {"message": "teachers only", "data": {"hint": "ask the office"}}
        ]
        assert not sam.connected
        assert "sam refused on /teachers: teachers only" in server.log.lines("connect")


async def test_a_namespace_without_handlers_is_refused_unless_dynamic():
    async with EmbeddedServer("test-ns") as server:
        sam = ChatClient("sam", reconnection=False)
        with pytest.raises(ConnectionError):
            await sam.connect(server.url, namespaces=["/chess-club"])
        assert sam.connect_errors == ["Unable to connect"]
    async with EmbeddedServer("test-ns", namespaces="*") as server:
        (sam,) = await connect_clients(server.url, ["sam"], namespaces=["/chess-club"])
        assert sam.connected


async def test_same_room_name_in_two_namespaces_does_not_leak():
    async with EmbeddedServer("test-ns") as server:
        for ns in ("/students", "/parents"):
            server.sio.on("connect", accept, namespace=ns)
        (sam,) = await connect_clients(server.url, ["sam"], namespaces=["/students"])
        (pat,) = await connect_clients(server.url, ["pat"], namespaces=["/parents"])
        await server.sio.enter_room(sam.get_sid("/students"), "music", "/students")
        await server.sio.enter_room(pat.get_sid("/parents"), "music", "/parents")
        await server.sio.emit("note", "students' music", to="music", namespace="/students")
        delivery = await settle(server, [sam, pat])
        assert delivery.receivers("note") == ["sam"]


async def test_a_function_handler_on_star_overrides_the_namespace_class():
    async with EmbeddedServer("test-ns", namespaces="*") as server:
        server.sio.register_namespace(Teachers("/teachers"))

        @server.sio.on("connect", namespace="*")
        async def anyone(namespace, sid, environ, auth):
            return None

        (eve,) = await connect_clients(server.url, ["eve"], namespaces=["/teachers"])
        assert eve.connected  # the trap: Teachers.on_connect never ran


async def test_a_star_namespace_class_leaves_the_specific_class_in_charge():
    class Anyone(socketio.AsyncNamespace):
        async def on_connect(self, namespace, sid, environ, auth):
            return None

    async with EmbeddedServer("test-ns", namespaces="*") as server:
        server.sio.register_namespace(Teachers("/teachers"))
        server.sio.register_namespace(Anyone("*"))
        eve = ChatClient("eve", reconnection=False)
        with pytest.raises(ConnectionError):
            await eve.connect(server.url, namespaces=["/teachers"])
        assert eve.connect_errors[0]["message"] == "teachers only"
        (sam,) = await connect_clients(server.url, ["sam"], namespaces=["/chess-club"])
        assert sam.connected


async def test_a_namespace_without_its_slash_is_refused_with_the_fix_in_the_message():
    """socket.io's io.of('myNamespace') adds the slash; chatlib refuses the name, and says why.

    Plain python-socketio takes it as written and reaches nobody, without an
    error; chatlib's server raises, logs nothing for it and keeps serving.
    """
    async with EmbeddedServer("test-ns") as server:
        server.sio.on("connect", accept, namespace="/myNamespace")
        clients = await connect_clients(server.url, ["alice"], namespaces=["/", "/myNamespace"])
        sio = server.sio

        await socketio.AsyncServer.emit(sio, "hello", "x", namespace="myNamespace")
        assert (await settle(server, clients)).receivers() == []  # what plain python-socketio does

        with pytest.raises(ValueError, match=r"no leading slash.*namespace='/myNamespace'"):
            await sio.emit("hello", "x", namespace="myNamespace")
        with pytest.raises(ValueError, match="no leading slash"):
            await sio.enter_room(
                sio.sid_of("alice", "/myNamespace"), "room1", namespace="myNamespace"
            )
        with pytest.raises(ValueError, match="no leading slash"):
            sio.on("chat", accept, namespace="myNamespace")
        assert not [line for line in server.log.lines() if "myNamespace" in line and "emit" in line]

        await sio.emit("hello", "x", namespace="/myNamespace")
        assert (await settle(server, clients)).receivers("hello", "/myNamespace") == ["alice"]
        assert server.errors == []
