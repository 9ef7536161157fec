"""The lazily entered shield that protects teardown from cancellation."""

from __future__ import annotations

import asyncio

import anyio
import anyio.lowlevel
import pytest

from app_framework._shielding import shielded

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


def test_a_native_cancel_still_reaches_the_cleanup() -> None:
    """AnyIO shields stop AnyIO cancellation; a bare ``Task.cancel()`` is
    passed on to the clean-up, which decides what to do with it."""
    seen: list[str] = []

    async def cleanup(started: asyncio.Event) -> None:
        started.set()
        try:
            await asyncio.sleep(3600)
        except asyncio.CancelledError:
            seen.append("cancel delivered")
        seen.append("finished anyway")

    async def main() -> None:
        started = asyncio.Event()

        async def run() -> None:
            await shielded(cleanup(started))

        task = asyncio.create_task(run())
        await started.wait()
        task.cancel()
        await task  # the clean-up swallowed it: the task ends normally

    asyncio.run(main())
    assert seen == ["cancel delivered", "finished anyway"]
