"""Sync and async callables side by side: which is which, and adapters.

Hooks, error handlers and receivers may be plain functions or coroutine
functions; the pipeline awaits one shape. Plain hooks run inline on the
event loop (they are expected to be quick, as sync signal receivers are);
plain views run in a worker thread with the contexts copied into it.
"""

from __future__ import annotations

import asyncio
import functools
import inspect
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
    "as_sync",
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
    are copied into it, so ``request`` and ``g`` work there). What views
    get, and ``app.ensure_async``. A coroutine it returns is awaited: a
    sync decorator around an async view (Flask extensions write them)
    returns the view's coroutine."""
    if is_async_callable(func):
        return func

    @functools.wraps(func)
    async def call(*args: Any, **kwargs: Any) -> Any:
        rv = await anyio.to_thread.run_sync(functools.partial(func, *args, **kwargs))
        if inspect.iscoroutine(rv):
            return await rv
        return rv

    return call


def as_sync(func: Callable[..., Any]) -> Callable[..., Any]:
    """``func`` itself when sync; an async ``func`` becomes a blocking call
    (``app.ensure_sync``). From a worker thread (a sync view's) the
    coroutine runs on the app's event loop, with the thread's contexts;
    from a thread with no loop (a script, a command) on a loop of its own.

    :raises RuntimeError: when called on the event loop's thread, where
        blocking would deadlock the loop.
    """
    if not is_async_callable(func):
        return func

    @functools.wraps(func)
    def call(*args: Any, **kwargs: Any) -> Any:
        if _loop_running_here():
            name = getattr(func, "__name__", repr(func))
            raise RuntimeError(
                f"ensure_sync({name}) was called on the event loop's thread, "
                "where waiting for a coroutine would block the loop: write "
                f"'await {name}(...)' there instead"
            )
        started = False

        async def run() -> Any:
            nonlocal started
            started = True
            return await func(*args, **kwargs)

        # Imported here: only a sync caller in a worker thread needs it,
        # and it loads most of AnyIO's synchronization primitives.
        import anyio.from_thread

        try:
            return anyio.from_thread.run(run)
        except RuntimeError:
            if started:  # the coroutine's own error
                raise
        # Not an AnyIO worker thread (or its loop has ended): no loop to use.
        return asyncio.run(func(*args, **kwargs))

    return call


def _loop_running_here() -> bool:
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return False
    return True
