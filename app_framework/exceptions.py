"""HTTP errors: werkzeug's exception classes, as Flask and Quart use them.

``abort(404)``, a view raising ``werkzeug.exceptions.NotFound``, and the
framework's own 404/405/413/400 are the same classes, so one
``errorhandler(404)``, ``errorhandler(NotFound)`` or
``errorhandler(HTTPException)`` catches them wherever they come from.
"""

from __future__ import annotations

from http import HTTPStatus
from typing import Any, NoReturn

from werkzeug.exceptions import Aborter as _WerkzeugAborter
from werkzeug.exceptions import (
    BadRequest,
    BadRequestKeyError,
    ClientDisconnected,
    Forbidden,
    HTTPException,
    InternalServerError,
    MethodNotAllowed,
    NotFound,
    RequestedRangeNotSatisfiable,
    RequestEntityTooLarge,
    SecurityError,
    ServiceUnavailable,
    UnsupportedMediaType,
    default_exceptions,
)

__all__ = [
    "Aborter",
    "BadRequest",
    "BadRequestKeyError",
    "ClientDisconnected",
    "ClientDisconnectedError",
    "Forbidden",
    "HTTPException",
    "InternalServerError",
    "MethodNotAllowed",
    "NotFound",
    "RequestEntityTooLarge",
    "RequestedRangeNotSatisfiable",
    "SecurityError",
    "ServiceUnavailable",
    "SetupConflictError",
    "SetupError",
    "UnsupportedMediaType",
    "abort",
    "describe",
    "http_error",
]


ClientDisconnectedError = ClientDisconnected
"""Quart 0.23's name for what a request body's or a stream's reader meets
when the client has gone: here werkzeug's ``ClientDisconnected`` (a 400),
the type the teardown of a stream cut short gets as ``exc``."""


def http_error(code: int, description: str | None = None) -> HTTPException:
    """werkzeug's exception for ``code`` (a plain ``HTTPException`` with that
    code for a status werkzeug has no class for)."""
    cls = default_exceptions.get(code)
    if cls is not None:
        return cls(description)
    error = HTTPException(description)
    error.code = code
    return error


class SetupError(RuntimeError, AssertionError):
    """A setup method (``add_url_rule``, ``before_request``...) called too
    late: on an app already serving, or a blueprint already registered.
    Also an ``AssertionError``, the class Flask raises there."""


class SetupConflictError(ValueError, AssertionError):
    """Setup arguments that cannot work together (``static_host`` without
    ``host_matching``...). Also an ``AssertionError``, as Flask raises."""


class Aborter(_WerkzeugAborter):
    """What ``abort`` calls (``app.aborter``, an instance of
    ``app.aborter_class``): werkzeug's ``Aborter``, which also takes this
    framework's responses and says what to write for a status it has no
    class for. ``Aborter(extra={418: ImATeapot})`` adds statuses."""

    def __call__(self, code: Any, *args: Any, **kwargs: Any) -> NoReturn:
        """Raise the HTTP error for ``code`` (or for a response).

        :raises HTTPException: always (a ``LookupError`` for an unknown code).
        """
        if not isinstance(code, int) or isinstance(code, bool):
            if args or kwargs:
                raise TypeError("abort(response) takes no other arguments")
            response: Any = code
            raise HTTPException(response=response)
        cls = self.mapping.get(code)
        if cls is None:
            raise LookupError(
                f"no HTTP error class for status {code}; use abort(response) "
                "with a response that has that status, or give the app an "
                "aborter that knows it (Aborter(extra={code: cls}))"
            )
        raise cls(*args, **kwargs)


_aborter = Aborter()


def abort(status: Any, *args: Any, **kwargs: Any) -> NoReturn:
    """Stop handling the request with an HTTP error, as Flask's ``abort``:
    ``abort(404)``, ``abort(403, "why")``, ``abort(401, www_authenticate=...)``
    or ``abort(response)`` to send that response as it is.

    The error goes to a registered ``errorhandler`` for its code or class,
    or becomes werkzeug's HTML error page. This one ignores the app (as
    ``werkzeug.exceptions.abort``); ``app_framework.abort`` calls the
    current app's ``aborter``.

    :raises HTTPException: always (a ``LookupError`` for an unknown code).
    """
    _aborter(status, *args, **kwargs)


def describe(exc: HTTPException) -> str:
    """A one-line text for ``exc``: code, phrase and description (used as a
    websocket close reason and in logs)."""
    code = exc.code or 500
    try:
        phrase = HTTPStatus(code).phrase
    except ValueError:
        phrase = "Error"
    detail = exc.description
    if detail and detail != phrase and detail != type(exc).description:
        return f"{code} {phrase}: {detail}"
    return f"{code} {phrase}"
