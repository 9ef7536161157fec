"""Sync and async callables side by side: which is which, and adapters.

Hooks, error handlers and receivers may be plain functions or coroutine
functions; the pipeline awaits one shape. Plain hooks run inline on the
event loop (they are expected to be quick, as sync signal receivers are);
plain views run in a worker thread with the contexts copied into it.
"""

from __future__ import annotations

import asyncio
import functools
from collections.abc import Awaitable, Callable
from typing import Any

import anyio.to_thread

# Which callables are awaited: the same rule for receivers (asignals) and
# for views, hooks and commands here.
from asignals import is_async_callable

__all__ = [
    "PASS_THROUGH",
    "AsyncFunc",
    "as_async",
    "as_async_view",
    "is_async_callable",
]

AsyncFunc = Callable[..., Awaitable[Any]]

PASS_THROUGH = (asyncio.CancelledError, GeneratorExit)
"""What app code may raise that the framework must let through: the
cancellation of the task it runs in, and the closing of a coroutine.

Anything else a hook, receiver or background task raises, ``SystemExit``
and ``KeyboardInterrupt`` included, fails that one piece of work and is
logged: it never stops the server (under uvicorn, Ctrl-C and SIGTERM are
signal handlers, not exceptions raised in app code)."""


def as_async(func: Callable[..., Any]) -> AsyncFunc:
    """``func`` itself when async, else an async function calling it inline."""
    if is_async_callable(func):
        return func

    @functools.wraps(func)
    async def call(*args: Any, **kwargs: Any) -> Any:
        return func(*args, **kwargs)

    return call


def as_async_view(func: Callable[..., Any]) -> AsyncFunc:
    """``func`` itself when async, else run in a worker thread (the contexts
    are copied into it, so ``request`` and ``g`` work there)."""
    if is_async_callable(func):
        return func

    @functools.wraps(func)
    async def call(**kwargs: Any) -> Any:
        return await anyio.to_thread.run_sync(functools.partial(func, **kwargs))

    return call
