"""Async receivers, wrappers, concurrent and robust dispatch, on asyncio and trio."""

from __future__ import annotations

import asyncio
import functools
import threading
from collections.abc import Awaitable, Callable
from contextvars import ContextVar
from typing import Any

import anyio
import anyio.lowlevel
import pytest

from asignals import Outcome, Signal

from .conftest import Recorder, Send

BACKENDS = ["asyncio", "trio"]
seen: ContextVar[str] = ContextVar("seen", default="unset")


def run_async_in_new_loop(func: Callable[..., Awaitable[Any]]) -> Callable[..., Any]:
    """An ``_async_wrapper``: runs the coroutine to completion in a fresh loop."""

    def call(*args: Any, **kwargs: Any) -> Any:
        return asyncio.run(_await(func(*args, **kwargs)))

    return call


async def _await(awaitable: Awaitable[Any]) -> Any:
    return await awaitable


def in_worker_thread(func: Callable[..., Any]) -> Callable[..., Awaitable[Any]]:
    """A ``_sync_wrapper``: runs a blocking receiver in AnyIO's thread pool."""

    async def call(*args: Any, **kwargs: Any) -> Any:
        return await anyio.to_thread.run_sync(functools.partial(func, *args, **kwargs))

    return call


def test_send_refuses_async_receiver_before_calling_anything(
    recorder: Recorder,
) -> None:
    signal = Signal()
    signal.connect(recorder.sync("before"))
    signal.connect(recorder.async_("coro"))
    pattern = r"async receiver <function coro.*send_async"
    with pytest.raises(RuntimeError, match=pattern):
        signal.send()
    assert recorder.log == []


def test_send_robust_refuses_async_receiver_too(recorder: Recorder) -> None:
    signal = Signal()
    signal.connect(recorder.async_("coro"))
    with pytest.raises(RuntimeError, match="coro"):
        signal.send_robust()


def test_send_with_async_wrapper(recorder: Recorder) -> None:
    signal = Signal()
    signal.connect(recorder.sync("sync"))
    signal.connect(recorder.async_("async"))
    results = signal.send("s", _async_wrapper=run_async_in_new_loop)
    assert [value for _, value in results] == ["sync", "async"]
    assert recorder.names == ["sync", "async"]


async def test_send_async_calls_sync_receivers_inline() -> None:
    signal = Signal()
    threads: list[int] = []

    def receiver(sender: Any) -> None:
        threads.append(threading.get_ident())

    signal.connect(receiver)
    await signal.send_async()
    assert threads == [threading.get_ident()]


async def test_send_async_honours_sync_wrapper() -> None:
    signal = Signal()
    threads: list[int] = []

    def blocking(sender: Any, **kwargs: Any) -> str:
        threads.append(threading.get_ident())
        return "done"

    async def coro(sender: Any, **kwargs: Any) -> str:
        return "coro"

    signal.connect(blocking)
    signal.connect(coro)
    results = await signal.send_async(_sync_wrapper=in_worker_thread)
    assert [value for _, value in results] == ["done", "coro"]
    assert threads and threads[0] != threading.get_ident()


class AsyncCallable:
    async def __call__(self, sender: Any, **kwargs: Any) -> str:
        return "object"


class Methods:
    async def method(self, sender: Any, **kwargs: Any) -> str:
        return "method"

    @staticmethod
    async def static(sender: Any, **kwargs: Any) -> str:
        return "static"

    @classmethod
    async def klass(cls, sender: Any, **kwargs: Any) -> str:
        return "class"


async def plain_coroutine(sender: Any, suffix: str = "", **kwargs: Any) -> str:
    return "function" + suffix


METHODS = Methods()
ASYNC_KINDS: dict[str, Callable[..., Any]] = {
    "coroutine function": plain_coroutine,
    "bound async method": METHODS.method,
    "static async method": Methods.static,
    "class async method": Methods.klass,
    "partial": functools.partial(plain_coroutine, suffix="!"),
    "partial of partial": functools.partial(functools.partial(plain_coroutine)),
    "object with async __call__": AsyncCallable(),
}


@pytest.mark.parametrize("kind", list(ASYNC_KINDS))
async def test_every_kind_of_async_callable_is_awaited(kind: str) -> None:
    receiver = ASYNC_KINDS[kind]
    signal = Signal()
    signal.connect(receiver, weak=False)
    [(called, value)] = await signal.send_async()
    assert called is receiver
    assert isinstance(value, str)
    with pytest.raises(RuntimeError):
        signal.send()


async def test_receivers_may_connect_and_disconnect_during_a_send(
    send: Send, recorder: Recorder
) -> None:
    signal = Signal()
    late = recorder.sync("late")
    third = recorder.sync("third")

    def first(sender: Any) -> None:
        recorder.log.append(("first", sender, {}))
        signal.connect(late)
        signal.disconnect(third)

    signal.connect(first)
    signal.connect(recorder.sync("second"))
    signal.connect(third)
    await send(signal, 1)  # runs the plan it started with
    await send(signal, 2)  # sees the changes
    assert recorder.names == ["first", "second", "third", "first", "second", "late"]


async def test_sequential_receivers_share_the_callers_context() -> None:
    signal = Signal()

    async def setter(sender: Any) -> None:
        seen.set("set by receiver")

    async def getter(sender: Any) -> str:
        return seen.get()

    signal.connect(setter)
    signal.connect(getter)
    results = await signal.send_async()
    assert results[1][1] == "set by receiver"
    assert seen.get() == "set by receiver"


def concurrency_signal() -> tuple[Signal, list[Any]]:
    """Two receivers that deadlock unless they run at the same time."""
    signal = Signal()
    first_ran = anyio.Event()
    keep: list[Any] = []

    async def waits(sender: Any) -> str:
        await first_ran.wait()
        return "waited"

    async def sets(sender: Any) -> str:
        first_ran.set()
        return "set"

    keep += [signal.connect(waits), signal.connect(sets)]
    return signal, keep


@pytest.mark.parametrize("backend", BACKENDS)
def test_concurrent_send_runs_receivers_together(backend: str) -> None:
    async def main() -> list[Any]:
        signal, _keep = concurrency_signal()
        with anyio.fail_after(5):
            return await signal.send_async(_concurrent=True)

    results = anyio.run(main, backend=backend)
    assert [value for _, value in results] == ["waited", "set"]


@pytest.mark.parametrize("backend", BACKENDS)
def test_concurrent_failures_are_raised_together_after_all_finish(
    backend: str,
) -> None:
    finished: list[str] = []

    async def main() -> None:
        signal = Signal()

        async def fails_fast(sender: Any) -> None:
            raise KeyError("fast")

        async def slow(sender: Any) -> None:
            await anyio.lowlevel.checkpoint()  # the failing task runs first
            await anyio.lowlevel.checkpoint()
            finished.append("slow")

        def fails_sync(sender: Any) -> None:
            raise ValueError("sync")

        keep: list[Any] = [signal.connect(fails_fast), signal.connect(slow)]
        keep.append(signal.connect(fails_sync))
        await signal.send_async(_concurrent=True)

    with pytest.raises(ExceptionGroup) as caught:
        anyio.run(main, backend=backend)
    assert finished == ["slow"]
    assert caught.group_contains(KeyError) and caught.group_contains(ValueError)
    assert "2 receiver(s)" in str(caught.value)


async def test_concurrent_receivers_run_in_copies_of_the_context() -> None:
    signal = Signal()
    seen.set("caller")

    async def setter(sender: Any) -> str:
        seen.set("changed in a task")
        return seen.get()

    async def getter(sender: Any) -> str:
        return seen.get()

    signal.connect(setter)
    signal.connect(getter)
    results = await signal.send_async(_concurrent=True)
    assert [value for _, value in results] == ["changed in a task", "caller"]
    assert seen.get() == "caller"


async def test_concurrent_send_runs_wrapped_sync_receivers_as_tasks() -> None:
    signal = Signal()

    def blocking(sender: Any) -> int:
        return threading.get_ident()

    signal.connect(blocking)
    [(_, ident)] = await signal.send_async(
        _concurrent=True, _sync_wrapper=in_worker_thread
    )
    assert ident != threading.get_ident()


def failing_signal() -> tuple[Signal, list[Any]]:
    signal = Signal()
    error = LookupError("returned, not raised")

    def ok(sender: Any) -> str:
        return "ok"

    def raises(sender: Any) -> None:
        raise KeyError("boom")

    async def returns_exception(sender: Any) -> Exception:
        return error

    keep: list[Any] = [signal.connect(ok), signal.connect(raises)]
    keep.append(signal.connect(returns_exception))
    return signal, keep


def check_outcomes(outcomes: list[tuple[Any, Outcome]]) -> None:
    values = [outcome for _, outcome in outcomes]
    assert values[0] == Outcome(value="ok")
    assert not values[1].ok and isinstance(values[1].error, KeyError)
    assert values[2].ok and isinstance(values[2].value, LookupError)
    with pytest.raises(KeyError):
        values[1].unwrap()
    assert values[0].unwrap() == "ok"


def test_send_robust_records_errors_and_runs_everyone() -> None:
    signal, _keep = failing_signal()
    check_outcomes(signal.send_robust(_async_wrapper=run_async_in_new_loop))


@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize("concurrent", [False, True])
def test_send_async_robust(backend: str, concurrent: bool) -> None:
    async def main() -> list[tuple[Any, Outcome]]:
        signal, _keep = failing_signal()
        return await signal.send_async_robust(_concurrent=concurrent)

    check_outcomes(anyio.run(main, backend=backend))


async def test_send_async_robust_with_sync_wrapper() -> None:
    signal, _keep = failing_signal()
    check_outcomes(await signal.send_async_robust(_sync_wrapper=in_worker_thread))


async def test_robust_sends_let_base_exceptions_through() -> None:
    signal = Signal()

    def interrupts(sender: Any) -> None:
        raise KeyboardInterrupt

    signal.connect(interrupts)
    with pytest.raises(KeyboardInterrupt):
        signal.send_robust()
    with pytest.raises(KeyboardInterrupt):
        await signal.send_async_robust()


@pytest.mark.parametrize("backend", BACKENDS)
def test_send_async_works_on_every_backend(backend: str) -> None:
    recorder = Recorder()

    async def main() -> list[Any]:
        signal = Signal()
        signal.connect(recorder.async_("a"))
        signal.connect(recorder.sync("b"))
        return await signal.send_async("x", n=1)

    results = anyio.run(main, backend=backend)
    assert [value for _, value in results] == ["a", "b"]
    assert recorder.log == [("a", "x", {"n": 1}), ("b", "x", {"n": 1})]


async def test_muted_applies_to_every_flavour(recorder: Recorder) -> None:
    signal = Signal()
    signal.connect(recorder.sync("r"))
    with signal.muted():
        assert signal.send_robust() == []
        assert await signal.send_async(_concurrent=True) == []
        assert await signal.send_async_robust() == []
    assert recorder.log == []
