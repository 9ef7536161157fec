"""The lazily entered shield that protects teardown from cancellation."""

from __future__ import annotations

import asyncio

import anyio
import anyio.lowlevel
import pytest

from app_framework.lifecycle.shielding import shielded

BACKENDS = ["asyncio", "trio"]


@pytest.mark.parametrize("backend", BACKENDS)
def test_a_cleanup_that_waits_is_not_interrupted(backend: str) -> None:
    steps: list[str] = []

    async def cleanup() -> None:
        steps.append("start")
        await anyio.lowlevel.checkpoint()  # cancellation would be delivered here
        steps.append("after one wait")
        await anyio.lowlevel.checkpoint()
        steps.append("done")

    async def main() -> None:
        with anyio.CancelScope() as scope:
            scope.cancel()
            await shielded(cleanup())
            await anyio.lowlevel.checkpoint()  # cancelled once unshielded
            steps.append("unreachable: the scope is cancelled")
        assert scope.cancelled_caught

    anyio.run(main, backend=backend)
    assert steps == ["start", "after one wait", "done"]


@pytest.mark.parametrize("backend", BACKENDS)
def test_a_cleanup_that_never_waits_runs_once(backend: str) -> None:
    steps: list[str] = []

    async def cleanup() -> None:
        steps.append("ran")

    async def main() -> None:
        with anyio.CancelScope() as scope:
            scope.cancel()
            await shielded(cleanup())
        await shielded(cleanup())

    anyio.run(main, backend=backend)
    assert steps == ["ran", "ran"]


@pytest.mark.parametrize("backend", BACKENDS)
def test_values_and_errors_pass_through_each_wait(backend: str) -> None:
    received: list[int] = []

    async def cleanup(stream: anyio.abc.ObjectReceiveStream[int]) -> None:
        received.append(await stream.receive())  # a value the loop hands back
        received.append(await stream.receive())
        raise ValueError("teardown failed")

    async def main() -> None:
        send, receive = anyio.create_memory_object_stream[int](2)
        async with anyio.create_task_group() as group:

            async def feed() -> None:
                await send.send(1)
                await anyio.lowlevel.checkpoint()
                await send.send(2)

            group.start_soon(feed)
            with pytest.raises(ValueError, match="teardown failed"):
                await shielded(cleanup(receive))
        send.close()
        receive.close()

    anyio.run(main, backend=backend)
    assert received == [1, 2]


@pytest.mark.parametrize("backend", BACKENDS)
def test_an_error_raised_before_any_wait_propagates(backend: str) -> None:
    async def cleanup() -> None:
        raise KeyError("at once")

    async def main() -> None:
        with pytest.raises(KeyError, match="at once"):
            await shielded(cleanup())

    anyio.run(main, backend=backend)


def test_closing_the_waiting_caller_closes_the_cleanup() -> None:
    finished: list[str] = []

    async def cleanup() -> None:
        try:
            await anyio.sleep(3600)
        finally:
            finished.append("cleanup closed")

    async def caller() -> None:
        await shielded(cleanup())

    async def main() -> None:
        coro = caller()
        coro.send(None)  # now suspended inside the shield
        coro.close()

    anyio.run(main, backend="asyncio")
    assert finished == ["cleanup closed"]


async def test_a_native_cancel_waits_for_the_cleanup_then_is_raised() -> None:
    """asyncio's own Task.cancel() (asyncio.timeout, a server's graceful
    shutdown) does not cut the clean-up short: every step runs, then the
    task ends cancelled."""
    steps: list[str] = []
    release = asyncio.Event()

    async def cleanup(started: asyncio.Event) -> None:
        started.set()
        await release.wait()  # cancelled here, were it not shielded
        steps.append("after the wait")
        await asyncio.sleep(0)
        steps.append("done")

    started = asyncio.Event()
    task = asyncio.create_task(shielded(cleanup(started)))
    await started.wait()
    task.cancel()
    await asyncio.sleep(0)
    task.cancel()  # twice, as a timeout and a shutdown might
    await asyncio.sleep(0)
    assert steps == []  # still waiting, not cut off
    release.set()
    with pytest.raises(asyncio.CancelledError):
        await task
    assert steps == ["after the wait", "done"]


async def test_asyncio_timeout_still_times_out_after_the_cleanup() -> None:
    steps: list[str] = []

    async def cleanup() -> None:
        await asyncio.sleep(0.05)  # outlives the timeout below
        steps.append("cleaned up")

    with pytest.raises(TimeoutError):
        async with asyncio.timeout(0.01):
            await shielded(cleanup())
    assert steps == ["cleaned up"]


async def test_a_cleanup_past_its_timeout_is_abandoned_and_reported() -> None:
    steps: list[str] = []
    abandoned: list[float] = []

    async def cleanup() -> None:
        try:
            await asyncio.Event().wait()  # never set: a hung teardown
        finally:
            steps.append("closed")

    await shielded(cleanup(), timeout=0.05, on_abandon=abandoned.append)
    assert steps == ["closed"] and abandoned == [0.05]
