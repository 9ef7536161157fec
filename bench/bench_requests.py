"""Per-request cost in-process: each framework's ASGI app called directly.

Run: ``make bench`` (or ``.venv/bin/python bench/bench_requests.py``).

Every contender answers ``GET /hello`` with a short text body. The scope is
fixed; ``receive`` hands over an empty body; ``send`` drops the messages.
Contenders are interleaved round by round in one event loop and the median
microseconds per request is printed. "with receivers" connects one receiver
to each request-path signal, alternating sync and async, as a real app
with logging or metrics would.
"""

from __future__ import annotations

import asyncio
import statistics
import time
from collections.abc import Awaitable, Callable
from typing import Any

import anyio
import quart
import quart.signals
from starlette.applications import Starlette
from starlette.requests import Request as StarletteRequest
from starlette.responses import PlainTextResponse
from starlette.routing import Route

import app_framework
from app_framework import signals
from app_framework.inspector import Inspector

ASGI = Callable[..., Awaitable[None]]
ROUNDS = 15
REQUEST_SIGNALS = [
    "appcontext_pushed",
    "request_started",
    "request_finished",
    "request_tearing_down",
    "appcontext_tearing_down",
    "appcontext_popped",
]

SCOPE: dict[str, Any] = {
    "type": "http",
    "asgi": {"version": "3.0", "spec_version": "2.4"},
    "http_version": "1.1",
    "method": "GET",
    "scheme": "http",
    "server": ("127.0.0.1", 8000),
    "client": ("127.0.0.1", 50000),
    "root_path": "",
    "path": "/hello",
    "raw_path": b"/hello",
    "query_string": b"",
    "headers": [(b"host", b"127.0.0.1:8000"), (b"user-agent", b"bench")],
}


def make_receive() -> Callable[[], Awaitable[dict[str, Any]]]:
    """Like a server's: the (empty) body once, then wait as for a live client."""
    delivered = False

    async def receive() -> dict[str, Any]:
        nonlocal delivered
        if not delivered:
            delivered = True
            return {"type": "http.request", "body": b"", "more_body": False}
        await anyio.Event().wait()  # the client stays connected
        raise AssertionError("unreachable")

    return receive


async def send(message: dict[str, Any]) -> None:
    return None


async def raw_app(scope: dict[str, Any], receive: Any, send: Any) -> None:
    await send({"type": "http.response.start", "status": 200, "headers": []})
    await send({"type": "http.response.body", "body": b"hello"})


def starlette_app() -> ASGI:
    async def hello(request: StarletteRequest) -> PlainTextResponse:
        return PlainTextResponse("hello")

    return Starlette(routes=[Route("/hello", hello)])


def connect_half_and_half(namespace: Any, names: list[str], sender: Any) -> list[Any]:
    """One receiver per signal, alternating sync and async; returns them."""
    keep: list[Any] = []
    for index, name in enumerate(names):
        if index % 2:

            async def receiver(sender: Any, **kwargs: Any) -> None:
                return None

        else:

            def receiver(sender: Any, **kwargs: Any) -> None:  # type: ignore[misc]
                return None

        getattr(namespace, name).connect(receiver, sender, weak=False)
        keep.append(receiver)
    return keep


def framework_app(with_receivers: bool, all_sync: bool = False) -> ASGI:
    app = app_framework.App("bench")

    @app.route("/hello")
    async def hello() -> str:
        return "hello"

    if with_receivers and all_sync:
        connect_sync(signals, REQUEST_SIGNALS, app)
    elif with_receivers:
        connect_half_and_half(signals, REQUEST_SIGNALS, app)
    return app


def connect_sync(namespace: Any, names: list[str], sender: Any) -> list[Any]:
    """One sync receiver per signal (Flask's receivers are all sync)."""
    keep: list[Any] = []
    for name in names:

        def receiver(sender: Any, **kwargs: Any) -> None:
            return None

        getattr(namespace, name).connect(receiver, sender, weak=False)
        keep.append(receiver)
    return keep


def inspected_app(enabled: bool) -> ASGI:
    """The receivers app with an :class:`Inspector` (``enabled=False`` is
    how an app spells "only in development": it must cost nothing)."""
    app = framework_app(True)
    assert isinstance(app, app_framework.App)
    app.config["DEBUG"] = enabled
    Inspector(app, enabled=enabled)
    return app


class _CountingObserver:
    """An observer that counts the calls it hears (the cheapest useful one)."""

    def __init__(self) -> None:
        self.calls = 0

    def start(self, call: Any) -> None:
        self.calls += 1

    def end(self, call: Any, token: Any, error: BaseException | None) -> None:
        return None


def observed_app(observing: bool) -> ASGI:
    """The receivers app with a ``before_request`` and an ``after_request``
    hook, with an observer added to ``app.instrumentation`` or none (which
    must cost nothing: the plans hold the hooks themselves)."""
    app = framework_app(True)
    assert isinstance(app, app_framework.App)
    app.before_request(lambda: None)
    app.after_request(lambda response: response)
    if observing:
        app.instrumentation.add(_CountingObserver())
    return app


def slow_receivers_app(threshold_ms: float | None) -> ASGI:
    """The receivers app with ``SIGNAL_SLOW_RECEIVER_MS`` unset (it must
    cost nothing: nothing is installed) or set (every receiver timed; none
    is slow, so no line is logged)."""
    app = framework_app(True)
    assert isinstance(app, app_framework.App)
    app.config["SIGNAL_SLOW_RECEIVER_MS"] = threshold_ms
    return app


def blueprint_app(blueprints: int, routes_each: int) -> ASGI:
    """``blueprints`` blueprints, each with a before/after/teardown hook and
    ``routes_each`` routes (half of them with a path part); a request goes
    to the last route of the last blueprint, at ``/hello`` like the others."""
    app = app_framework.App("bench_many")

    def hooks(bp: app_framework.Blueprint) -> None:
        bp.before_request(lambda: None)
        bp.after_request(lambda response: response)
        bp.teardown_request(lambda exc: None)

    for number in range(blueprints):
        last = number == blueprints - 1
        bp = app_framework.Blueprint(
            f"bp{number}", __name__, url_prefix=None if last else f"/bp{number}"
        )
        hooks(bp)
        for route in range(routes_each):
            if last and route == routes_each - 1:
                bp.add_url_rule("/hello", "hello", _hello)
            elif route % 2:
                bp.add_url_rule(f"/items{route}/<int:item>", f"item{route}", _item)
            else:
                bp.add_url_rule(f"/page{route}", f"page{route}", _hello)
        app.register_blueprint(bp)
    return app


async def _hello() -> str:
    return "hello"


async def _item(item: int) -> str:
    return str(item)


def quart_app(with_receivers: bool) -> ASGI:
    app = quart.Quart("bench")

    @app.route("/hello")
    async def hello() -> str:
        return "hello"

    if with_receivers:
        connect_half_and_half(quart.signals, REQUEST_SIGNALS, app)
    return app


FORM = b"username=ada&password=secret"


def form_post_app(preload: bool) -> ASGI:
    """A small urlencoded POST whose view reads the form: the body read
    before the view (``PRELOAD_REQUEST_BODY``, Flask's ``request.form``) or
    by the view (``await request.form``). Both do the same reading; the
    difference is what preloading costs."""
    app = app_framework.App("bench")
    app.config["PRELOAD_REQUEST_BODY"] = preload

    @app.route("/form", methods=["POST"])
    async def form() -> str:
        data = (
            app_framework.request.form if preload else await app_framework.request.form
        )
        return str(data["username"])

    headers = [
        *SCOPE["headers"],
        (b"content-type", b"application/x-www-form-urlencoded"),
        (b"content-length", str(len(FORM)).encode()),
    ]
    scope = {**SCOPE, "method": "POST", "path": "/form", "raw_path": b"/form"}
    scope["headers"] = headers

    async def posted(_: Any, receive: Any, send: Any) -> None:
        delivered = False

        async def body() -> dict[str, Any]:
            nonlocal delivered
            if not delivered:
                delivered = True
                return {"type": "http.request", "body": FORM, "more_body": False}
            message: dict[str, Any] = await receive()
            return message

        await app(dict(scope), body, send)

    return posted


# Issue 16's targets, printed beside their rows.
TARGETS = {
    "app_framework, no receivers": "<= 0.95x Starlette",
    "app_framework, receivers": "<= 1.2x Starlette",
    "app_framework, receivers, inspector disabled": "= receivers (nothing installed)",
    "app_framework, receivers, SIGNAL_SLOW_RECEIVER_MS unset": "= receivers",
    "app_framework, receivers and hooks, no observer": "observing costs nothing unused",
}


async def per_request(app: ASGI, n: int) -> float:
    start = time.perf_counter()
    for _ in range(n):
        await app(dict(SCOPE), make_receive(), send)
    return (time.perf_counter() - start) / n * 1e6


async def measure(apps: dict[str, ASGI]) -> dict[str, float]:
    samples: dict[str, list[float]] = {name: [] for name in apps}
    counts = {}
    for name, app in apps.items():  # warm up and size each run to ~50 ms
        n = 50
        while await per_request(app, n) * n < 50_000:
            n *= 2
        counts[name] = n
    for _ in range(ROUNDS):
        for name, app in apps.items():
            samples[name].append(await per_request(app, counts[name]))
    return {name: statistics.median(values) for name, values in samples.items()}


async def main() -> None:
    quart_plain, quart_signals = quart_app(False), quart_app(True)
    for app in (quart_plain, quart_signals):
        await app.startup()  # type: ignore[attr-defined]
    apps: dict[str, ASGI] = {
        "raw ASGI callable": raw_app,
        "Starlette, one route": starlette_app(),
        "app_framework, no receivers": framework_app(False),
        "app_framework, receivers": framework_app(True),
        "app_framework, sync receivers": framework_app(True, all_sync=True),
        "app_framework, receivers, inspector disabled": inspected_app(False),
        "app_framework, receivers, inspector recording": inspected_app(True),
        "app_framework, receivers and hooks, no observer": observed_app(False),
        "app_framework, receivers and hooks, an observer": observed_app(True),
        "app_framework, receivers, SIGNAL_SLOW_RECEIVER_MS unset": (
            slow_receivers_app(None)
        ),
        "app_framework, receivers, SIGNAL_SLOW_RECEIVER_MS=100": (
            slow_receivers_app(100)
        ),
        "Quart, no receivers": quart_plain,
        "Quart, receivers": quart_signals,
        "app_framework, small form POST, await request.form": form_post_app(False),
        "app_framework, small form POST, preloaded request.form": form_post_app(True),
        "app_framework, 1 blueprint with hooks, 1 route": blueprint_app(1, 1),
        "app_framework, 10 blueprints with hooks, 200 routes": blueprint_app(10, 20),
    }
    results = await measure(apps)
    starlette = results["Starlette, one route"]
    print("In-process ASGI calls, median microseconds per request (lower is better)")
    print()
    print("| contender | µs/request | vs Starlette | target |")
    print("|---|---:|---:|---|")
    for name, micros in results.items():
        target = TARGETS.get(name, "")
        print(f"| {name} | {micros:,.1f} | {micros / starlette:.2f}x | {target} |")
    one = results["app_framework, 1 blueprint with hooks, 1 route"]
    many = results["app_framework, 10 blueprints with hooks, 200 routes"]
    inspector_off = results["app_framework, receivers, inspector disabled"]
    receivers = results["app_framework, receivers"]
    print()
    print(
        f"Inspector disabled vs not there: {inspector_off / receivers:.2f}x "
        "(target 1.00x: nothing is installed)"
    )
    slow_off = results["app_framework, receivers, SIGNAL_SLOW_RECEIVER_MS unset"]
    slow_on = results["app_framework, receivers, SIGNAL_SLOW_RECEIVER_MS=100"]
    print(
        f"SIGNAL_SLOW_RECEIVER_MS unset vs receivers: {slow_off / receivers:.2f}x "
        "(target 1.00x: nothing is installed); "
        f"set: {slow_on / receivers:.2f}x ({slow_on - receivers:+.1f} us a request, "
        "6 receivers timed)"
    )
    unobserved = results["app_framework, receivers and hooks, no observer"]
    observed = results["app_framework, receivers and hooks, an observer"]
    print(
        f"An observer on app.instrumentation: {observed / unobserved:.2f}x "
        f"({observed - unobserved:+.1f} us a request, 2 hooks, the view and "
        "6 receivers reported); none: the plans hold the callables themselves"
    )
    print(f"200 routes in 10 blueprints vs 1 route: {many / one:.2f}x (target <= 1.2x)")
    awaited = results["app_framework, small form POST, await request.form"]
    preloaded = results["app_framework, small form POST, preloaded request.form"]
    print(
        f"Preloading a small form: {preloaded - awaited:+.2f} us a request "
        "(target <= +0.3 us)"
    )


if __name__ == "__main__":
    asyncio.run(main())
