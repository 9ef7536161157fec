"""HTTP errors: Starlette's ``HTTPException`` and what the pipeline adds."""

from __future__ import annotations

from http import HTTPStatus
from typing import NoReturn

from starlette.exceptions import HTTPException

__all__ = ["HTTPException", "InternalServerError", "abort"]


class InternalServerError(HTTPException):
    """What 500 error handlers receive for an unhandled exception.

    ``original_exception`` is the exception that was not handled.
    """

    def __init__(self, original_exception: BaseException | None = None) -> None:
        super().__init__(500)
        self.original_exception = original_exception


def abort(
    status: int, description: str | None = None, headers: dict[str, str] | None = None
) -> NoReturn:
    """Stop handling the request with an HTTP error (``abort(404)``).

    The error goes to a registered ``errorhandler(status)``, or becomes a
    plain response with the status and ``description``.

    :raises HTTPException: always.
    """
    raise HTTPException(status, description, headers)


def describe(exc: HTTPException) -> str:
    """The plain-text body of an HTTP error response: status, phrase, detail."""
    try:
        phrase = HTTPStatus(exc.status_code).phrase
    except ValueError:
        phrase = "Error"
    if exc.detail and exc.detail != phrase:
        return f"{exc.status_code} {phrase}: {exc.detail}\n"
    return f"{exc.status_code} {phrase}\n"
