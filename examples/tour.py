"""The demo served by ``make run`` (``uvicorn examples.tour:app``).

A placeholder until app_framework's core lands: a bare ASGI app that fires an
asignals signal, with one sync and one async receiver, for every request.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any

import asignals

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]

log = logging.getLogger("examples.tour")
request_seen = asignals.signal("request-seen")


@request_seen.connect
def log_sync(sender: Any, **kwargs: Any) -> None:
    log.warning("sync receiver: %s", kwargs["path"])


@request_seen.connect
async def log_async(sender: Any, **kwargs: Any) -> None:
    log.warning("async receiver: %s", kwargs["path"])


async def app(scope: Scope, receive: Receive, send: Send) -> None:
    """Answer every HTTP request with a line of text."""
    if scope["type"] != "http":
        return
    await request_seen.send_async(app, path=scope["path"])
    body = f"asignals demo: you asked for {scope['path']}\n".encode()
    headers = [(b"content-type", b"text/plain; charset=utf-8")]
    await send({"type": "http.response.start", "status": 200, "headers": headers})
    await send({"type": "http.response.body", "body": body})
