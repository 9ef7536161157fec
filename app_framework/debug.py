"""The traceback page shown for an unhandled error in debug mode, and
Quart's helper that gives it as a response."""

from __future__ import annotations

import html
import traceback

from .globals import _cv_app
from .wrappers.response import Response

__all__ = ["traceback_page", "traceback_response"]


def traceback_page(error: BaseException) -> str:
    """The 500 page in debug mode: the traceback, HTML-escaped (it may hold
    request data a client sent)."""
    detail = html.escape("".join(traceback.format_exception(error)))
    return (
        "<!doctype html>\n<html lang=en>\n<title>500 Internal Server Error</title>\n"
        "<h1>Internal Server Error</h1>\n"
        f"<p>{html.escape(repr(error))}</p>\n<pre>{detail}</pre>\n"
    )


async def traceback_response(error: BaseException) -> Response:
    """A 500 response whose body is :func:`traceback_page` for ``error``
    (Quart's helper), of the current app's ``response_class`` if an app
    context is active."""
    app_ctx = _cv_app.get(None)
    cls = app_ctx.app.response_class if app_ctx is not None else Response
    return cls(traceback_page(error), 500)
