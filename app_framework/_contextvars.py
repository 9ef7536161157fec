"""The one context variable behind ``current_app``, ``g``, ``request``...

Both contexts live in ONE ``ContextVar`` holding the pair ``(app context,
request context)``: binding either sets a new pair (one token to reset),
and hiding both from the server around a send is one set and one reset.
``_cv_app`` and ``_cv_request`` are views of one half of the pair with
``ContextVar``'s ``get``/``set``/``reset``, for the code (and extensions)
written against Flask's two variables.

Defined at the bottom layer, so request and response objects can find the
current app (for its config and JSON provider) without importing the
context machinery above them; :mod:`.globals` builds the proxies on them.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, MutableMapping
from contextvars import ContextVar, Token
from typing import TYPE_CHECKING, Any, Generic, TypeVar, overload

if TYPE_CHECKING:
    from .ctx import AppContext, RequestContext

__all__ = [
    "NO_CONTEXTS",
    "_cv_app",
    "_cv_contexts",
    "_cv_request",
    "hide_contexts",
    "hiding_last_send",
    "show_contexts",
]

Contexts = tuple["AppContext | None", "RequestContext | None"]
NO_CONTEXTS: Contexts = (None, None)

_cv_contexts: ContextVar[Contexts] = ContextVar(
    "app_framework.contexts", default=NO_CONTEXTS
)
"""The current (app context, request context): each None when there is none."""

T = TypeVar("T")
D = TypeVar("D")
_MISSING: Any = object()


class ContextSlot(Generic[T]):
    """One half of :data:`_cv_contexts`, read and bound as a ``ContextVar``
    is: ``get(default)``, ``set(value)`` (a token), ``reset(token)``."""

    __slots__ = ("_index", "name")

    def __init__(self, name: str, index: int) -> None:
        self.name = name
        """The name Flask gives this variable (for reprs)."""
        self._index = index

    @overload
    def get(self) -> T: ...
    @overload
    def get(self, default: D) -> T | D: ...

    def get(self, default: Any = _MISSING) -> Any:
        """The current context; ``default`` (else ``LookupError``) when none."""
        ctx = _cv_contexts.get()[self._index]
        if ctx is not None:
            return ctx
        if default is _MISSING:
            raise LookupError(self.name)
        return default

    def set(self, value: T | None) -> Token[Contexts]:
        """Make ``value`` current (the other half unchanged); the token
        restores the pair as it was."""
        app, request = _cv_contexts.get()
        pair = (value, request) if self._index == 0 else (app, value)
        return _cv_contexts.set(pair)  # type: ignore[arg-type]

    def reset(self, token: Token[Contexts]) -> None:
        """Restore the pair as it was before the ``set`` that gave ``token``."""
        _cv_contexts.reset(token)

    def __repr__(self) -> str:
        return f"<ContextSlot {self.name!r}>"


_cv_app: ContextSlot[AppContext] = ContextSlot("app_framework.app_context", 0)
_cv_request: ContextSlot[RequestContext] = ContextSlot(
    "app_framework.request_context", 1
)


def hide_contexts() -> Token[Contexts]:
    """Unset both contexts in the current ``contextvars`` context until
    :func:`show_contexts`: around the send that completes a response.

    Servers copy the current context in that send (uvicorn's keep-alive
    timer does, for every response). A copy that still held the request
    would keep the request's every object alive until the connection's
    next request; with many keep-alive connections those objects outnumber
    the garbage collector's young-generation threshold, and the collector
    then runs over and over (a full collection every ~100 young ones) for
    nothing, which is what made p99 latency jump with sessions on."""
    return _cv_contexts.set(NO_CONTEXTS)


def show_contexts(hidden: Token[Contexts]) -> None:
    """Undo :func:`hide_contexts`."""
    _cv_contexts.reset(hidden)


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
