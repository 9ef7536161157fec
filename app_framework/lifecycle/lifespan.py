"""The ASGI lifespan protocol: start-up and shutdown hooks."""

from __future__ import annotations

import inspect
import traceback
import weakref
from collections.abc import AsyncGenerator, AsyncIterator, Callable
from contextlib import asynccontextmanager
from typing import TYPE_CHECKING, Any, TypeVar

from starlette.types import Receive, Send

from .._concurrency import PASS_THROUGH, as_async
from ..signals import (
    emit,
    emit_logged,
    got_serving_exception,
    serving_started,
    serving_stopping,
)
from .scale_out import start_scale_out, stop_scale_out

if TYPE_CHECKING:
    from ..app import App

    F = TypeVar("F", bound=Callable[..., Any])

# The while_serving generators paused at their yield, per serving app.
_paused: weakref.WeakKeyDictionary[App, list[AsyncGenerator[None, None]]] = (
    weakref.WeakKeyDictionary()
)


WELL_KNOWN_SECRETS = frozenset(
    {"dev", "development", "secret", "secret-key", "secret_key", "changeme",
     "change-me", "change_me", "test", "testing", "password", "key"}
)  # fmt: skip


def warn_about_weak_secret(app: App) -> None:
    """Log a warning (never the key) when ``SECRET_KEY`` is short or well known."""
    key = app.config["SECRET_KEY"]
    if not key:
        return
    text = key.decode(errors="replace") if isinstance(key, bytes) else str(key)
    if len(text) < 32 or text.lower() in WELL_KNOWN_SECRETS:
        app.logger.warning(
            "SECRET_KEY is short (under 32 characters) or a well-known value: "
            "session cookies could be forged. Use a long random value, e.g. "
            "python -c 'import secrets; print(secrets.token_hex(32))'."
        )


def add_while_serving(app: App, func: F) -> F:
    """Register ``func`` for ``App.while_serving``."""
    app._check_setup("while_serving")
    if not inspect.isasyncgenfunction(func):
        raise TypeError(
            f"while_serving needs an async generator function, not {func!r}: "
            "write 'async def func(): <start-up>; yield; <shutdown>'"
        )
    app.while_serving_funcs.append(func)
    return func


async def startup(app: App) -> None:
    """In an app context: the ``before_serving`` hooks, the ``while_serving``
    generators up to their ``yield``, then ``serving_started``.

    A failure sends ``got_serving_exception`` and is raised.
    """
    warn_about_weak_secret(app)
    async with _reported(app), app.app_context():
        await start_scale_out(app)  # first: start-up hooks may send shared signals
        for func in app.before_serving_funcs:
            await as_async(func)()
        await _start_generators(app)
        await emit(app, serving_started)


async def shutdown(app: App) -> None:
    """In an app context: ``serving_stopping``; then waiting for requests
    still in flight or tearing down (at most ``TEARDOWN_TIMEOUT`` seconds)
    and for background tasks (at most ``BACKGROUND_TASK_SHUTDOWN_TIMEOUT``);
    then the rest of the ``while_serving`` generators and the
    ``after_serving`` hooks. A failure sends
    ``got_serving_exception``."""
    async with _reported(app), app.app_context():
        await emit(app, serving_stopping)
        await app.requests_in_flight(app.config["TEARDOWN_TIMEOUT"])
        await app.background.wait(app.config["BACKGROUND_TASK_SHUTDOWN_TIMEOUT"])
        try:
            await _finish_generators(app)
            for func in app.after_serving_funcs:
                await as_async(func)()
        finally:
            await stop_scale_out(app)


async def _start_generators(app: App) -> None:
    """Run each ``while_serving`` generator to its ``yield``; if one fails,
    close those already paused (their shutdown code does not run)."""
    paused = _paused[app] = []
    try:
        for func in app.while_serving_funcs:
            gen = func()
            await anext(gen)
            paused.append(gen)
    except BaseException:
        del _paused[app]
        for gen in reversed(paused):
            await gen.aclose()
        raise


async def _finish_generators(app: App) -> None:
    """Resume the paused ``while_serving`` generators, last started first."""
    for gen in reversed(_paused.pop(app, [])):
        try:
            await anext(gen)
        except StopAsyncIteration:
            continue
        await gen.aclose()
        raise RuntimeError(
            f"the while_serving generator {gen!r} yielded more than once: "
            "it must yield exactly once"
        )


@asynccontextmanager
async def _reported(app: App) -> AsyncIterator[None]:
    """Send ``got_serving_exception`` for a failure, then let it propagate."""
    try:
        yield
    except PASS_THROUGH:
        raise
    except BaseException as exc:
        await emit_logged(app, got_serving_exception, exception=exc)
        raise


async def lifespan(app: App, receive: Receive, send: Send) -> None:
    """Run ``before_serving`` at start-up and ``after_serving`` at shutdown.

    A failing start-up hook is reported as ``lifespan.startup.failed`` with
    its traceback, so the server refuses to start and says why.
    """
    if await _phase(app, receive, send, "startup"):
        await _phase(app, receive, send, "shutdown")


async def _phase(app: App, receive: Receive, send: Send, name: str) -> bool:
    """Wait for ``lifespan.<name>``, run it, answer complete or failed (with
    the traceback). Returns whether it completed."""
    await receive()
    try:
        await (app.startup() if name == "startup" else app.shutdown())
    except PASS_THROUGH:
        raise
    except BaseException as exc:
        # SystemExit and KeyboardInterrupt from a hook too: the server must
        # hear "failed" (and why), not decide the app has no lifespan.
        app.logger.error("Lifespan %s failed", name, exc_info=exc)
        message = "".join(traceback.format_exception(exc))
        await send({"type": f"lifespan.{name}.failed", "message": message})
        return False
    await send({"type": f"lifespan.{name}.complete"})
    return True
