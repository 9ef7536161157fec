"""What a view may return, turned into ``app.response_class`` (Flask's
``make_response`` rules), and HTTP errors turned into responses."""

from __future__ import annotations

from collections.abc import (
    AsyncIterable,
    Awaitable,
    Callable,
    Coroutine,
    Iterator,
    Mapping,
)
from typing import TYPE_CHECKING, Any

from starlette.responses import Response as StarletteResponse
from werkzeug.datastructures import Headers

from ._contextvars import _cv_request
from .exceptions import HTTPException
from .wrappers.response import Response, html_response

if TYPE_CHECKING:
    from .app import App

__all__ = [
    "default_make_response",
    "error_response",
    "made_response",
    "make_response_override",
    "to_response",
]

_ACCEPTED = (
    "Return a str, bytes, dict, list, Response, HTTPException, generator, or "
    "a tuple (body, status), (body, headers) or (body, status, headers)."
)


def to_response(app: App, rv: Any, view: Any = None) -> StarletteResponse:
    """The response for a view's return value.

    :param view: The view's name, or the request (whose endpoint names it),
        for the error message; looked at only when there is an error.
    :raises TypeError: an unsupported value (None included), naming the view
        and saying what to return.
    """
    if type(rv) is str and app.response_class is Response:
        return html_response(rv)  # the most common case, fast
    status: Any = None
    headers: Any = None
    if isinstance(rv, tuple):
        rv, status, headers = _unpack(rv, view)
    response = _body_to_response(app, rv, view)
    if status is not None:
        if isinstance(response, Response):
            response.status = status
        else:
            response.status_code = int(status)
    if headers:
        _update_headers(response, headers)
    return response


def default_make_response(app: App, rv: Any) -> Any:
    """Turn a view's return value into a response (``app.response_class``,
    or the Starlette response returned). ``app.make_response(rv)`` (Flask)
    and ``await app.make_response(rv)`` (Quart) both work: the response is
    awaitable. A subclass or an extension may override it, sync or async:
    the pipeline then calls the override for every view's return value.
    (Typed ``Any``, so that both kinds of override type-check.)

    :raises TypeError: an unsupported value, saying what to return.
    """
    ctx = _cv_request.get(None)  # names the view in the error message
    return to_response(app, rv, ctx.connection if ctx is not None else None)


def make_response_override(app: App) -> Callable[[Any], Any] | None:
    """``app.make_response`` when a subclass or an extension (Quart's
    extensions wrap it in ``init_app``) replaced the framework's, else None:
    the pipeline then converts inline, at no cost."""
    replaced: Callable[[Any], Any] | None = vars(app).get("make_response")
    if replaced is None and type(app).make_response is not default_make_response:
        replaced = app.make_response
    return replaced


async def made_response(make: Callable[[Any], Any], rv: Any) -> StarletteResponse:
    """The response an overriding ``make_response`` gives for ``rv``,
    awaited when it is async.

    :raises TypeError: the override gave no response.
    """
    made = make(rv)
    if not isinstance(made, StarletteResponse) and isinstance(made, Awaitable):
        made = await made
    if not isinstance(made, StarletteResponse):
        raise TypeError(
            f"make_response returned a {type(made).__name__}, not a response: "
            "an override must return what the framework's gives, e.g. end it "
            "with 'return await super().make_response(rv)'."
        )
    return made


def _name(view: Any) -> str:
    name = getattr(view, "endpoint", view)
    return repr(name or "?")


def _unpack(rv: tuple[Any, ...], view: Any) -> tuple[Any, Any, Any]:
    if len(rv) == 3:
        return rv[0], rv[1], rv[2]
    if len(rv) == 2:
        body, extra = rv
        if isinstance(extra, Mapping | Headers | list):
            return body, None, extra
        return body, extra, None
    raise TypeError(
        f"The view {_name(view)} returned a tuple of length {len(rv)}, but a "
        "response tuple must have the form (body, status), (body, headers) or "
        "(body, status, headers)."
    )


def _update_headers(response: StarletteResponse, headers: Any) -> None:
    items = headers.items() if isinstance(headers, Mapping | Headers) else headers
    target = response.headers
    seen: set[str] = set()
    for name, value in items:
        key = name.lower()
        if key in seen:  # several values of one name (a list of pairs)
            target.append(name, str(value))
        else:
            target[name] = str(value)
            seen.add(key)


def _body_to_response(app: App, rv: Any, view: Any) -> StarletteResponse:
    if isinstance(rv, StarletteResponse):
        return rv
    cls = app.response_class
    if isinstance(rv, str | bytes | bytearray):
        return cls(rv)
    if isinstance(rv, dict | list):
        return app.json.response(rv)
    if isinstance(rv, HTTPException):
        return error_response(app, rv)
    if isinstance(rv, AsyncIterable | Iterator):
        return cls(rv)
    if _is_werkzeug_response(rv):
        return cls(rv.get_data(), rv.status_code, list(rv.headers.items()))
    if rv is None:
        raise TypeError(
            f"The view {_name(view)} did not return a valid response: it "
            "returned None (or ended without a return statement). " + _ACCEPTED
        )
    if isinstance(rv, Coroutine):
        raise _unawaited(rv, view)
    raise TypeError(
        f"The view {_name(view)} did not return a valid response: it was a "
        f"{type(rv).__name__}. " + _ACCEPTED
    )


def _unawaited(coroutine: Coroutine[Any, Any, Any], view: Any) -> TypeError:
    """The error for an async view that returned ``render_template(...)``
    (or another coroutine function's call) without awaiting it."""
    name = getattr(coroutine, "__name__", "render_template")
    # Closed, it is not reported again as "never awaited" when collected.
    coroutine.close()
    return TypeError(
        f"The view {_name(view)} did not return a valid response: it returned "
        f"the coroutine {name}() without awaiting it. Did you forget 'await'? "
        f"e.g. return await {name}(...)"
    )


def _is_werkzeug_response(rv: Any) -> bool:
    """A werkzeug (WSGI) response, as Flask code may build one."""
    return all(hasattr(rv, name) for name in ("get_data", "status_code", "headers"))


def error_response(app: App, exc: HTTPException) -> StarletteResponse:
    """The response for an HTTP error: the response it carries (``abort(response)``),
    or werkzeug's HTML error page with its status and headers."""
    carried = exc.response
    if carried is not None:
        return _body_to_response(app, carried, None)
    body = exc.get_body()
    return app.response_class(body, exc.code or 500, exc.get_headers())
