"""The demo ``make run`` serves: every framework signal, seen live.

Start: ``make run`` (or ``uvicorn examples.tour:app``), open
http://127.0.0.1:8000/ and the signal inspector at /_inspector/ in another
tab. Each of the framework's 20 signals has a sync receiver (which logs one
line: the signal, where it came from, its values) and an async one (which
counts it for the landing page). ``/pages/`` has templates, a layout and a
contact form that flashes (examples/pages.py); ``/chat/lobby`` is the chat
room (examples/chat.py).
"""

from __future__ import annotations

import asyncio
import logging
from collections import Counter
from collections.abc import AsyncIterator
from contextvars import ContextVar
from typing import Any

from starlette.types import ASGIApp, Receive, Scope, Send
from werkzeug.exceptions import HTTPException, InternalServerError

from app_framework import (
    App,
    Blueprint,
    Response,
    abort,
    g,
    render_template,
    request,
    send_from_directory,
    session,
    signals,
)
from app_framework.inspector import Inspector
from examples.chat import chat
from examples.pages import pages
from examples.site import navigation

log = logging.getLogger("tour")

app = App(__name__)
app.config.from_mapping(
    SECRET_KEY="tour-only-secret-change-me-in-production-0123456789",
    # The inspector shows request data, so it runs only with DEBUG on: fine
    # for a demo served on 127.0.0.1, never in production.
    DEBUG=True,
)
app.config.from_prefixed_env()  # e.g. APP_DEBUG=false
inspector = Inspector(app, enabled=app.debug)
app.context_processor(navigation)  # the header's links

SIGNALS = [
    "appcontext_pushed",
    "request_started",
    "before_render_template",
    "template_rendered",
    "message_flashed",
    "request_finished",
    "got_request_exception",
    "request_tearing_down",
    "appcontext_tearing_down",
    "appcontext_popped",
    "websocket_started",
    "websocket_received",
    "websocket_sent",
    "websocket_finished",
    "got_websocket_exception",
    "websocket_tearing_down",
    "serving_started",
    "serving_stopping",
    "got_serving_exception",
    "got_background_exception",
]
heard: Counter[str] = Counter()
"""How often each signal was heard (by its async receiver)."""


# What every template context holds: left out of the log line.
_DEFAULTS = {"config", "g", "request", "session", "get_flashed_messages", "url_for"}


def _value(value: Any) -> str:
    """A value as one short log word: no type names, no line breaks."""
    if isinstance(value, BaseException):
        text = f"{type(value).__name__}({str(value)!r})"
    elif hasattr(value, "status_code"):  # a response
        text = f"{value.status_code} {getattr(value, 'media_type', '') or ''}".strip()
    elif type(value).__name__ == "Template":
        text = repr(value.name)
    elif isinstance(value, dict):  # a template context: its own names
        text = "{" + ", ".join(k for k in value if k not in _DEFAULTS) + "}"
    else:
        text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


_where: ContextVar[str] = ContextVar("where", default="-")


class RememberWhere:
    """ASGI middleware: what the current connection is ("GET /path"), for
    log lines sent before the request context is pushed or after it is
    popped (the app context's signals)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] in ("http", "websocket"):
            method = scope.get("method", "WS")
            _where.set(f"{method} {scope['path']}")
        await self.app(scope, receive, send)


app.add_middleware(RememberWhere)


def connect_receivers(name: str) -> None:
    """A sync receiver that logs the send and an async one that counts it."""
    signal = getattr(signals, name)

    def log_it(sender: App, **kwargs: Any) -> None:
        values = " ".join(f"{key}={_value(value)}" for key, value in kwargs.items())
        log.info("%-24s %-22s %s", name, _where.get(), values)

    async def count_it(sender: App, **kwargs: Any) -> None:
        await asyncio.sleep(0)  # a real receiver would do I/O here
        heard[name] += 1

    # weak=False: these closures have no other owner.
    signal.connect(log_it, sender=app, weak=False)
    signal.connect(count_it, sender=app, weak=False)


for _name in SIGNALS:
    connect_receivers(_name)


@app.before_request
async def count_visits() -> None:
    # Pages only: stylesheets, the favicon and the API are not visits.
    if request.endpoint not in (None, "static", "favicon") and (
        request.blueprint != "inspector"
    ):
        session["visits"] = session.get("visits", 0) + 1
    g.visits = session.get("visits", 0)


@app.route("/")
async def index() -> str:
    return await render_template("index.html", signals=SIGNALS, heard=heard)


@app.route("/favicon.ico")
async def favicon() -> Response:
    # Browsers ask for /favicon.ico on pages that name no icon (the JSON
    # API, the text stream, the inspector): answer it, not with a 404.
    return send_from_directory("static", "favicon.ico", mimetype="image/x-icon")


@app.route("/users/<int:user_id>")
async def user(user_id: int) -> dict[str, Any]:
    return {"user_id": user_id, "path": request.path, "visits": g.visits}


@app.route("/countdown/<int:n>")
async def countdown(n: int) -> tuple[AsyncIterator[str], dict[str, str]]:
    async def stream() -> AsyncIterator[str]:
        for i in range(min(n, 10), 0, -1):
            # The contexts are still pushed while the body streams.
            yield f"{i}... (visit {g.visits}, {request.path})\n"
            await asyncio.sleep(0.2)
        yield "lift-off\n"

    # Plain text, so a browser shows the lines as they come.
    return stream(), {"content-type": "text/plain; charset=utf-8"}


@app.route("/sync")
def sync_view() -> str:
    # Plain functions run in a worker thread, contexts included.
    return f"sync view, visit {g.visits}"


@app.route("/teapot")
async def teapot() -> str:
    abort(418, "I only brew tea.")


@app.route("/fails")
async def fails() -> str:
    raise RuntimeError("this view fails on purpose: see got_request_exception")


@app.errorhandler(HTTPException)
async def http_error(error: HTTPException) -> tuple[str, int]:
    """Every HTTP error (404, 405, 418...) as a page in the site's style."""
    page = await render_template("error.html", error=error)
    return page, error.code or 500


@app.errorhandler(InternalServerError)
async def server_error(error: InternalServerError) -> tuple[str, int]:
    """An unhandled exception: the same page, without the details."""
    return await render_template("error.html", error=error), 500


api = Blueprint("api", __name__, url_prefix="/api")


@api.route("/status")
async def status() -> dict[str, Any]:
    return {"status": "ok", "endpoint": request.endpoint or "", "heard": heard}


app.register_blueprint(api)
app.register_blueprint(pages)  # templates, a layout, a flashing form
app.register_blueprint(chat)  # the chat room: websockets


def _configure_logging() -> None:
    # One line per signal, after uvicorn's own start-up lines.
    handler = logging.StreamHandler()
    handler.setFormatter(logging.Formatter("%(asctime)s %(message)s", "%H:%M:%S"))
    log.addHandler(handler)
    log.setLevel(logging.INFO)
    app.logger.setLevel(logging.INFO)  # DEBUG is on, but keep the log quiet


_configure_logging()


def _trace_when_installed() -> None:
    """With OpenTelemetry installed (``pip install "app-framework[otel]"``),
    every request and websocket is a span, logged at DEBUG as one line
    (``trace GET /users/<int:user_id> 200 1.8 ms trace_id=...``) on the
    ``tour.traces`` logger; without it, nothing changes."""
    try:
        from opentelemetry.sdk.trace import ReadableSpan, TracerProvider
        from opentelemetry.sdk.trace.export import (
            SimpleSpanProcessor,
            SpanExporter,
            SpanExportResult,
        )

        from app_framework.contrib.opentelemetry import instrument_app
    except ImportError:
        return
    traces = logging.getLogger("tour.traces")

    def log_span(span: ReadableSpan) -> None:
        took = ((span.end_time or 0) - (span.start_time or 0)) / 1e6
        status = (span.attributes or {}).get("http.response.status_code", "")
        traces.debug(
            "trace %s %s %.1f ms trace_id=%032x",
            span.name,
            status,
            took,
            span.context.trace_id,
        )

    class LoggedSpans(SpanExporter):
        def export(self, spans: Any) -> SpanExportResult:
            for span in spans:
                log_span(span)
            return SpanExportResult.SUCCESS

    provider = TracerProvider()
    provider.add_span_processor(SimpleSpanProcessor(LoggedSpans()))
    instrument_app(app, tracer_provider=provider)
    if app.debug:
        traces.setLevel(logging.DEBUG)


_trace_when_installed()
