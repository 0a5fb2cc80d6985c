"""The room-wide message budget: a class together cannot send more than the server passes on."""

import asyncio

import pytest

from chatlib import wait_until
from chatlib.classroom.budget import MessageBudget
from chatlib.classroom.limits import Limits
from chatlib.classroom.session import start_class
from chatlib.classroom.student import join_class

from .clock import ManualClock


def test_the_budget_counts_deliveries_and_refills_with_time():
    clock = ManualClock(100.0)
    budget = MessageBudget(deliveries_per_second=1_000, burst_seconds=1, clock=clock)
    assert [budget.ask(400) for _ in range(2)] == [None, None]  # 800 of the 1,000
    refusal = budget.ask(400)
    assert refusal is not None and "the class is busy" in refusal and "400 people" in refusal
    assert (budget.accepted, budget.refused) == (2, 1)
    clock.now += 0.2  # 200 deliveries more: 400 in the bucket
    assert budget.ask(400) is None
    assert budget.ask(1) is not None


def test_messages_waiting_to_go_out_are_bounded():
    budget = MessageBudget(deliveries_per_second=1e9, max_waiting=3)
    assert [budget.ask(10) for _ in range(3)] == [None] * 3
    assert budget.ask(10) is not None  # three accepted and not yet sent: the fourth waits
    budget.finished()
    assert budget.ask(10) is None


def test_a_message_to_more_people_than_the_bucket_holds_goes_when_it_is_full():
    budget = MessageBudget(deliveries_per_second=100, burst_seconds=1, clock=ManualClock(100.0))
    assert budget.ask(5_000) is None
    assert budget.ask(5_000) is not None


def test_nonsense_budgets_are_refused():
    with pytest.raises(ValueError, match="positive"):
        MessageBudget(deliveries_per_second=0)


async def test_a_busy_class_refuses_in_the_ack_and_loses_nothing_it_accepted():
    # Three students; the budget pays for 4 messages to 3 people at once, 3 more per second.
    budget = MessageBudget(deliveries_per_second=9, burst_seconds=12 / 9)
    classroom = await start_class("busy", budget=budget, limits=Limits(burst=20))
    try:
        panes = [await join_class(classroom.url, name) for name in ("ada", "bob", "cy")]
        await wait_until(lambda: classroom.board.count == 3, what="the class counted")
        answers = await asyncio.gather(
            *(panes[0].client.call("chat message", f"m{i}", timeout=5) for i in range(10))
        )
        accepted = [f"m{i}" for i, a in enumerate(answers) if a == {"ok": True}]
        refused = [a for a in answers if a != {"ok": True}]
        assert 4 <= len(accepted) <= 5, answers  # 4 at once, perhaps one more refilled
        assert all(a["ok"] is False and a["busy"] is True for a in refused)
        assert "the class is busy" in refused[0]["error"]
        assert "send it again in 1 second" in refused[0]["error"]
        for pane in panes:
            await wait_until(
                lambda pane=pane: len(pane.chat_lines()) == len(accepted),
                what="every accepted message at every student",
            )
            assert sorted(pane.chat_lines()) == sorted(f"ada: {text}" for text in accepted)
        assert budget.waiting == 0
    finally:
        await classroom.stop()


def test_the_wait_a_refusal_asks_for_grows_with_the_crowd_and_fades():
    clock = ManualClock(100.0)
    budget = MessageBudget(deliveries_per_second=1_000, burst_seconds=1, clock=clock)
    assert budget.ask(1_000) is None  # the bucket is empty now
    assert "again in 1 second." in budget.ask(1_000)
    for _ in range(8):
        refusal = budget.ask(1_000)
    assert "again in 9 seconds" in refusal  # nine refused, 1,000 deliveries each
    for _ in range(100):
        refusal = budget.ask(1_000)
    assert "again in 30 seconds" in refusal  # the longest wait asked for
    clock.now += 10  # the crowd went quiet: the demand halves every second
    assert budget.ask(1_000) is None
    assert "again in 1 second." in budget.ask(1_000)
