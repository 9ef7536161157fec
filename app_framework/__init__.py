"""app_framework: Flask's programming model on Starlette, asyncio-native.

Application and request contexts live in ``contextvars``; every request and
app context fires Flask's signals (through asignals) to sync and async
receivers. Serve an app with any ASGI server: ``uvicorn module:app``.
"""

from __future__ import annotations

from . import signals
from .app import App
from .blueprints import Blueprint
from .config import Config
from .exceptions import HTTPException, abort
from .globals import (
    current_app,
    g,
    has_app_context,
    has_request_context,
    request,
    session,
)
from .helpers import (
    flash,
    get_flashed_messages,
    jsonify,
    make_response,
    redirect,
    send_from_directory,
    url_for,
)
from .routing import BuildError
from .signals import (
    appcontext_popped,
    appcontext_pushed,
    appcontext_tearing_down,
    before_render_template,
    got_request_exception,
    message_flashed,
    request_finished,
    request_started,
    request_tearing_down,
    template_rendered,
)
from .templating import (
    render_template,
    render_template_string,
    stream_template,
    stream_template_string,
)
from .wrappers import Request, Response

__all__ = [
    "App",
    "Blueprint",
    "BuildError",
    "Config",
    "HTTPException",
    "Request",
    "Response",
    "abort",
    "appcontext_popped",
    "appcontext_pushed",
    "appcontext_tearing_down",
    "before_render_template",
    "current_app",
    "flash",
    "g",
    "get_flashed_messages",
    "got_request_exception",
    "has_app_context",
    "has_request_context",
    "jsonify",
    "make_response",
    "message_flashed",
    "redirect",
    "render_template",
    "render_template_string",
    "request",
    "request_finished",
    "request_started",
    "request_tearing_down",
    "send_from_directory",
    "session",
    "signals",
    "stream_template",
    "stream_template_string",
    "template_rendered",
    "url_for",
]
