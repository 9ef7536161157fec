"""Background tasks: work that runs after the response, tracked until shutdown."""

from __future__ import annotations

import asyncio
import contextvars
import functools
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import anyio.to_thread

from .._concurrency import PASS_THROUGH, is_async_callable
from .._contextvars import _cv_request
from ..signals import emit_logged, got_background_exception

if TYPE_CHECKING:
    from ..app import App


class BackgroundTasks:
    """The app's running background tasks."""

    def __init__(self, app: App) -> None:
        self.app = app
        self._tasks: set[asyncio.Task[None]] = set()
        self._in_threads: set[asyncio.Task[None]] = set()  # running sync functions

    def __len__(self) -> int:
        return len(self._tasks)

    def add(
        self, func: Callable[..., Any], args: tuple[Any, ...], kwargs: dict[str, Any]
    ) -> None:
        """``app.add_background_task``: after the response when called while
        handling one of this app's HTTP requests, else right away."""
        func = self.app.instrumentation.background(func)
        ctx = _cv_request.get(None)
        if ctx is not None and ctx.app is self.app and not ctx.kind.websocket:
            ctx.background.append((func, args, kwargs))
        else:
            self.spawn(func, args, kwargs)

    def spawn(
        self, func: Callable[..., Any], args: tuple[Any, ...], kwargs: dict[str, Any]
    ) -> None:
        """Start ``func(*args, **kwargs)`` now, as its own task.

        It runs in a fresh ``contextvars`` context, not a copy of the caller's:
        it gets an app context of its own (its own ``g``) and never sees the
        request that started it, nor any other context variable.
        """
        task = asyncio.get_running_loop().create_task(
            self._run(func, args, kwargs),
            name=f"Background task {getattr(func, '__qualname__', repr(func))}",
            context=contextvars.Context(),
        )
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
        if not is_async_callable(func):
            self._in_threads.add(task)
            task.add_done_callback(self._in_threads.discard)

    async def _run(
        self, func: Callable[..., Any], args: tuple[Any, ...], kwargs: dict[str, Any]
    ) -> None:
        app = self.app
        async with app.app_context():
            try:
                if is_async_callable(func):
                    await func(*args, **kwargs)
                else:
                    await anyio.to_thread.run_sync(
                        functools.partial(func, *args, **kwargs)
                    )
            except PASS_THROUGH:
                raise
            except BaseException as exc:  # SystemExit too: this task, not the server
                task = asyncio.current_task()
                app.logger.error(
                    "%s failed",
                    task.get_name() if task is not None else f"Background {func!r}",
                    exc_info=exc,
                )
                await emit_logged(app, got_background_exception, exception=exc)

    async def wait(self, grace: float) -> None:
        """Wait up to ``grace`` seconds for the running tasks; then cancel
        (and log) the async ones still running, and log the sync ones as
        still running: their threads cannot be cancelled."""
        if not self._tasks:
            return
        _, pending = await asyncio.wait(set(self._tasks), timeout=grace)
        cancelled = []
        for task in pending:
            if task in self._in_threads:
                self.app.logger.warning(
                    "%s still running at shutdown after %s s "
                    "(a sync function in a thread: it cannot be cancelled)",
                    task.get_name(),
                    grace,
                )
            else:
                self.app.logger.warning(
                    "Cancelling %s at shutdown after %s s",
                    task.get_name(),
                    grace,
                )
                task.cancel()
                cancelled.append(task)
        if cancelled:
            await asyncio.wait(cancelled, timeout=grace)
