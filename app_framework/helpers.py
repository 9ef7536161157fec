"""Helpers for views: responses, redirects, URLs, files and flashed messages."""

from __future__ import annotations

import asyncio
import inspect
from collections.abc import Awaitable, Callable, Coroutine
from typing import TYPE_CHECKING, Any, NoReturn, TypeVar, cast

from werkzeug.urls import iri_to_uri

from ._awaiting import PLAIN, use_of_result
from ._context_helpers import after_this_request, stream_with_context
from ._conversion import make_response_override, to_response
from ._sendfile import safe_join, send_file, send_from_directory
from ._urls import url_for
from .config import debug_flag, load_dotenv_flag
from .exceptions import abort as _abort
from .globals import _cv_app, app_context, request_context
from .json import jsonify
from .signals import DONE, emit, fire, message_flashed

if TYPE_CHECKING:
    from .wrappers.response import Response
    from .wrappers.response import Response as _Response  # redirect() has a parameter

    # named Response (Flask's signature), which hides the class there

__all__ = [
    "abort",
    "after_this_request",
    "flash",
    "get_debug_flag",
    "get_flashed_messages",
    "get_load_dotenv",
    "jsonify",
    "make_redirect",
    "make_response",
    "redirect",
    "safe_join",
    "send_file",
    "send_from_directory",
    "stream_request_body",
    "stream_with_context",
    "url_for",
]

F = TypeVar("F", bound=Callable[..., Any])


def get_debug_flag() -> bool:
    """Whether the environment asks for debug mode: ``APP_FRAMEWORK_DEBUG``,
    else Flask's ``FLASK_DEBUG``, set and not ``0``, ``false`` or ``no``
    (what ``DEBUG`` starts as in an app made now)."""
    return debug_flag()


def get_load_dotenv(default: bool = True) -> bool:
    """Whether the command line loads ``.flaskenv`` and ``.env``: ``default``
    unless ``APP_FRAMEWORK_SKIP_DOTENV`` (else ``FLASK_SKIP_DOTENV``) is set,
    then only when it is ``0``, ``false`` or ``no``."""
    return load_dotenv_flag(default)


def redirect(location: str, code: int = 302, Response: Any = None) -> _Response:
    """A redirect to ``location`` (Flask's: an HTML body and ``Location``),
    made by the current app's ``redirect`` method when there is one.
    Non-ASCII and unsafe characters (CR and LF included) are
    percent-encoded, so a user-supplied target cannot inject headers."""
    if Response is not None:  # an explicit class wins (Flask ignores it in an app)
        return make_redirect(location, code, Response)
    ctx = _cv_app.get(None)
    if ctx is not None:
        response: _Response = ctx.app.redirect(location, code)
        return response
    from .wrappers.response import Response as default

    return make_redirect(location, code, default)


def make_redirect(location: str, code: int, cls: type[_Response]) -> _Response:
    """A redirect response of class ``cls`` (``App.redirect``'s work)."""
    from html import escape

    target = iri_to_uri(location)
    body = (
        "<!doctype html>\n<html lang=en>\n<title>Redirecting...</title>\n"
        "<h1>Redirecting...</h1>\n<p>You should be redirected automatically to the "
        f'target URL: <a href="{escape(target)}">{escape(location)}</a>. If not, '
        "click the link.\n"
    )
    response = cls(body, code, mimetype="text/html")
    response.headers["Location"] = target
    return response


def abort(status: Any, *args: Any, **kwargs: Any) -> NoReturn:
    """Stop handling the request with an HTTP error: ``abort(404)``,
    ``abort(403, "why")``, ``abort(401, www_authenticate=...)`` or
    ``abort(response)``. Calls the current app's ``aborter`` (so an app
    can add statuses), else werkzeug's classes.

    :raises HTTPException: always (a ``LookupError`` for an unknown code).
    """
    ctx = _cv_app.get(None)
    if ctx is not None:
        ctx.app.aborter(status, *args, **kwargs)
    _abort(status, *args, **kwargs)


def make_response(*args: Any) -> Response:
    """Turn what a view may return into a response object, so headers can
    be set on it: ``response = make_response("hi", 201)``; with no
    arguments, an empty response. ``await make_response(...)`` (Quart's
    spelling) works too.

    :raises RuntimeError: outside an application context.
    """
    app = app_context().app
    if not args:
        return app.response_class()
    if inspect.iscoroutine(args[0]):
        args = (_result_of(args[0]), *args[1:])
    rv = args[0] if len(args) == 1 else args
    make = make_response_override(app)
    # Typed as Flask types it; a Starlette response passed in comes back as
    # is, and an async override's coroutine is awaited (Quart's spelling).
    response: Any = to_response(app, rv) if make is None else make(rv)
    return cast("Response", response)


def _result_of(coroutine: Coroutine[Any, Any, Any]) -> Any:
    """What ``coroutine`` (an async view called by a sync decorator, as
    Flask extensions write them) returns, run on the event loop from the
    sync view's worker thread."""
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        import anyio.from_thread  # only a sync view's worker thread needs it

        return anyio.from_thread.run(_awaited, coroutine)
    coroutine.close()  # never awaited: say so here, not in a warning later
    raise TypeError(
        "make_response() got a coroutine in async code, which cannot wait for "
        "it: write 'make_response(await view(...))'."
    )


async def _awaited(coroutine: Coroutine[Any, Any, Any]) -> Any:
    return await coroutine


_FLASHES = "_flashes"


class _Later:
    """An awaitable that starts its coroutine only when awaited, so leaving
    it un-awaited is not an error (no "never awaited" warning)."""

    __slots__ = ("_start",)

    def __init__(self, start: Callable[[], Awaitable[Any]]) -> None:
        self._start = start

    def __await__(self) -> Any:
        return self._start().__await__()


def flash(message: str, category: str = "message") -> Awaitable[None]:
    """Store ``message`` in the session for the next request to show, and
    send ``message_flashed(message=, category=)``.

    Both spellings send the signal: ``await flash("Saved")`` (Quart) awaits
    its receivers; ``flash("Saved")`` (Flask, in a sync view or an async
    one) calls them before it returns. Async receivers under an un-awaited
    ``flash()`` run from a sync view's worker thread on the event loop; in
    an async view they need the ``await``.

    :raises RuntimeError: outside a request, or without ``SECRET_KEY``; an
        un-awaited ``flash()`` in an async view with async receivers of
        ``message_flashed`` (the message is stored; write ``await flash()``).
    """
    ctx = request_context()
    flashes = list(ctx.session.get(_FLASHES, []))
    flashes.append([category, message])
    ctx.session[_FLASHES] = flashes
    app = ctx.app
    if use_of_result(1) == PLAIN:
        _flashed_now(app, {"message": message, "category": category})
        return DONE
    return _Later(
        lambda: emit(app, message_flashed, message=message, category=category)
    )


def _flashed_now(app: Any, kwargs: dict[str, Any]) -> None:
    """Send ``message_flashed`` for a ``flash()`` nobody awaits."""
    channel = app.signal_channels[message_flashed]
    entries = channel.current()
    if not entries:
        return
    if all(not is_async for _, is_async in entries):
        for get, _ in entries:
            receiver = get()
            if receiver is not None:
                receiver(app, **kwargs)
        return
    try:
        asyncio.get_running_loop()
    except RuntimeError:  # a sync view's worker thread: run them on the loop
        import anyio.from_thread

        anyio.from_thread.run(fire, channel, app, kwargs)
        return
    raise RuntimeError(
        "message_flashed has async receivers, which an un-awaited flash() "
        "in an async view cannot run: write 'await flash(...)' (the message "
        "is stored either way)."
    )


def get_flashed_messages(
    with_categories: bool = False, category_filter: tuple[str, ...] | list[str] = ()
) -> list[Any]:
    """The flashed messages, removed from the session on the first call in a
    request and returned again by later calls in the same request.

    :param with_categories: Return ``(category, message)`` pairs.
    :param category_filter: Only these categories.
    """
    ctx = request_context()
    if ctx.flashes is None:
        ctx.flashes = (
            [tuple(pair) for pair in ctx.session.pop(_FLASHES)]
            if _FLASHES in ctx.session
            else []
        )
    chosen = [p for p in ctx.flashes if not category_filter or p[0] in category_filter]
    return list(chosen) if with_categories else [message for _, message in chosen]


def stream_request_body(view: F) -> F:
    """Mark a view that reads the request body itself, as it arrives
    (``async for chunk in request.stream()``: an upload written to disk,
    say). The framework then does not read the body before the view runs
    (``PRELOAD_REQUEST_BODY``), so ``request.form`` and the rest need
    ``await`` there, as in Quart."""
    view.preload_body = False  # type: ignore[attr-defined]
    return view
