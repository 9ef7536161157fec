"""Channels and lazily built plans: the fast paths agree with the general
one after every kind of change, and changes cost O(1)."""

from __future__ import annotations

import asyncio
import gc
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from asignals import ANY, Channel, Signal


class Sender:
    """A weakly referenceable sender."""


def called(channel: Channel) -> list[Any]:
    """Who a send through ``channel`` calls, as a framework would."""
    entries = channel.entries
    if entries is None:
        entries = channel.current()
    return [receiver for get, _ in entries if (receiver := get()) is not None]


def make_receivers(count: int) -> list[Any]:
    def make(number: int) -> Any:
        def receiver(sender: Any, **kwargs: Any) -> int:
            return number

        return receiver

    return [make(number) for number in range(count)]


operations = st.lists(
    st.tuples(
        st.sampled_from(["connect", "disconnect", "disconnect_all", "drop"]),
        st.integers(0, 5),  # which receiver
        st.sampled_from(["any", "mine", "other"]),  # to which sender
        st.booleans(),  # weakly?
    ),
    max_size=40,
)


@settings(max_examples=150, deadline=None)
@given(operations)
def test_channel_and_plans_agree_with_a_model_after_any_changes(
    ops: list[tuple[str, int, str, bool]],
) -> None:
    signal = Signal()
    mine, other = Sender(), Sender()
    senders = {"any": ANY, "mine": mine, "other": other}
    receivers: list[Any] = make_receivers(6)
    channel = signal.channel(mine)
    # The model: connections in order, as (receiver number, sender name),
    # and whether each receiver is held weakly (its last connect says).
    model: list[tuple[int, str]] = []
    weakly: dict[int, bool] = {}
    for op, number, where, weak in ops:
        receiver = receivers[number]
        if receiver is None:
            continue  # dropped: nothing can name it any more
        if op == "connect":
            signal.connect(receiver, senders[where], weak=weak)
            weakly[number] = weak
            if (number, where) not in model:
                model.append((number, where))
        elif op == "disconnect":
            signal.disconnect(receiver, senders[where])
            model = [
                pair
                for pair in model
                if pair[0] != number or (where != "any" and pair[1] != where)
            ]
        elif op == "disconnect_all":
            signal.disconnect(receiver)
            model = [pair for pair in model if pair[0] != number]
        else:  # its last reference goes: weak connections die with it
            # Reference counting frees it here (a full collection per drop
            # made this test take 10-30 s in a large test session's heap).
            receivers[number] = None
            del receiver
            if weakly.get(number):
                model = [pair for pair in model if pair[0] != number]
        expected: list[int] = []
        for each, to in model:
            if to in ("any", "mine") and each not in expected:
                expected.append(each)
        assert [receiver(None) for receiver in called(channel)] == expected
        assert [r(None) for r in signal.receivers_for(mine)] == expected
        assert [value for _, value in signal.send(mine)] == expected


def test_a_mute_reaches_channels_in_its_context_only() -> None:
    signal = Signal()
    app = Sender()
    [receiver] = make_receivers(1)
    signal.connect(receiver, app)
    channel = signal.channel(app)
    assert called(channel) == [receiver]
    assert channel.entries is not None  # kept for the next read

    async def main() -> None:
        muted_saw: list[Any] = []
        other_saw: list[Any] = []
        entered = asyncio.Event()
        leave = asyncio.Event()

        async def muted() -> None:
            with signal.muted():
                entered.set()
                muted_saw.extend(called(channel))
                await leave.wait()

        async def other() -> None:
            await entered.wait()
            other_saw.extend(called(channel))
            leave.set()

        await asyncio.gather(muted(), other())
        assert muted_saw == [] and other_saw == [receiver]

    asyncio.run(main())
    assert called(channel) == [receiver]
    assert channel.entries is not None  # no mute left: kept again


def test_a_channel_sees_a_change_from_the_next_read_on() -> None:
    signal = Signal()
    app = Sender()
    first, second = make_receivers(2)
    channel = signal.channel(app)
    assert called(channel) == []
    signal.connect(first, app)
    assert channel.entries is None
    assert called(channel) == [first]
    signal.connect(second)  # ANY: every channel is stale
    assert channel.entries is None
    assert called(channel) == [first, second]
    signal.connect(first, Sender())  # another sender's change: still fresh
    assert channel.entries is not None
    signal.disconnect(first, app)
    assert called(channel) == [second]


def test_a_dead_weak_receiver_in_a_kept_channel_is_skipped() -> None:
    signal = Signal()
    app = Sender()
    [receiver] = make_receivers(1)
    signal.connect(receiver, app)
    channel = signal.channel(app)
    assert called(channel) == [receiver]
    del receiver
    gc.collect()
    assert called(channel) == []


def test_connect_and_disconnect_leave_other_plans_alone() -> None:
    """O(1) changes: a change to one sender drops that sender's plan only,
    and nothing is rebuilt until a send needs it."""
    signal = Signal()
    apps = [Sender() for _ in range(3)]
    receivers = make_receivers(3)
    for app, receiver in zip(apps, receivers, strict=True):
        signal.connect(receiver, app)
        signal.send(app)
    registry = signal._registry
    assert len(registry.plans) == 3
    extra = make_receivers(1)[0]
    signal.connect(extra, apps[0])
    assert len(registry.plans) == 2  # only apps[0]'s plan went
    signal.disconnect(extra, apps[0])
    assert len(registry.plans) == 2
    signal.connect(extra)  # ANY: every plan is stale, dropped in one step
    assert registry.plans == {} and registry.any_plan is None
    assert [value for _, value in signal.send(apps[1])] == [1, 0]
