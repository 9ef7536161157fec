"""The context variables behind ``current_app``, ``g``, ``request``...

Defined at the bottom layer, so request and response objects can find the
current app (for its config and JSON provider) without importing the
context machinery above them; :mod:`.globals` builds the proxies on them.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, MutableMapping
from contextvars import ContextVar, Token
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .ctx import AppContext, RequestContext

__all__ = [
    "_cv_app",
    "_cv_request",
    "hide_contexts",
    "hiding_last_send",
    "show_contexts",
]

_cv_app: ContextVar[AppContext | None] = ContextVar("app_framework.app_context")
_cv_request: ContextVar[RequestContext | None] = ContextVar(
    "app_framework.request_context"
)

Hidden = tuple["Token[RequestContext | None]", "Token[AppContext | None]"]


def hide_contexts() -> Hidden:
    """Unset both variables in the current context until
    :func:`show_contexts`: around the send that completes a response.

    Servers copy the current context in that send (uvicorn's keep-alive
    timer does, for every response). A copy that still held the request
    would keep the request's every object alive until the connection's
    next request; with many keep-alive connections those objects outnumber
    the garbage collector's young-generation threshold, and the collector
    then runs over and over (a full collection every ~100 young ones) for
    nothing, which is what made p99 latency jump with sessions on."""
    return _cv_request.set(None), _cv_app.set(None)


def show_contexts(hidden: Hidden) -> None:
    """Undo :func:`hide_contexts`."""
    _cv_app.reset(hidden[1])
    _cv_request.reset(hidden[0])


Send = Callable[[MutableMapping[str, Any]], Awaitable[None]]


def hiding_last_send(send: Send) -> Send:
    """``send``, with the contexts hidden for the message that completes the
    response (for responses sent by code that is not ours)."""

    async def wrapped(message: MutableMapping[str, Any]) -> None:
        if message["type"] == "http.response.body" and not message.get("more_body"):
            hidden = hide_contexts()
            try:
                await send(message)
            finally:
                show_contexts(hidden)
        else:
            await send(message)

    return wrapped
