"""Context variables and the proxies that read them.

One ``ContextVar`` holds both contexts (see :mod:`._contextvars`):
pushing a context sets it, popping resets it with the token, so asyncio
tasks and worker threads that copy the context see the contexts that were
current when they started, as in Flask 3.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING, Any, cast

from ._awaiting import passes_through
from ._contextvars import _cv_app, _cv_contexts, _cv_request

if TYPE_CHECKING:
    from .app import App
    from .ctx import AppContext, AppGlobals, RequestContext
    from .sessions import Session
    from .wrappers import Request, Websocket

__all__ = [
    "_cv_app",
    "_cv_request",
    "app_context",
    "app_ctx",
    "current_app",
    "g",
    "has_app_context",
    "has_request_context",
    "has_websocket_context",
    "request",
    "request_context",
    "request_ctx",
    "session",
    "websocket",
]

_NO_APP = (
    "Working outside of application context. Push one with "
    "'async with app.app_context():' (or make a request) first."
)
_NO_REQUEST = (
    "Working outside of request context. This needs an active request; in "
    "tests use 'async with app.test_request_context(\"/\"):'."
)


def app_context() -> AppContext:
    """The current application context, or a ``RuntimeError`` saying how to get one."""
    ctx = _cv_contexts.get()[0]
    if ctx is None:
        raise RuntimeError(_NO_APP)
    return ctx


def request_context() -> RequestContext:
    """The current request context, or a ``RuntimeError`` saying how to get one."""
    ctx = _cv_contexts.get()[1]
    if ctx is None:
        raise RuntimeError(_NO_REQUEST)
    return ctx


def has_app_context() -> bool:
    """Whether an application context is active (``current_app`` and ``g`` work)."""
    return _cv_contexts.get()[0] is not None


def has_request_context() -> bool:
    """Whether an HTTP request is being handled (``request`` and ``session`` work)."""
    ctx = _cv_contexts.get()[1]
    return ctx is not None and not ctx.kind.websocket


def has_websocket_context() -> bool:
    """Whether a websocket is being handled (``websocket`` and ``session`` work)."""
    ctx = _cv_contexts.get()[1]
    return ctx is not None and ctx.kind.websocket


class _Proxy:
    """Forwards everything to the object its getter returns right now."""

    __slots__ = ("_get",)

    def __init__(self, get: Callable[[], Any]) -> None:
        object.__setattr__(self, "_get", get)

    def _get_current_object(self) -> Any:
        return self._get()

    def __getattr__(self, name: str) -> Any:
        return getattr(self._get(), name)

    def __setattr__(self, name: str, value: Any) -> None:
        setattr(self._get(), name, value)

    def __delattr__(self, name: str) -> None:
        delattr(self._get(), name)

    def __getitem__(self, key: Any) -> Any:
        return self._get()[key]

    def __setitem__(self, key: Any, value: Any) -> None:
        self._get()[key] = value

    def __delitem__(self, key: Any) -> None:
        del self._get()[key]

    def __contains__(self, key: Any) -> bool:
        return key in self._get()

    def __iter__(self) -> Iterator[Any]:
        return iter(self._get())

    def __len__(self) -> int:
        return len(self._get())

    def __bool__(self) -> bool:
        try:
            return bool(self._get())
        except RuntimeError:
            return False

    def __eq__(self, other: object) -> bool:
        return bool(self._get() == other)

    def __ne__(self, other: object) -> bool:
        return bool(self._get() != other)

    __hash__ = None  # type: ignore[assignment]

    def __repr__(self) -> str:
        try:
            return repr(self._get())
        except RuntimeError:
            # werkzeug's LocalProxy wording, which Flask code may look for.
            return "<LocalProxy unbound>"


# What ``request.form`` or ``request.get_json()`` answers depends on how the
# code that wrote it uses the value (see _awaiting): the proxy is not it.
passes_through(_Proxy.__getattr__.__code__)


def _current_app() -> App:
    return app_context().app


def _g() -> AppGlobals:
    return app_context().g


def _request() -> Request:
    return request_context().request


def _websocket() -> Websocket:
    return request_context().websocket


def _session() -> Session:
    return request_context().session


app_ctx: AppContext = cast("AppContext", _Proxy(app_context))
"""The current application context (``app_ctx.app``, ``app_ctx.g``), as
Flask's ``flask.globals.app_ctx``; mostly for extensions."""

request_ctx: RequestContext = cast("RequestContext", _Proxy(request_context))
"""The current request (or websocket) context (``request_ctx.request``,
``request_ctx.session``), as Flask's ``flask.globals.request_ctx``."""

current_app: App = cast("App", _Proxy(_current_app))
"""The application handling the current request or app context."""

g: AppGlobals = cast("AppGlobals", _Proxy(_g))
"""A namespace for data during one application context (one request)."""

request: Request = cast("Request", _Proxy(_request))
"""The current request."""

websocket: Websocket = cast("Websocket", _Proxy(_websocket))
"""The current websocket (in websocket views and their hooks)."""

session: Session = cast("Session", _Proxy(_session))
"""The current request's session (a dict that tracks changes)."""
