"""Carrying contexts into other tasks, threads and callbacks.

``copy_current_request_context(func)`` returns a function that runs with
the request (and app) context current when it was made: ``request``,
``session`` and ``g`` work inside it wherever it is called, in another task
or thread. It binds the same context objects; it does not push them again,
so no signals are sent and no teardown runs twice (Flask and Quart push a
copy, which runs the teardown functions a second time).
"""

from __future__ import annotations

import functools
from collections.abc import AsyncIterable, Callable, Iterable, Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any, TypeVar

from ._concurrency import is_async_callable
from .globals import _cv_app, _cv_request, app_context, request_context

if TYPE_CHECKING:
    from .ctx import AppContext, RequestContext

__all__ = [
    "after_this_request",
    "copy_current_app_context",
    "copy_current_request_context",
    "copy_current_websocket_context",
    "stream_with_context",
]

F = TypeVar("F", bound=Callable[..., Any])
T = TypeVar("T")


@contextmanager
def _bound(app_ctx: AppContext, ctx: RequestContext | None) -> Iterator[None]:
    app_token = _cv_app.set(app_ctx)
    request_token = _cv_request.set(ctx) if ctx is not None else None
    try:
        yield
    finally:
        if request_token is not None:
            _cv_request.reset(request_token)
        _cv_app.reset(app_token)


def _wrap(func: F, app_ctx: AppContext, ctx: RequestContext | None) -> F:
    if is_async_callable(func):

        @functools.wraps(func)
        async def run_async(*args: Any, **kwargs: Any) -> Any:
            with _bound(app_ctx, ctx):
                return await func(*args, **kwargs)

        return run_async  # type: ignore[return-value]

    @functools.wraps(func)
    def run(*args: Any, **kwargs: Any) -> Any:
        with _bound(app_ctx, ctx):
            return func(*args, **kwargs)

    return run  # type: ignore[return-value]


def copy_current_request_context(func: F) -> F:
    """``func`` (sync or async), bound to the current request context, to
    call later from another task or thread.

    :raises RuntimeError: no request is being handled.
    """
    ctx = request_context()
    if ctx.kind.websocket:
        raise RuntimeError("This is a websocket: use copy_current_websocket_context().")
    return _wrap(func, app_context(), ctx)


def copy_current_websocket_context(func: F) -> F:
    """``func``, bound to the current websocket context (see
    :func:`copy_current_request_context`).

    :raises RuntimeError: no websocket is being handled.
    """
    ctx = request_context()
    if not ctx.kind.websocket:
        raise RuntimeError(
            "This is an HTTP request: use copy_current_request_context()."
        )
    return _wrap(func, app_context(), ctx)


def copy_current_app_context(func: F) -> F:
    """``func``, bound to the current application context only (``g`` and
    ``current_app``; not the request).

    :raises RuntimeError: no application context is active.
    """
    return _wrap(func, app_context(), None)


def stream_with_context(generator_or_function: T) -> T:
    """Flask's helper to keep the request context in a streamed body. Here
    every streamed body already runs with the request's contexts pushed, so
    this returns its argument unchanged (a generator, or a function making
    one); it is kept so Flask code runs as it is.

    :raises RuntimeError: given a generator (or any iterable) outside a
        request, as Flask's does: no request is there to stream it in.
    """
    if isinstance(generator_or_function, Iterable | AsyncIterable):
        request_context()
    return generator_or_function


def after_this_request(func: F) -> F:
    """Run ``func(response)`` after this request's view, before the
    ``after_request`` hooks; it returns the response (sync or async).

    :raises RuntimeError: outside a request.
    """
    request_context().after_request_funcs.append(func)
    return func
