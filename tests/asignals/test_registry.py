"""Bookkeeping: weak references, dead senders, reused ids, threads."""

from __future__ import annotations

import gc
import sys
import threading
import time
from collections.abc import Awaitable, Callable
from typing import Any

import pytest

from asignals import Signal

from .conftest import Recorder, Send


class Sender:
    """A weakly referenceable sender, like an application object."""


class Slotted:
    """Hashable by identity, but cannot be weakly referenced."""

    __slots__ = ()


class Handler:
    def __init__(self) -> None:
        self.calls = 0

    def on_signal(self, sender: Any, **kwargs: Any) -> None:
        self.calls += 1


def assert_empty(signal: Signal) -> None:
    registry = signal._registry
    assert not registry._receivers
    assert not registry._by_sender
    assert registry._specific == 0
    assert not registry._anchors
    assert not registry.plans
    assert registry.any_plan is None or not registry.any_plan.getters
    assert not registry._pending


async def test_weak_receiver_is_dropped_when_collected(send: Send) -> None:
    signal = Signal()
    calls: list[Any] = []

    def receiver(sender: Any) -> None:
        calls.append(sender)

    signal.connect(receiver)
    signal.connect(receiver, sender=Sender)
    del receiver
    gc.collect()
    assert await send(signal, Sender) == []
    assert calls == []
    assert_empty(signal)


async def test_weak_bound_method_is_dropped_with_its_instance(send: Send) -> None:
    signal = Signal()
    handler = Handler()
    signal.connect(handler.on_signal)
    await send(signal)
    assert handler.calls == 1
    del handler
    gc.collect()
    assert await send(signal) == []
    assert_empty(signal)


async def test_strong_receiver_survives(send: Send) -> None:
    signal = Signal()

    def connect() -> None:
        signal.connect(lambda sender: "alive", weak=False)

    connect()
    gc.collect()
    assert [value for _, value in await send(signal)] == ["alive"]


async def test_switching_a_receiver_from_weak_to_strong(send: Send) -> None:
    signal = Signal()
    app = Sender()
    handler = Handler()
    signal.connect(handler.on_signal, sender=app)
    signal.connect(handler.on_signal, sender=app, weak=False)
    del handler
    gc.collect()
    assert len(await send(signal, app)) == 1


async def test_dead_sender_drops_its_connections(
    send: Send, recorder: Recorder
) -> None:
    signal = Signal()
    app = Sender()
    signal.connect(recorder.sync("r"), sender=app)
    signal.connect(recorder.sync("s"), sender=app)
    del app
    gc.collect()
    assert_empty(signal)


def test_dead_senders_id_is_not_inherited_even_before_cleanup() -> None:
    signal = Signal()
    handler = Handler()
    app = Sender()
    signal.connect(handler.on_signal, sender=app)
    old_id = id(app)
    registry = signal._registry
    with registry._lock:  # the death gets queued, not applied
        del app
        assert registry._pending
        # Kept alive together, so each takes a fresh block of the free list.
        candidates = [Sender() for _ in range(10_000)]
        newcomer = next((obj for obj in candidates if id(obj) == old_id), None)
    assert newcomer is not None, "CPython reused no address; test could not run"
    signal.send(newcomer)
    assert handler.calls == 0
    signal.send(Sender())  # any mutation or send path; cleanup is lazy
    signal.connect(handler.on_signal, sender=newcomer)  # drains the queue
    signal.disconnect(handler.on_signal)
    assert_empty(signal)


def test_unweakrefable_sender_never_hands_its_receivers_to_a_new_object() -> None:
    signal = Signal()
    handler = Handler()
    signal.connect(handler.on_signal, sender=Slotted())
    # blinker keys this sender by a bare id() and forgets the object, so a new
    # object at the same address inherits the receiver; here it is held.
    assert not any(signal.has_receivers_for(Slotted()) for _ in range(10_000))
    assert handler.calls == 0


def test_death_queued_under_the_lock_is_applied_by_the_next_mutation() -> None:
    signal = Signal()

    def receiver(sender: Any) -> None: ...

    signal.connect(receiver)
    signal.send()  # the plan is built now, not while the lock is held
    with signal._registry._lock:
        del receiver
        assert signal._registry._pending
    assert signal.receivers  # still listed: nobody has drained yet
    assert signal.send() == []  # but a dead receiver is never called
    signal.connect(print, weak=False)
    signal.disconnect(print)
    assert_empty(signal)


@pytest.mark.parametrize("wrapped", [False, True])
async def test_every_async_send_skips_a_dead_receiver_still_in_its_plan(
    wrapped: bool,
) -> None:
    signal = Signal()

    def receiver(sender: Any) -> None: ...

    async def to_async(sender: Any) -> str:
        return "wrapped"

    signal.connect(receiver)
    signal.connect(repr, weak=False)
    wrapper = (lambda func: to_async) if wrapped else None
    await signal.send_async()  # the plan is built now, not under the lock
    with signal._registry._lock:  # the death stays queued: the plan keeps it
        del receiver
        assert await signal.send_async(_sync_wrapper=wrapper) == [
            (repr, "wrapped" if wrapped else "None")
        ]
        outcomes = await signal.send_async_robust(_sync_wrapper=wrapper)
        assert [receiver for receiver, _ in outcomes] == [repr]
    signal.disconnect(repr)
    assert_empty(signal)


def test_death_of_a_receiver_that_was_replaced_is_ignored() -> None:
    signal = Signal()
    handler = Handler()
    signal.connect(handler.on_signal)
    ref = signal._registry._receivers[next(iter(signal._registry._receivers))].get
    signal.connect(handler.on_signal, weak=False)  # replaces the weak ref
    signal._registry._died(False, next(iter(signal._registry._receivers)), ref)
    assert signal.send() == [(handler.on_signal, None)]


def test_death_of_a_sender_that_was_replaced_is_ignored(recorder: Recorder) -> None:
    signal = Signal()
    app = Sender()
    signal.connect(recorder.sync("r"), sender=app)
    registry = signal._registry
    [key] = registry._anchors
    registry._died(True, key, object())  # not the anchor on file
    assert signal.has_receivers_for(app)


def closing(func: Callable[..., Awaitable[Any]]) -> Callable[..., Any]:
    """An ``_async_wrapper`` that discards the coroutine unrun."""

    def call(*args: Any, **kwargs: Any) -> str:
        coroutine = func(*args, **kwargs)
        coroutine.close()  # type: ignore[attr-defined]
        return "closed"

    return call


async def test_stale_plans_skip_dead_receivers_in_every_flavour() -> None:
    signal = Signal()
    recorder = Recorder()
    dead_async, dead_sync = recorder.async_("dead async"), recorder.sync("dead sync")
    signal.connect(dead_async)
    signal.connect(recorder.async_("live async"))
    signal.connect(dead_sync, sender=Sender)
    signal.connect(recorder.sync("live sync"), sender=Sender)
    signal.has_receivers_for(None)  # both plans are built now, not under the lock
    signal.has_receivers_for(Sender)
    with signal._registry._lock:  # deaths stay queued; plans stay stale
        recorder.made.remove(dead_async)
        recorder.made.remove(dead_sync)
        del dead_async, dead_sync
        gc.collect()
        with pytest.raises(RuntimeError, match="live async"):
            signal.send()
        outcomes = signal.send_robust(Sender, _async_wrapper=closing)
        assert [o.value for _, o in outcomes] == ["closed", "live sync"]
        assert len(await signal.send_async()) == 1
        assert len(await signal.send_async(Sender)) == 2
        assert len(await signal.send_async(Sender, _concurrent=True)) == 2
        assert len(await signal.send_async_robust(Sender)) == 2
        assert len(list(signal.receivers_for(Sender))) == 2
    assert recorder.names.count("dead async") == 0
    assert recorder.names.count("dead sync") == 0


def test_deaths_during_interpreter_shutdown_are_left_alone(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    signal = Signal()

    def receiver(sender: Any) -> None: ...

    signal.connect(receiver)
    monkeypatch.setattr(sys, "is_finalizing", lambda: True)
    del receiver
    gc.collect()
    assert not signal._registry._pending
    assert signal.receivers  # not cleaned: the process is going away


def test_clear_disconnects_everything(recorder: Recorder) -> None:
    signal = Signal()
    signal.connect(recorder.sync("a"))
    signal.connect(recorder.sync("b"), sender=Sender)
    signal._registry.clear()
    assert_empty(signal)


def test_many_short_lived_receivers_and_senders_leave_nothing_behind() -> None:
    signal = Signal()
    for _ in range(2_000):
        app = Sender()
        handler = Handler()
        signal.connect(handler.on_signal, sender=app)
        signal.connect(handler.on_signal)
        signal.send(app)
        assert handler.calls == 1
        del app, handler
    gc.collect()
    assert_empty(signal)


def test_connecting_and_sending_from_two_threads_never_errors() -> None:
    signal = Signal()
    app = Sender()
    errors: list[BaseException] = []
    stop = threading.Event()
    sends = 0

    def churn() -> None:
        receivers = [Handler() for _ in range(20)]
        try:
            while not stop.is_set():
                for handler in receivers:
                    signal.connect(handler.on_signal, sender=app)
                for handler in receivers:
                    signal.disconnect(handler.on_signal, sender=app)
        except BaseException as exc:  # the failure this test looks for
            errors.append(exc)

    thread = threading.Thread(target=churn)
    thread.start()
    deadline = time.monotonic() + 1.5
    try:
        while time.monotonic() < deadline and sends < 200_000:
            signal.send(app)
            signal.has_receivers_for(app)
            sends += 1
    except BaseException as exc:
        errors.append(exc)
    finally:
        stop.set()
        thread.join(timeout=10)
    assert not thread.is_alive()
    assert errors == []
    assert sends > 0


async def test_all_sync_plan_under_send_async_skips_dead_receivers() -> None:
    signal = Signal()
    recorder = Recorder()
    dead = recorder.sync("dead")
    signal.connect(dead)
    signal.connect(recorder.sync("live"))
    signal.has_receivers_for(None)  # the plan is built now, not under the lock
    with signal._registry._lock:
        recorder.made.remove(dead)
        del dead
        gc.collect()
        assert [value for _, value in await signal.send_async()] == ["live"]
        assert signal.has_receivers_for(None)  # past the dead one, to the live
