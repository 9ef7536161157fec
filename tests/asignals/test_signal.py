"""Signal: connecting, sender filtering, order, muting, meta-signals."""

from __future__ import annotations

import asyncio
import pickle
import threading
from typing import Any

import pytest

import asignals
from asignals import ANY, Signal

from .conftest import Recorder, Send


async def test_send_passes_sender_and_kwargs_and_returns_results(
    send: Send, recorder: Recorder
) -> None:
    signal = Signal()
    receiver = signal.connect(recorder.sync("a"))
    results = await send(signal, "the-sender", x=1, y="two")
    assert results == [(receiver, "a")]
    assert recorder.log == [("a", "the-sender", {"x": 1, "y": "two"})]


async def test_send_without_sender_sends_none(send: Send, recorder: Recorder) -> None:
    signal = Signal()
    signal.connect(recorder.sync("a"))
    await send(signal)
    assert recorder.log == [("a", None, {})]


async def test_no_receivers_returns_empty_list(send: Send) -> None:
    assert await send(Signal(), object()) == []


async def test_sender_filtering(send: Send, recorder: Recorder) -> None:
    signal = Signal()
    alice, bob = object(), object()
    signal.connect(recorder.sync("any"))
    signal.connect(recorder.sync("alice"), sender=alice)
    signal.connect(recorder.sync("bob"), sender=bob)
    await send(signal, alice)
    await send(signal, bob)
    await send(signal, "nobody")
    assert recorder.names == ["any", "alice", "any", "bob", "any"]


async def test_order_is_connection_order_across_any_and_senders(
    send: Send, recorder: Recorder
) -> None:
    signal = Signal()
    app = object()
    keep = [
        signal.connect(recorder.sync("1-app"), sender=app),
        signal.connect(recorder.sync("2-any")),
        signal.connect(recorder.sync("3-app"), sender=app),
        signal.connect(recorder.sync("4-any")),
    ]
    await send(signal, app)
    assert recorder.names == ["1-app", "2-any", "3-app", "4-any"]
    assert [r for r, _ in await send(signal, app)] == keep


async def test_send_async_orders_sync_and_async_receivers_together(
    recorder: Recorder,
) -> None:
    signal = Signal()
    app = object()
    signal.connect(recorder.async_("1"), sender=app)
    signal.connect(recorder.sync("2"))
    signal.connect(recorder.async_("3"))
    signal.connect(recorder.sync("4"), sender=app)
    results = await signal.send_async(app)
    assert recorder.names == ["1", "2", "3", "4"]
    assert [value for _, value in results] == ["1", "2", "3", "4"]


async def test_receiver_on_any_and_sender_is_called_once(
    send: Send, recorder: Recorder
) -> None:
    signal = Signal()
    app = object()
    receiver = recorder.sync("r")
    signal.connect(receiver, sender=app)
    signal.connect(receiver)
    signal.connect(receiver, sender=app)
    await send(signal, app)
    assert recorder.names == ["r"]


async def test_reconnecting_keeps_the_first_position(
    send: Send, recorder: Recorder
) -> None:
    signal = Signal()
    first, second = recorder.sync("first"), recorder.sync("second")
    signal.connect(first)
    signal.connect(second)
    signal.connect(first)
    await send(signal)
    assert recorder.names == ["first", "second"]


@pytest.mark.parametrize("sender", [0, False, "", 0.0, (), None])
async def test_falsy_senders_are_ordinary_senders(
    send: Send, recorder: Recorder, sender: object
) -> None:
    signal = Signal()
    signal.connect(recorder.sync("specific"), sender=sender)
    await send(signal, "someone else")
    assert recorder.names == []
    await send(signal, sender)
    assert recorder.names == ["specific"]


async def test_strings_and_ints_match_by_value(send: Send, recorder: Recorder) -> None:
    signal = Signal()
    signal.connect(recorder.sync("str"), sender="".join(["ab", "c"]))
    signal.connect(recorder.sync("int"), sender=10**20)
    await send(signal, "abc")
    await send(signal, int("1" + "0" * 20))
    assert recorder.names == ["str", "int"]


async def test_true_and_one_are_different_senders(
    send: Send, recorder: Recorder
) -> None:
    signal = Signal()
    signal.connect(recorder.sync("one"), sender=1)
    await send(signal, True)
    assert recorder.names == []


async def test_unhashable_sender_matches_by_identity(
    send: Send, recorder: Recorder
) -> None:
    signal = Signal()
    sender: list[int] = []
    signal.connect(recorder.sync("list"), sender=sender)
    await send(signal, [])
    await send(signal, sender)
    assert recorder.names == ["list"]


async def test_bound_method_sender(send: Send, recorder: Recorder) -> None:
    class Thing:
        def method(self) -> None: ...

    thing = Thing()
    signal = Signal()
    signal.connect(recorder.sync("m"), sender=thing.method)
    await send(signal, thing.method)  # a new method object each access
    await send(signal, Thing().method)
    assert recorder.names == ["m"]


async def test_disconnect_from_everything(send: Send, recorder: Recorder) -> None:
    signal = Signal()
    app = object()
    receiver = recorder.sync("r")
    signal.connect(receiver)
    signal.connect(receiver, sender=app)
    signal.disconnect(receiver)
    await send(signal, app)
    assert recorder.names == []
    assert not signal.receivers


def test_receiver_is_forgotten_with_its_last_connection(recorder: Recorder) -> None:
    signal = Signal()
    app = object()
    receiver = recorder.sync("r")
    signal.connect(receiver, sender=app)
    signal.disconnect(receiver, sender=app)
    assert not signal.receivers  # blinker keeps it listed, connected to nothing


async def test_disconnect_from_one_sender(send: Send, recorder: Recorder) -> None:
    signal = Signal()
    alice, bob = object(), object()
    receiver = recorder.sync("r")
    signal.connect(receiver, sender=alice)
    signal.connect(receiver, sender=bob)
    signal.disconnect(receiver, sender=alice)
    await send(signal, alice)
    await send(signal, bob)
    assert recorder.names == ["r"]


def test_disconnecting_what_was_never_connected_is_a_no_op(recorder: Recorder) -> None:
    signal = Signal()
    heard: list[Any] = []
    signal.receiver_disconnected.connect(lambda s, **kw: heard.append(kw), weak=False)
    signal.disconnect(recorder.sync("never"))
    signal.disconnect(recorder.sync("never"), sender=object())
    assert heard == []


def test_connect_refuses_a_non_callable() -> None:
    with pytest.raises(TypeError, match="receiver must be callable, got 42"):
        Signal().connect(42)  # type: ignore[type-var]


class Slotted:
    """A callable that cannot be weakly referenced."""

    __slots__ = ()

    def __call__(self, sender: Any, **kwargs: Any) -> str:
        return "slotted"


def test_connect_weakly_refuses_what_cannot_be_weakly_referenced() -> None:
    receiver = Slotted()
    with pytest.raises(TypeError, match="connect it with weak=False"):
        Signal().connect(receiver)
    signal = Signal()
    signal.connect(receiver, weak=False)
    assert signal.send() == [(receiver, "slotted")]


def test_send_takes_one_positional_sender() -> None:
    send: Any = Signal().send  # the call below is wrong on purpose
    with pytest.raises(TypeError):
        send(1, 2)


async def test_connect_via_connects_strongly(send: Send) -> None:
    signal = Signal()
    app = object()

    def register() -> None:
        @signal.connect_via(app)
        def receiver(sender: Any, **kwargs: Any) -> str:
            return "via"

    register()  # the decorated function is now referenced only by the signal
    assert [value for _, value in await send(signal, app)] == ["via"]


async def test_connected_to_connects_for_the_block(
    send: Send, recorder: Recorder
) -> None:
    signal = Signal()
    receiver = recorder.sync("temp")
    with signal.connected_to(receiver):
        await send(signal)
    await send(signal)
    assert recorder.names == ["temp"]


async def test_connected_to_disconnects_when_the_block_raises(
    send: Send, recorder: Recorder
) -> None:
    signal = Signal()
    receiver = recorder.sync("temp")
    with pytest.raises(ValueError), signal.connected_to(receiver):
        raise ValueError
    await send(signal)
    assert recorder.names == []


async def test_connected_to_undoes_only_its_own_connection(
    send: Send, recorder: Recorder
) -> None:
    signal = Signal()
    app, other = object(), object()
    receiver = recorder.sync("r")
    signal.connect(receiver, sender=other, weak=False)
    with signal.connected_to(receiver, sender=app):
        pass
    await send(signal, other)
    assert recorder.names == ["r"]


async def test_connected_to_keeps_a_connection_that_already_existed(
    send: Send, recorder: Recorder
) -> None:
    signal = Signal()
    receiver = recorder.sync("r")
    signal.connect(receiver, weak=False)
    with signal.connected_to(receiver):
        pass
    await send(signal)
    assert recorder.names == ["r"]


async def test_muted_sends_to_nobody_and_nests(send: Send, recorder: Recorder) -> None:
    signal = Signal()
    signal.connect(recorder.sync("r"))
    assert not signal.is_muted
    with signal.muted():
        with signal.muted():
            assert signal.is_muted
            assert await send(signal) == []
        assert signal.is_muted
        assert await send(signal) == []
    assert not signal.is_muted
    await send(signal)
    assert recorder.names == ["r"]


async def test_muted_is_local_to_the_task(recorder: Recorder) -> None:
    signal = Signal()
    signal.connect(recorder.sync("r"))
    entered, done = asyncio.Event(), asyncio.Event()

    async def muted_task() -> None:
        with signal.muted():
            entered.set()
            await done.wait()
            await signal.send_async("muted task")

    task = asyncio.create_task(muted_task())
    await entered.wait()
    await signal.send_async("other task")
    done.set()
    await task
    assert [sender for _, sender, _ in recorder.log] == ["other task"]


def test_muted_is_local_to_the_thread(recorder: Recorder) -> None:
    signal = Signal()
    signal.connect(recorder.sync("r"))
    with signal.muted():
        thread = threading.Thread(target=signal.send, args=("thread",))
        thread.start()
        thread.join()
        signal.send("muted")
    assert [sender for _, sender, _ in recorder.log] == ["thread"]


def test_is_muted_can_be_assigned(recorder: Recorder) -> None:
    signal = Signal()
    signal.connect(recorder.sync("r"))

    def run() -> list[str]:
        signal.is_muted = True
        signal.send()
        signal.is_muted = False
        signal.send()
        return recorder.names

    # In a thread, so the assignment does not outlive this test's context.
    thread = threading.Thread(target=run)
    thread.start()
    thread.join()
    assert recorder.names == ["r"]
    assert not signal.is_muted


def test_receiver_connected_meta_signal(recorder: Recorder) -> None:
    signal = Signal()
    heard: list[tuple[Any, dict[str, Any]]] = []
    signal.receiver_connected.connect(
        lambda signal, **kw: heard.append((signal, kw)), weak=False
    )
    receiver = recorder.sync("r")
    app = object()
    signal.connect(receiver, sender=app, weak=False)
    with signal.connected_to(receiver):  # as blinker's, which calls connect()
        pass
    assert heard == [
        (signal, {"receiver": receiver, "sender": app, "weak": False}),
        (signal, {"receiver": receiver, "sender": ANY, "weak": False}),
    ]


def test_receiver_disconnected_meta_signal(recorder: Recorder) -> None:
    signal = Signal()
    heard: list[tuple[Any, dict[str, Any]]] = []
    signal.receiver_disconnected.connect(
        lambda signal, **kw: heard.append((signal, kw)), weak=False
    )
    receiver = recorder.sync("r")
    signal.connect(receiver)
    signal.disconnect(receiver)
    with signal.connected_to(receiver):
        pass
    assert heard == [
        (signal, {"receiver": receiver, "sender": ANY}),
        (signal, {"receiver": receiver, "sender": ANY}),
    ]


def test_meta_signals_belong_to_each_signal() -> None:
    one, two = Signal(), Signal()
    assert one.receiver_connected is one.receiver_connected
    assert one.receiver_connected is not two.receiver_connected


def test_has_receivers_for(recorder: Recorder) -> None:
    signal = Signal()
    app = object()
    assert not signal.has_receivers_for(app)
    receiver = recorder.sync("r")
    signal.connect(receiver, sender=app)
    assert signal.has_receivers_for(app)
    assert not signal.has_receivers_for(object())
    assert not signal.has_receivers_for(ANY)
    signal.disconnect(receiver, sender=app)
    assert not signal.has_receivers_for(app)
    signal.connect(receiver)
    assert signal.has_receivers_for(object())
    assert signal.has_receivers_for(ANY)


def test_receivers_for_yields_live_receivers_in_order(recorder: Recorder) -> None:
    signal = Signal()
    app = object()
    a = signal.connect(recorder.sync("a"))
    b = signal.connect(recorder.sync("b"), sender=app)
    assert list(signal.receivers_for(app)) == [a, b]
    assert list(signal.receivers_for(object())) == [a]
    with signal.muted():  # as in blinker: muting affects sends only
        assert list(signal.receivers_for(app)) == [a, b]


def test_receivers_maps_to_refs_or_receivers(recorder: Recorder) -> None:
    signal = Signal()
    assert not signal.receivers
    weak = signal.connect(recorder.sync("weak"))
    strong = signal.connect(recorder.sync("strong"), weak=False)
    values = list(signal.receivers.values())
    assert values[0]() is weak
    assert values[1] is strong


def test_doc_and_any_alias() -> None:
    assert Signal("Sent when.").__doc__ == "Sent when."
    assert Signal.ANY is ANY is asignals.ANY
    assert repr(ANY) == "ANY"
    assert pickle.loads(pickle.dumps(ANY)) is ANY
