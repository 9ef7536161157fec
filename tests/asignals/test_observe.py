"""asignals.observe: observers told around each receiver call, per signal,
per namespace or process-wide, with the send's results left as they were."""

from __future__ import annotations

import asyncio
import contextvars
from typing import Any

import pytest

import asignals
from asignals import ReceiverCall, ReceiverObserver, Signal


class Shop:
    pass


def recorder() -> tuple[list[ReceiverCall], Any]:
    calls: list[ReceiverCall] = []
    return calls, calls.append


def test_a_function_observer_sees_each_receiver_with_its_outcome() -> None:
    paid = Signal()
    shop = Shop()

    def bill(sender: Any, amount: int) -> str:
        return f"billed {amount}"

    def refuse(sender: Any, amount: int) -> None:
        raise ValueError("card declined")

    paid.connect(bill, shop, weak=False)
    paid.connect(refuse, shop, weak=False)
    calls, seen = recorder()
    with asignals.observe(seen, on=paid):
        with pytest.raises(ValueError, match="declined"):
            paid.send(shop, amount=3)
    assert [(c.receiver, c.sender, c.kwargs, c.ok) for c in calls] == [
        (bill, shop, {"amount": 3}, True),
        (refuse, shop, {"amount": 3}, False),
    ]
    assert isinstance(calls[1].error, ValueError)
    assert all(c.signal is paid and c.duration >= 0 for c in calls)


def test_a_sync_send_with_an_async_wrapper_is_observed() -> None:
    tick = Signal()

    async def later(sender: Any) -> str:
        return "done"

    tick.connect(later)
    calls, seen = recorder()
    with asignals.observe(seen, on=tick):
        assert tick.send(
            None, _async_wrapper=lambda f: lambda s: asyncio.run(f(s))
        ) == [(later, "done")]
    assert [c.receiver for c in calls] == [later]


def test_results_name_the_receivers_not_wrappers() -> None:
    ping = Signal()

    def pong(sender: Any) -> str:
        return "pong"

    ping.connect(pong)
    with asignals.observe(lambda call: None, on=ping):
        assert ping.send("me") == [(pong, "pong")]
        [(receiver, outcome)] = ping.send_robust("me")
        assert receiver is pong and outcome.value == "pong"
        assert list(ping.receivers_for("me")) == [pong]


async def test_async_sends_in_every_mode_are_observed() -> None:
    tick = Signal()

    async def slow(sender: Any) -> int:
        return 1

    def quick(sender: Any) -> int:
        return 2

    tick.connect(slow)
    tick.connect(quick)
    calls, seen = recorder()
    with asignals.observe(seen, on=tick):
        assert await tick.send_async(None) == [(slow, 1), (quick, 2)]
        concurrent = await tick.send_async(None, _concurrent=True)
        assert concurrent == [(slow, 1), (quick, 2)]
        robust = await tick.send_async_robust(None)
        assert [(r, o.value) for r, o in robust] == [(slow, 1), (quick, 2)]

        def awaitable(func: Any) -> Any:
            async def call(*args: Any, **kwargs: Any) -> Any:
                return func(*args, **kwargs)

            return call

        wrapped = await tick.send_async(None, _sync_wrapper=awaitable)
        assert wrapped == [(slow, 1), (quick, 2)]
    # Each mode called each receiver once, through the observer.
    names = [(c.receiver.__name__, c.is_async) for c in calls]
    assert sorted(names) == [("quick", False)] * 4 + [("slow", True)] * 4


async def test_an_async_receiver_sees_what_the_observer_made_current() -> None:
    """receiver_started runs in the sender's context, just before the
    receiver: a tracer's current span is the receiver's parent."""
    current: contextvars.ContextVar[str] = contextvars.ContextVar("current")
    saw: list[str] = []
    done = Signal()

    async def audit(sender: Any) -> None:
        saw.append(current.get("none"))

    done.connect(audit)

    class Spanning(ReceiverObserver):
        def receiver_started(self, call: ReceiverCall) -> Any:
            return current.set(f"span for {call.receiver.__name__}")

        def receiver_finished(self, call: ReceiverCall, token: Any) -> None:
            current.reset(token)

    with asignals.observe(Spanning(), on=done):
        await done.send_async(None)
    assert saw == ["span for audit"]
    assert current.get("none") == "none"


def test_unobserved_signals_keep_their_plans() -> None:
    watched, other = Signal(), Signal()

    def receiver(sender: Any) -> None:
        pass

    watched.connect(receiver)
    other.connect(receiver)
    other.send(None)
    plan_before = other._registry.any_plan
    calls, seen = recorder()
    with asignals.observe(seen, on=watched):
        other.send(None)
        watched.send(None)
        assert other._registry.any_plan is plan_before
        assert plan_before is not None and plan_before.observed is None
    watched.send(None)  # closed: no longer observed
    assert [c.signal for c in calls] == [watched]


def test_a_namespace_observer_sees_its_signals_made_before_and_after() -> None:
    shop_signals = asignals.Namespace()
    early = shop_signals.signal("opened")
    outside = Signal()

    def note(sender: Any) -> None:
        pass

    early.connect(note)
    outside.connect(note)
    calls, seen = recorder()
    with asignals.observe(seen, on=shop_signals):
        late = shop_signals.signal("closed")
        late.connect(note)
        early.send(None)
        late.send(None)
        outside.send(None)
    assert [c.signal for c in calls] == [early, late]


def test_a_process_wide_observer_sees_every_signal() -> None:
    first, second = Signal(), asignals.signal("obs-test-everywhere")

    def note(sender: Any) -> None:
        pass

    first.connect(note)
    second.connect(note)
    first.send(None)  # a plan built before observing starts
    calls, seen = recorder()
    with asignals.observe(seen):
        first.send(None)
        second.send(None)
    first.send(None)
    assert [c.signal for c in calls] == [first, second]


def test_channels_give_observed_receivers_to_frameworks() -> None:
    """A framework dispatching through Signal.channel is observed too."""
    started = Signal()
    app = Shop()
    heard: list[Any] = []

    def on_start(sender: Any, **kwargs: Any) -> None:
        heard.append(sender)

    started.connect(on_start, app)
    channel = started.channel(app)
    calls, seen = recorder()
    with asignals.observe(seen, on=started):
        for get, _is_async in channel.current():
            get()(app)
    assert heard == [app] and [c.receiver for c in calls] == [on_start]
    assert channel.entries is None or all(
        not hasattr(get(), "_observers") for get, _ in channel.current()
    )


def test_a_failing_observer_is_logged_and_the_send_goes_on(
    caplog: pytest.LogCaptureFixture,
) -> None:
    rang = Signal()

    def answer(sender: Any) -> str:
        return "hello"

    rang.connect(answer)

    class Broken(ReceiverObserver):
        def receiver_started(self, call: ReceiverCall) -> Any:
            raise RuntimeError("observer bug")

    with asignals.observe(Broken(), on=rang):
        assert rang.send(None) == [(answer, "hello")]
    assert "observer bug" in caplog.text


def test_observe_refuses_what_it_cannot_use() -> None:
    with pytest.raises(TypeError, match="ReceiverObserver or a function"):
        asignals.observe(42)  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="a Signal, a Namespace, or None"):
        asignals.observe(lambda call: None, on="signal")  # type: ignore[arg-type]
