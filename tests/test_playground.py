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
