"""The ASGI lifespan protocol: start-up and shutdown hooks."""

from __future__ import annotations

import traceback
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import TYPE_CHECKING

from starlette.types import Receive, Send

from ._concurrency import PASS_THROUGH, as_async
from ._scale_out import start_scale_out, stop_scale_out
from .signals import (
    emit,
    got_serving_exception,
    send_logged,
    serving_started,
    serving_stopping,
)

if TYPE_CHECKING:
    from .app import App


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


async def startup(app: App) -> None:
    """In an app context: the ``before_serving`` hooks, then ``serving_started``.

    A failure sends ``got_serving_exception`` and is raised.
    """
    warn_about_weak_secret(app)
    async with _reported(app), app.app_context():
        await start_scale_out(app)  # first: start-up hooks may send shared signals
        for func in app.before_serving_funcs:
            await as_async(func)()
        await emit(app, serving_started)


async def shutdown(app: App) -> None:
    """In an app context: ``serving_stopping``; then waiting for requests
    still in flight or tearing down (at most ``TEARDOWN_TIMEOUT`` seconds)
    and for background tasks (at most ``BACKGROUND_TASK_SHUTDOWN_TIMEOUT``);
    then the ``after_serving`` hooks. A failure sends
    ``got_serving_exception``."""
    async with _reported(app), app.app_context():
        await emit(app, serving_stopping)
        await app.requests_in_flight(app.config["TEARDOWN_TIMEOUT"])
        await app.background.wait(app.config["BACKGROUND_TASK_SHUTDOWN_TIMEOUT"])
        try:
            for func in app.after_serving_funcs:
                await as_async(func)()
        finally:
            await stop_scale_out(app)


@asynccontextmanager
async def _reported(app: App) -> AsyncIterator[None]:
    """Send ``got_serving_exception`` for a failure, then let it propagate."""
    try:
        yield
    except PASS_THROUGH:
        raise
    except BaseException as exc:
        await send_logged(app, got_serving_exception, exception=exc)
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
