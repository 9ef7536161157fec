"""Wrappers typed the natural way type-check with no ``type: ignore``.

mypy --strict runs over this file in ``make test``; the runtime assertions
check the wrappers really work.
"""

from __future__ import annotations

import asyncio
import functools
from collections.abc import Awaitable, Callable, Coroutine
from typing import Any, ParamSpec, TypeVar

import anyio.to_thread

from asignals import AsyncWrapper, Signal, SyncWrapper

P = ParamSpec("P")
T = TypeVar("T")


def in_thread(func: Callable[P, T]) -> Callable[P, Awaitable[T]]:
    """Run a blocking receiver in a worker thread (a ``_sync_wrapper``)."""

    async def run(*args: P.args, **kwargs: P.kwargs) -> T:
        return await anyio.to_thread.run_sync(functools.partial(func, *args, **kwargs))

    return run


def in_new_loop(func: Callable[P, Coroutine[Any, Any, T]]) -> Callable[P, T]:
    """Run an async receiver to completion (an ``_async_wrapper``)."""

    def run(*args: P.args, **kwargs: P.kwargs) -> T:
        return asyncio.run(func(*args, **kwargs))

    return run


def accepts_awaitables(func: Callable[..., Awaitable[Any]]) -> Callable[..., Any]:
    """A wrapper typed more loosely is accepted too."""
    return in_new_loop(functools.partial(_await, func))


async def _await(func: Callable[..., Awaitable[Any]], *args: Any, **kw: Any) -> Any:
    return await func(*args, **kw)


async def coro_receiver(sender: object, **kwargs: object) -> str:
    return "async"


def sync_receiver(sender: object, **kwargs: object) -> str:
    return "sync"


def test_async_wrappers_type_check_and_work() -> None:
    signal = Signal()
    signal.connect(coro_receiver)
    wrappers: list[AsyncWrapper] = [in_new_loop, accepts_awaitables]
    for wrapper in wrappers:
        assert signal.send(_async_wrapper=wrapper) == [(coro_receiver, "async")]


async def test_sync_wrapper_type_checks_and_works() -> None:
    signal = Signal()
    signal.connect(sync_receiver)
    wrapper: SyncWrapper = in_thread
    assert await signal.send_async(_sync_wrapper=wrapper) == [(sync_receiver, "sync")]
    assert await signal.send_async(_sync_wrapper=in_thread) == [(sync_receiver, "sync")]
