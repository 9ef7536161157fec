"""The ASGI lifespan protocol: start-up and shutdown hooks."""

from __future__ import annotations

import traceback
from typing import TYPE_CHECKING

from starlette.types import Receive, Send

if TYPE_CHECKING:
    from .app import App


async def lifespan(app: App, receive: Receive, send: Send) -> None:
    """Run ``before_serving`` at start-up and ``after_serving`` at shutdown.

    A failing start-up hook is reported as ``lifespan.startup.failed`` with
    its traceback, so the server refuses to start and says why.
    """
    await receive()  # lifespan.startup
    try:
        await app.startup()
    except Exception as exc:
        app.logger.error("Start-up failed", exc_info=exc)
        message = "".join(traceback.format_exception(exc))
        await send({"type": "lifespan.startup.failed", "message": message})
        return
    await send({"type": "lifespan.startup.complete"})
    await receive()  # lifespan.shutdown
    try:
        await app.shutdown()
    except Exception as exc:
        app.logger.error("Shutdown failed", exc_info=exc)
        message = "".join(traceback.format_exception(exc))
        await send({"type": "lifespan.shutdown.failed", "message": message})
        return
    await send({"type": "lifespan.shutdown.complete"})
