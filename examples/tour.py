"""A tour of app_framework's signals, served by ``make run``.

Start: ``make run`` (or ``uvicorn examples.tour:app``), then open
http://127.0.0.1:8000/ and watch the log: every framework signal has a sync
and an async receiver that log when it fires. ``/pages/`` has templates, a
layout and a contact form that flashes (examples/pages.py).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator
from typing import Any

from app_framework import (
    App,
    Blueprint,
    abort,
    g,
    request,
    session,
    signals,
    url_for,
)
from examples.pages import pages

logging.basicConfig(level=logging.INFO, format="%(levelname)-7s %(name)s: %(message)s")
log = logging.getLogger("tour")

app = App(__name__)
app.config.from_mapping(
    SECRET_KEY="tour-only-secret-change-me-in-production-0123456789"
)

SIGNALS = [
    "appcontext_pushed",
    "request_started",
    "request_finished",
    "got_request_exception",
    "request_tearing_down",
    "appcontext_tearing_down",
    "appcontext_popped",
    "before_render_template",
    "template_rendered",
    "message_flashed",
]


def _describe(kwargs: dict[str, Any]) -> str:
    return ", ".join(f"{key}={type(value).__name__}" for key, value in kwargs.items())


def connect_loggers(name: str) -> None:
    """A sync and an async receiver for one signal, both logging."""
    signal = getattr(signals, name)

    def sync_receiver(sender: App, **kwargs: Any) -> None:
        log.info("[sync]  %-24s %s", name, _describe(kwargs))

    async def async_receiver(sender: App, **kwargs: Any) -> None:
        await asyncio.sleep(0)  # a real receiver would do I/O here
        log.info("[async] %-24s %s", name, _describe(kwargs))

    # weak=False: these closures have no other owner.
    signal.connect(sync_receiver, sender=app, weak=False)
    signal.connect(async_receiver, sender=app, weak=False)


for _name in SIGNALS:
    connect_loggers(_name)


@app.before_request
async def remember_start() -> None:
    g.visits = session.get("visits", 0) + 1
    session["visits"] = g.visits


@app.route("/")
async def index() -> str:
    links = [
        url_for("pages.home"),
        url_for("pages.contact"),
        url_for("user", user_id=42),
        url_for("api.status"),
        url_for("countdown", n=3),
        url_for("sync_view"),
        url_for("teapot"),
        url_for("fails"),
    ]
    items = "".join(f'<li><a href="{link}">{link}</a></li>' for link in links)
    return f"<h1>Signals tour</h1><p>Visit {g.visits}.</p><ul>{items}</ul>"


@app.route("/users/<int:user_id>")
async def user(user_id: int) -> dict[str, Any]:
    return {"user_id": user_id, "path": request.path, "visits": g.visits}


@app.route("/countdown/<int:n>")
async def countdown(n: int) -> AsyncIterator[str]:
    async def stream() -> AsyncIterator[str]:
        for i in range(n, 0, -1):
            # The contexts are still pushed while the body streams.
            yield f"{i}... (visit {g.visits} of {request.path})\n"
            await asyncio.sleep(0.2)
        yield "lift-off\n"

    return stream()


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


api = Blueprint("api", __name__, url_prefix="/api")
app.register_blueprint(pages)  # templates, a layout, a flashing form


@api.route("/status")
async def status() -> dict[str, str]:
    return {"status": "ok", "endpoint": request.endpoint or ""}


app.register_blueprint(api)
