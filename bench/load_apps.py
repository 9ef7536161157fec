"""The apps bench/load.py serves, each answering GET /hello.

The app_framework apps also answer ``GET /_gc`` with how many collections
each garbage-collector generation has run, so the load test can report
collector passes per 1,000 requests (the route is not hit while measuring).
"""

from __future__ import annotations

import gc
from typing import Any

import quart
from blacksheep import Application as BlackSheepApplication
from blacksheep import text as blacksheep_text
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import PlainTextResponse
from starlette.routing import Route

import app_framework
from app_framework import session, signals

REQUEST_SIGNALS = [
    "appcontext_pushed",
    "request_started",
    "request_finished",
    "request_tearing_down",
    "appcontext_tearing_down",
    "appcontext_popped",
]

_collections = [0, 0, 0]


def _count(phase: str, info: dict[str, Any]) -> None:
    if phase == "start":
        _collections[info["generation"]] += 1


gc.callbacks.append(_count)


async def _hello(request: Request) -> PlainTextResponse:
    return PlainTextResponse("hello")


starlette_app = Starlette(routes=[Route("/hello", _hello)])


def _framework(name: str) -> app_framework.App:
    app = app_framework.App(name)

    @app.route("/_gc")
    async def collections() -> dict[str, Any]:
        return {"collections": _collections}

    return app


framework_app = _framework("load")


@framework_app.route("/hello")
async def hello() -> str:
    return "hello"


framework_receivers_app = _framework("load_receivers")
framework_receivers_app.add_url_rule("/hello", "hello", hello)
_kept: list[Any] = []
for _index, _name in enumerate(REQUEST_SIGNALS):
    # One receiver on each request-path signal, alternately sync and async,
    # as an app with logging or metrics has.
    if _index % 2:

        async def _receiver(sender: Any, **kwargs: Any) -> None:
            return None

    else:

        def _receiver(sender: Any, **kwargs: Any) -> None:  # type: ignore[misc]
            return None

    getattr(signals, _name).connect(_receiver, framework_receivers_app)
    _kept.append(_receiver)

framework_teardown_receivers_app = _framework("load_teardown_receivers")
framework_teardown_receivers_app.add_url_rule("/hello", "hello", hello)
for _name in REQUEST_SIGNALS[3:]:
    # One sync receiver on each teardown-side signal only.

    def _teardown_receiver(sender: Any, **kwargs: Any) -> None:
        return None

    getattr(signals, _name).connect(
        _teardown_receiver, framework_teardown_receivers_app
    )
    _kept.append(_teardown_receiver)

framework_session_app = _framework("load_session")
framework_session_app.config["SECRET_KEY"] = "load-test-key-0123456789abcdef-0123456789"


@framework_session_app.route("/hello")
async def hello_session() -> str:
    return "hello" if session.get("user") is None else "hello again"


quart_app = quart.Quart("load")


@quart_app.route("/hello")
async def quart_hello() -> str:
    return "hello"


blacksheep_app = BlackSheepApplication()


@blacksheep_app.router.get("/hello")
async def blacksheep_hello() -> Any:
    return blacksheep_text("hello")
