"""What tracing costs a request: app_framework's ``instrument_app`` against
``opentelemetry-instrumentation-asgi``'s middleware on Starlette.

Run: ``.venv/bin/python bench/bench_observability.py`` from a directory holding
no ``bench/`` package (``bench_requests.py``'s note applies)
(the harness is ``bench_requests.py``'s: each ASGI app called directly,
interleaved round by round, median µs per request).

Both tracers use the OpenTelemetry SDK with a span processor that hands
every span to an exporter that drops it, and the same SDK meter provider
(with a reader), so each pays for making and ending its spans and recording
its metrics, not for shipping them. The target: tracing on costs
app_framework less per request than the middleware costs Starlette.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from typing import Any

from bench_requests import ASGI, measure, starlette_app
from opentelemetry.instrumentation.asgi import OpenTelemetryMiddleware
from opentelemetry.sdk.metrics import MeterProvider
from opentelemetry.sdk.metrics.export import InMemoryMetricReader
from opentelemetry.sdk.trace import ReadableSpan, TracerProvider
from opentelemetry.sdk.trace.export import (
    SimpleSpanProcessor,
    SpanExporter,
    SpanExportResult,
)

import app_framework
from app_framework.contrib.opentelemetry import instrument_app


class Dropped(SpanExporter):
    """Takes every span and keeps none."""

    def export(self, spans: Sequence[ReadableSpan]) -> SpanExportResult:
        return SpanExportResult.SUCCESS


def providers() -> dict[str, Any]:
    tracer_provider = TracerProvider()
    tracer_provider.add_span_processor(SimpleSpanProcessor(Dropped()))
    meter_provider = MeterProvider(metric_readers=[InMemoryMetricReader()])
    return {"tracer_provider": tracer_provider, "meter_provider": meter_provider}


def framework_app(traced: bool, receivers: bool = False) -> ASGI:
    app = app_framework.App("bench")

    @app.route("/hello")
    async def hello() -> str:
        return "hello"

    if traced:
        instrument_app(app, receivers=receivers, **providers())
    return app


def traced_starlette() -> ASGI:
    return OpenTelemetryMiddleware(starlette_app(), **providers())


async def main() -> None:
    apps = {
        "app_framework": framework_app(False),
        "app_framework + instrument_app": framework_app(True),
        "app_framework + instrument_app(receivers=True)": framework_app(True, True),
        "Starlette": starlette_app(),
        "Starlette + OpenTelemetryMiddleware": traced_starlette(),
    }
    us = await measure(apps)
    ours = us["app_framework + instrument_app"] - us["app_framework"]
    theirs = us["Starlette + OpenTelemetryMiddleware"] - us["Starlette"]
    print("µs per request (GET /hello, in-process, median of 15 rounds)")
    print()
    print("| contender | µs/request | tracing adds µs |")
    print("|---|---:|---:|")
    plain = {"app_framework": us["app_framework"], "Starlette": us["Starlette"]}
    for name, value in us.items():
        base = plain["Starlette" if name.startswith("Starlette") else "app_framework"]
        added = "" if name in plain else f"{value - base:.1f}"
        print(f"| {name} | {value:.1f} | {added} |")
    print()
    verdict = "met" if ours < theirs else "NOT met"
    print(
        f"target: instrument_app adds {ours:.1f} µs < the ASGI middleware's "
        f"{theirs:.1f} µs on Starlette: {verdict}"
    )


if __name__ == "__main__":
    asyncio.run(main())
