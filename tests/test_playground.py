"""chatlib.emits.playground, driven from Python as a click would drive it: no browser needed."""

import pytest

from chatlib import stop_all
from chatlib.emits.playground import Playground
from tests.cast import connect_cast, start_cast_server


@pytest.fixture
async def playground():
    server = await start_cast_server()
    clients = await connect_cast(server.url)
    yield Playground(server, clients, namespaces=["/", "/myNamespace"])
    await stop_all()


async def test_controls_write_both_lines(playground):
    assert "io.emit(&quot;hello&quot;, &quot;hi&quot;);" in playground.code.value
    plan = playground.select(sender="carol", rooms="room1", include_sender=False, data="<i>x")
    assert plan.javascript() == 'socket.to("room1").emit("hello", "<i>x");'
    assert "socket.to(&quot;room1&quot;)" in playground.code.value
    assert "<i>" not in playground.code.value  # the data is shown as text
    assert "&lt;i&gt;x" in playground.code.value
    assert repr(playground) == (
        "Playground(server 'cast'; clients alice, bob, carol, dave, erin, frank)"
    )


async def test_clicking_send_shows_who_received_it(playground):
    playground.select(
        sender="bob", rooms=["room1", "room2"], except_rooms=["room3"], include_sender=False
    )
    playground.send_button.click()
    await playground.wait_for_clicks()
    assert playground.summary().splitlines()[-1] == "received by: alice, carol"
    assert "received by: alice, carol" in playground.result.value
    playground.select(namespace="/myNamespace")  # a change clears the old result
    assert "received by" not in playground.summary()
    assert playground.result.value == ""


async def test_send_in_a_namespace(playground):
    playground.select(namespace="/myNamespace", rooms=["room1"])
    delivery = await playground.send()
    assert delivery.receivers("hello", "/myNamespace") == ["frank"]


async def test_an_impossible_plan_is_reported_in_the_widget(playground):
    playground.select(sender="bob", namespace="/myNamespace", include_sender=False)
    playground.send_button.click()
    await playground.wait_for_clicks()
    assert "bob has no socket in /myNamespace" in playground.summary()
    assert "LookupError" in playground.result.value


def test_select_rejects_unknown_controls():
    with pytest.raises(ValueError, match="no control called 'volume'"):
        Playground.select(Playground.__new__(Playground), volume=3)


async def test_an_except_line_carries_the_this_node_only_caveat(playground):
    assert "caveat" not in playground.summary()
    playground.select(except_rooms=["room3"])
    caveat = [line for line in playground.summary().splitlines() if line.startswith("caveat")]
    assert caveat == [
        "caveat: this node only: the Python line skips the members of room3 that this node "
        "knows; one connected to another node still receives it, where socket.io's .except() "
        "skips them on every node"
    ]
    assert "caveat: this node only" in playground.code.value


@pytest.mark.parametrize(
    "choices",
    [
        {},
        {"sender": "bob", "rooms": ["room1", "room2"], "except_rooms": ["room3"]},
        {"sender": "bob", "rooms": ["room1", "room2"], "include_sender": False},
        {"socket": "dave", "rooms": ["room1"]},
        {"except_rooms": ["room1", "room3"], "include_sender": False, "sender": "frank"},
        {"namespace": "/myNamespace", "rooms": ["room1"]},
    ],
)
async def test_the_prediction_matches_what_arrives_on_one_node(playground, choices):
    plan = playground.select(**choices)
    predicted = playground.predict()
    delivery = await playground.send()
    receivers = delivery.receivers("hello", plan.namespace)
    assert predicted == "predicted: " + (", ".join(receivers) or "nobody")
    assert predicted in playground.summary().splitlines()


@pytest.fixture
async def two_nodes(nodes):
    """alice and erin-a on node-a; bob and erin-b on node-b; both erins in room3."""
    from chatlib import ChatClient

    node_a, node_b = nodes
    clients = {name: ChatClient(name) for name in ("alice", "erin-a", "bob", "erin-b")}
    for name, client in clients.items():
        await client.connect((node_b if name in ("bob", "erin-b") else node_a).url)
    await node_a.sio.enter_room(clients["erin-a"].get_sid(), "room3")
    await node_b.sio.enter_room(clients["erin-b"].get_sid(), "room3")
    return node_a, node_b, list(clients.values())


async def test_on_two_nodes_a_socket_on_the_other_node_is_reached_by_id(two_nodes):
    node_a, node_b, clients = two_nodes
    playground = Playground(node_a, clients, other_nodes=[node_b])
    playground.select(socket="bob")
    assert (await playground.send()).receivers("hello") == ["bob"]
    playground.select(sender="bob", socket=None, include_sender=False)
    assert (await playground.send()).receivers("hello") == ["alice", "erin-a", "erin-b"]


async def test_on_two_nodes_the_prediction_includes_remote_receivers(two_nodes):
    node_a, node_b, clients = two_nodes
    playground = Playground(node_a, clients, other_nodes=[node_b])
    playground.select(except_rooms=["room3"])
    predicted = playground.predict()
    assert predicted == "predicted: alice, bob, erin-b"  # erin-b is skipped on node-a only
    delivery = await playground.send()
    assert predicted == "predicted: " + ", ".join(delivery.receivers("hello"))


async def test_without_the_other_node_the_prediction_says_it_cannot_tell(two_nodes):
    node_a, _node_b, clients = two_nodes
    playground = Playground(node_a, clients)
    playground.select(rooms=["room3"])
    assert playground.predict() == (
        "predicted: erin-a; cannot tell for bob, erin-b: connected to a node this playground "
        "was not given (other_nodes)"
    )
