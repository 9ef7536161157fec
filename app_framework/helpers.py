"""Helpers for views: responses, JSON, redirects and URLs."""

from __future__ import annotations

import os
import posixpath
from collections.abc import AsyncIterable, Iterator, Mapping
from typing import TYPE_CHECKING, Any

from starlette.datastructures import Headers
from starlette.responses import (
    FileResponse,
    JSONResponse,
    RedirectResponse,
    StreamingResponse,
)
from starlette.responses import Response as StarletteResponse

from .exceptions import HTTPException
from .globals import _cv_request, app_context, request_context
from .signals import message_flashed

if TYPE_CHECKING:
    from .ctx import RequestContext
from .wrappers import Response, html_response

__all__ = [
    "flash",
    "get_flashed_messages",
    "jsonify",
    "make_response",
    "redirect",
    "safe_join",
    "send_from_directory",
    "url_for",
]


def jsonify(*args: Any, **kwargs: Any) -> JSONResponse:
    """A JSON response: ``jsonify(obj)``, ``jsonify(a, b)`` (a list) or
    ``jsonify(key=value)`` (an object)."""
    if args and kwargs:
        raise TypeError("jsonify() takes positional or keyword arguments, not both")
    data: Any = kwargs if kwargs else (args[0] if len(args) == 1 else list(args))
    return JSONResponse(data)


def redirect(location: str, code: int = 302) -> RedirectResponse:
    """A redirect to ``location``. Characters such as CR/LF are percent-encoded,
    so a user-supplied target cannot inject headers."""
    return RedirectResponse(location, status_code=code)


def make_response(*args: Any) -> StarletteResponse:
    """Turn what a view may return into a response object, so headers can be
    set on it: ``response = make_response("hi", 201)``."""
    if not args:
        return Response()
    return to_response(args[0] if len(args) == 1 else args)


def to_response(rv: Any) -> StarletteResponse:
    """Convert a view's return value.

    Accepted: a Response (any Starlette response), ``str``/``bytes``
    (``text/html``), ``dict``/``list`` (JSON), an async or sync generator
    (streamed), or a tuple ``(body, status)``, ``(body, headers)`` or
    ``(body, status, headers)``.

    :raises TypeError: anything else, including None.
    """
    if type(rv) is str:  # the most common return value, first
        return html_response(rv)
    status: int | None = None
    headers: Any = None
    if isinstance(rv, tuple):
        if len(rv) == 3:
            rv, status, headers = rv
        elif len(rv) == 2:
            rv, extra = rv
            if isinstance(extra, Mapping | Headers | list):
                headers = extra
            else:
                status = extra
        else:
            raise TypeError(
                f"A view returned a tuple of length {len(rv)}; use (body, status), "
                "(body, headers) or (body, status, headers)"
            )
    response = _body_to_response(rv)
    if status is not None:
        response.status_code = int(status)
    if headers:
        items = headers.items() if isinstance(headers, Mapping | Headers) else headers
        for name, value in items:
            response.headers[name] = value
    return response


def _body_to_response(rv: Any) -> StarletteResponse:
    if isinstance(rv, StarletteResponse):
        return rv
    if isinstance(rv, str | bytes | bytearray):
        return html_response(rv)
    if isinstance(rv, dict | list):
        return JSONResponse(rv)
    if isinstance(rv, AsyncIterable | Iterator):
        return StreamingResponse(rv, media_type="text/html")
    if rv is None:
        raise TypeError(
            "The view did not return a valid response: it returned None. "
            "Return a str, bytes, dict, list, Response, generator or tuple."
        )
    raise TypeError(
        f"The view returned a {type(rv).__name__}, which is not a valid response. "
        "Return a str, bytes, dict, list, Response, generator or tuple."
    )


def url_for(
    endpoint: str,
    *,
    _external: bool = False,
    _anchor: str | None = None,
    _method: str | None = None,
    _scheme: str | None = None,
    **values: Any,
) -> str:
    """The URL of ``endpoint`` with ``values`` for its rule's parts; extra
    values become the query string. ``".view"`` means the current blueprint's
    view. ``_external`` gives an absolute URL (from the request, or from
    ``SERVER_NAME`` and ``PREFERRED_URL_SCHEME`` outside one).

    :raises RuntimeError: outside an application context.
    :raises BuildError: unknown endpoint or unsuitable values.
    """
    app = app_context().app
    ctx = _cv_request.get(None)
    if endpoint.startswith("."):
        blueprint = ctx.connection.blueprint if ctx is not None else None
        endpoint = f"{blueprint}{endpoint}" if blueprint else endpoint[1:]
    path = app.router.build(endpoint, values, _method)
    if ctx is not None:
        root: str = ctx.connection.scope.get("root_path", "")
    else:
        root = app.config["APPLICATION_ROOT"]
    url = root.rstrip("/") + path
    if _anchor is not None:
        url += "#" + _anchor
    if _external or _scheme is not None:
        url = _base_url(app.config, ctx, _scheme) + url
    return url


def _base_url(
    config: Mapping[str, Any], ctx: RequestContext | None, scheme: str | None
) -> str:
    if ctx is not None:
        base = ctx.connection.url
        return f"{scheme or base.scheme}://{base.netloc}"
    server = config["SERVER_NAME"]
    if not server:
        raise RuntimeError(
            "url_for(_external=True) outside a request needs app.config['SERVER_NAME']."
        )
    return f"{scheme or config['PREFERRED_URL_SCHEME']}://{server}"


def safe_join(directory: str, path: str) -> str | None:
    """``directory``/``path``, or None when ``path`` would leave ``directory``
    (``..`` parts, absolute paths, backslashes, or a link pointing out)."""
    normal = posixpath.normpath(path)
    if (
        not path
        or "\\" in path
        or "\0" in path
        or normal.startswith(("/", "../"))
        or normal == ".."
        or os.path.isabs(normal)
    ):
        return None
    root = os.path.realpath(directory)
    joined = os.path.realpath(os.path.join(root, normal))
    return joined if joined.startswith(root + os.sep) else None


def send_from_directory(directory: str, path: str) -> FileResponse:
    """A file from ``directory``; 404 when missing or outside it.

    :raises HTTPException: 404.
    """
    joined = safe_join(directory, path)
    if joined is None or not os.path.isfile(joined):
        raise HTTPException(404, f"The requested file {path!r} was not found.")
    return FileResponse(joined)


_FLASHES = "_flashes"


async def flash(message: str, category: str = "message") -> None:
    """Store ``message`` in the session for the next request to show, and
    send ``message_flashed(message=, category=)``.

    :raises RuntimeError: outside a request, or without ``SECRET_KEY``.
    """
    ctx = request_context()
    flashes = list(ctx.session.get(_FLASHES, []))
    flashes.append([category, message])
    ctx.session[_FLASHES] = flashes
    if message_flashed in ctx.app.listening:
        await message_flashed.send_async(ctx.app, message=message, category=category)


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
