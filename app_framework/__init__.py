"""app_framework: Flask's programming model on Starlette, asyncio-native.

Application and request contexts live in ``contextvars``; every request and
app context fires Flask's signals (through asignals) to sync and async
receivers. Serve an app with any ASGI server: ``uvicorn module:app``.
"""

from __future__ import annotations

# The one place the version is written: pyproject.toml reads it (hatch's
# dynamic version) and ``app-framework --version`` prints it.
__version__ = "0.1.0.dev0"

from . import json, signals
from ._context_helpers import (
    copy_current_app_context,
    copy_current_request_context,
    copy_current_websocket_context,
    stream_with_context,
)
from .app import App
from .blueprints import Blueprint
from .config import Config
from .exceptions import HTTPException
from .globals import (
    current_app,
    g,
    has_app_context,
    has_request_context,
    has_websocket_context,
    request,
    session,
    websocket,
)
from .helpers import (
    abort,
    after_this_request,
    flash,
    get_flashed_messages,
    jsonify,
    make_response,
    redirect,
    send_file,
    send_from_directory,
    stream_request_body,
    url_for,
)
from .routing import BuildError
from .signals import (
    appcontext_popped,
    appcontext_pushed,
    appcontext_tearing_down,
    before_render_template,
    got_background_exception,
    got_request_exception,
    got_serving_exception,
    got_websocket_exception,
    message_flashed,
    request_finished,
    request_started,
    request_tearing_down,
    serving_started,
    serving_stopping,
    template_rendered,
    websocket_finished,
    websocket_received,
    websocket_sent,
    websocket_started,
    websocket_tearing_down,
)
from .sse import EventStream, ServerSentEvent, last_event_id
from .templating import (
    get_template_attribute,
    render_template,
    render_template_string,
    stream_template,
    stream_template_string,
)
from .typing import ResponseReturnValue
from .wrappers import Request, Response, Websocket
from .wrappers.websocket import WebsocketDisconnected

__all__ = [
    "App",
    "Blueprint",
    "BuildError",
    "Config",
    "EventStream",
    "HTTPException",
    "Request",
    "Response",
    "ResponseReturnValue",
    "ServerSentEvent",
    "Websocket",
    "WebsocketDisconnected",
    "abort",
    "after_this_request",
    "appcontext_popped",
    "appcontext_pushed",
    "appcontext_tearing_down",
    "before_render_template",
    "copy_current_app_context",
    "copy_current_request_context",
    "copy_current_websocket_context",
    "current_app",
    "flash",
    "g",
    "get_flashed_messages",
    "get_template_attribute",
    "got_background_exception",
    "got_request_exception",
    "got_serving_exception",
    "got_websocket_exception",
    "has_app_context",
    "has_request_context",
    "has_websocket_context",
    "json",
    "jsonify",
    "last_event_id",
    "make_response",
    "message_flashed",
    "redirect",
    "render_template",
    "render_template_string",
    "request",
    "request_finished",
    "request_started",
    "request_tearing_down",
    "send_file",
    "send_from_directory",
    "serving_started",
    "serving_stopping",
    "session",
    "signals",
    "stream_request_body",
    "stream_template",
    "stream_template_string",
    "stream_with_context",
    "template_rendered",
    "url_for",
    "websocket",
    "websocket_finished",
    "websocket_received",
    "websocket_sent",
    "websocket_started",
    "websocket_tearing_down",
]
