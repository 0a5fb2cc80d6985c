"""The emit cheatsheet's cast (notebook 04), shared by its tests.

Rooms in ``/``: alice room1; bob room1+room2; carol room2; dave room2+room3;
erin room3; frank none. alice and frank are also connected to ``/myNamespace``,
where frank is in room1.
"""

from __future__ import annotations

from chatlib import ChatClient, EmbeddedServer, start_server

ROOMS = {
    "/": {
        "alice": ["room1"],
        "bob": ["room1", "room2"],
        "carol": ["room2"],
        "dave": ["room2", "room3"],
        "erin": ["room3"],
        "frank": [],
    },
    "/myNamespace": {"alice": [], "frank": ["room1"]},
}
NAMES = list(ROOMS["/"])


def namespaces_of(name: str) -> list[str]:
    return [ns for ns, members in ROOMS.items() if name in members]


async def connect_cast(url: str) -> list[ChatClient]:
    """Connect the six clients in a fixed order, each to its namespaces."""
    clients = []
    for name in NAMES:
        client = ChatClient(name)
        await client.connect(url, namespaces=namespaces_of(name))
        clients.append(client)
    return clients


async def start_cast_server(name: str = "cast") -> EmbeddedServer:
    """A chatlib server that puts each client in its cast rooms on connect."""
    server = await start_server(name)
    sio = server.sio

    def joiner(namespace: str):
        async def connect(sid, environ, auth):
            for room in ROOMS[namespace].get(auth["name"], []):
                await sio.enter_room(sid, room, namespace=namespace)

        return connect

    for namespace in ROOMS:
        sio.on("connect", joiner(namespace), namespace=namespace)
    return server
