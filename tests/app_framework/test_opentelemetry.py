"""app_framework.contrib.opentelemetry, read back through the SDK's own
in-memory span exporter and metric reader."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from opentelemetry import trace
from opentelemetry.sdk.metrics import MeterProvider
from opentelemetry.sdk.metrics.export import InMemoryMetricReader
from opentelemetry.sdk.trace import ReadableSpan, TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import (
    InMemorySpanExporter,
)
from opentelemetry.trace import SpanKind, StatusCode

import asignals
from app_framework import App, g, render_template_string, signals
from app_framework.contrib.opentelemetry import instrument_app, uninstrument_app

TRACE_ID = "4bf92f3577b34da6a3ce929d0e0e4736"
PARENT_ID = "00f067aa0ba902b7"


class Telemetry:
    def __init__(self) -> None:
        self.exporter = InMemorySpanExporter()
        self.tracer_provider = TracerProvider()
        self.tracer_provider.add_span_processor(SimpleSpanProcessor(self.exporter))
        self.reader = InMemoryMetricReader()
        self.meter_provider = MeterProvider(metric_readers=[self.reader])

    def spans(self) -> list[ReadableSpan]:
        return list(self.exporter.get_finished_spans())

    def span(self, name: str) -> ReadableSpan:
        found = [s for s in self.spans() if s.name == name]
        assert len(found) == 1, [s.name for s in self.spans()]
        return found[0]

    def points(self, metric_name: str) -> list[Any]:
        data = self.reader.get_metrics_data()
        assert data is not None
        return [
            point
            for resource in data.resource_metrics
            for scope in resource.scope_metrics
            for metric in scope.metrics
            if metric.name == metric_name
            for point in metric.data.data_points
        ]

    def instrument(self, app: App, **options: Any) -> None:
        instrument_app(
            app,
            tracer_provider=self.tracer_provider,
            meter_provider=self.meter_provider,
            **options,
        )


@pytest.fixture
def otel() -> Iterator[Telemetry]:
    telemetry = Telemetry()
    yield telemetry
    telemetry.tracer_provider.shutdown()
    telemetry.meter_provider.shutdown()


@pytest.fixture
def shop(otel: Telemetry) -> Iterator[App]:
    app = App("shop")

    @app.route("/users/<int:user_id>")
    async def show_user(user_id: int) -> dict[str, Any]:
        current = trace.get_current_span().get_span_context()
        return {"id": user_id, "trace": format(current.trace_id, "032x")}

    @app.route("/boom")
    async def boom() -> str:
        raise LookupError("no such shelf")

    @app.route("/busy")
    async def busy() -> tuple[str, int]:
        return "try later", 503

    yield app
    uninstrument_app(app)


async def test_a_request_is_one_server_span_named_by_method_and_rule(
    shop: App, otel: Telemetry
) -> None:
    otel.instrument(shop)
    client = shop.test_client()
    response = await client.get(
        "/users/7?x=1",
        headers={"User-Agent": "probe/1.0", "Host": "shop.example:8443"},
    )
    span = otel.span("GET /users/<int:user_id>")
    assert span.kind is SpanKind.SERVER
    assert span.status.status_code is StatusCode.UNSET
    attributes = dict(span.attributes or {})
    assert attributes == {
        "http.request.method": "GET",
        "url.path": "/users/7",
        "url.scheme": "http",
        "http.route": "/users/<int:user_id>",
        "network.protocol.version": "1.1",
        "client.address": "127.0.0.1",
        "server.address": "shop.example",
        "server.port": 8443,
        "user_agent.original": "probe/1.0",
        "http.response.status_code": 200,
    }
    # Current while the view ran.
    assert response.json["trace"] == format(span.context.trace_id, "032x")


async def test_traceparent_makes_the_span_a_child_of_the_caller(
    shop: App, otel: Telemetry
) -> None:
    otel.instrument(shop)
    traceparent = f"00-{TRACE_ID}-{PARENT_ID}-01"
    await shop.test_client().get("/users/1", headers={"traceparent": traceparent})
    span = otel.span("GET /users/<int:user_id>")
    assert format(span.context.trace_id, "032x") == TRACE_ID
    assert span.parent is not None and format(span.parent.span_id, "016x") == PARENT_ID
    # The next request without a header starts a trace of its own.
    await shop.test_client().get("/users/2")
    spans = otel.spans()
    assert spans[1].parent is None
    assert spans[1].context.trace_id != spans[0].context.trace_id


async def test_an_unhandled_exception_is_recorded_and_the_status_is_error(
    shop: App, otel: Telemetry
) -> None:
    otel.instrument(shop)
    response = await shop.test_client().get("/boom")
    assert response.status_code == 500
    span = otel.span("GET /boom")
    assert span.status.status_code is StatusCode.ERROR
    assert span.attributes is not None
    assert span.attributes["error.type"] == "LookupError"
    assert span.attributes["http.response.status_code"] == 500
    [event] = span.events
    assert event.name == "exception"
    assert event.attributes is not None
    assert event.attributes["exception.message"] == "no such shelf"


async def test_a_5xx_without_exception_is_an_error_and_a_404_is_not(
    shop: App, otel: Telemetry
) -> None:
    otel.instrument(shop)
    client = shop.test_client()
    await client.get("/busy")
    await client.get("/nowhere")
    busy, missing = otel.spans()
    assert busy.status.status_code is StatusCode.ERROR
    assert busy.attributes is not None and busy.attributes["error.type"] == "503"
    assert missing.name == "GET"  # no rule matched: the method alone
    assert missing.status.status_code is StatusCode.UNSET
    assert missing.attributes is not None
    assert "http.route" not in missing.attributes


async def test_the_span_is_still_open_in_teardown_and_ends_after_it(
    shop: App, otel: Telemetry
) -> None:
    seen: list[bool] = []

    @shop.teardown_request
    def close_db(exc: BaseException | None) -> None:
        seen.append(trace.get_current_span().is_recording())

    otel.instrument(shop)
    await shop.test_client().get("/users/3")
    assert seen == [True]
    assert len(otel.spans()) == 1
    assert not trace.get_current_span().is_recording()  # the context restored


async def test_a_websocket_is_one_server_span(shop: App, otel: Telemetry) -> None:
    @shop.websocket("/echo/<room>")
    async def echo(room: str) -> None:
        from app_framework import websocket

        await websocket.accept()
        await websocket.send(await websocket.receive())

    otel.instrument(shop)
    async with shop.test_client().websocket("/echo/lobby") as ws:
        await ws.send("hi")
        assert await ws.receive() == "hi"
    span = otel.span("GET /echo/<room>")
    assert span.kind is SpanKind.SERVER
    assert span.attributes is not None and span.attributes["url.scheme"] == "ws"


async def test_request_metrics_by_route_method_and_status(
    shop: App, otel: Telemetry
) -> None:
    otel.instrument(shop)
    client = shop.test_client()
    await client.get("/users/1")
    await client.get("/users/2")
    await client.get("/boom")
    durations = {
        (p.attributes["http.route"], p.attributes["http.response.status_code"]): p
        for p in otel.points("http.server.request.duration")
    }
    assert set(durations) == {("/users/<int:user_id>", 200), ("/boom", 500)}
    ok = durations[("/users/<int:user_id>", 200)]
    assert ok.count == 2 and 0 < ok.sum < 5
    assert ok.attributes["http.request.method"] == "GET"
    assert durations[("/boom", 500)].attributes["error.type"] == "LookupError"
    [active] = otel.points("http.server.active_requests")
    assert active.value == 0


async def test_receivers_true_gives_a_child_span_per_hook_view_template_receiver(
    shop: App, otel: Telemetry
) -> None:
    order_placed = asignals.Namespace().signal("order-placed")

    @shop.before_request
    def load_user() -> None:
        g.user = "ada"

    @shop.route("/order")
    async def order() -> str:
        await order_placed.send_async(shop, order_id=5)
        return await render_template_string("ordered by {{ g.user }}")

    @order_placed.connect_via(shop)
    async def email_receipt(sender: App, order_id: int) -> None:
        pass

    @signals.request_finished.connect_via(shop)
    def count_response(sender: App, response: Any) -> None:
        pass

    otel.instrument(shop, receivers=True)
    assert (await shop.test_client().get("/order")).text == "ordered by ada"
    server = otel.span("GET /order")
    names = {s.name for s in otel.spans() if s.parent is not None}
    assert {
        f"before_request {__name__}.{load_user.__qualname__}",
        "view order",
        "template <string>",
        f"receiver order-placed {__name__}.{email_receipt.__qualname__}",
        f"receiver request_finished {__name__}.{count_response.__qualname__}",
    } <= names
    view = otel.span("view order")
    assert view.parent is not None and view.parent.span_id == server.context.span_id
    receipt = otel.span(
        f"receiver order-placed {__name__}.{email_receipt.__qualname__}"
    )
    assert receipt.parent is not None and receipt.parent.span_id == view.context.span_id
    timed = {
        p.attributes["signal"]
        for p in otel.points("app_framework.signal.receiver.duration")
    }
    assert {"order-placed", "request_finished"} <= timed


async def test_a_background_task_is_a_span_linked_to_its_request(
    shop: App, otel: Telemetry
) -> None:
    import asyncio

    done = asyncio.Event()

    async def send_newsletter() -> None:
        done.set()

    @shop.route("/subscribe")
    async def subscribe() -> str:
        shop.add_background_task(send_newsletter)
        return "ok"

    otel.instrument(shop, receivers=True)
    await shop.test_client().get("/subscribe")
    await asyncio.wait_for(done.wait(), 5)
    await shop.background.wait(5)
    request_span = otel.span("GET /subscribe")
    [task] = [s for s in otel.spans() if s.name.startswith("background ")]
    assert task.parent is None
    assert [link.context.span_id for link in task.links] == [
        request_span.context.span_id
    ]


async def test_without_receivers_no_call_is_observed(
    shop: App, otel: Telemetry
) -> None:
    otel.instrument(shop)
    assert not shop.instrumentation
    await shop.test_client().get("/users/1")
    assert [s.name for s in otel.spans()] == ["GET /users/<int:user_id>"]


async def test_instrumenting_twice_is_refused_and_close_undoes_it(
    shop: App, otel: Telemetry
) -> None:
    otel.instrument(shop)
    with pytest.raises(RuntimeError, match="instrumented already"):
        otel.instrument(shop)
    uninstrument_app(shop)
    await shop.test_client().get("/users/1")
    assert otel.spans() == []
    assert not signals.request_started.has_receivers_for(shop)


async def test_the_prometheus_recipe_serves_what_a_scraper_reads() -> None:
    """The README's /metrics recipe: the OTel Prometheus exporter, scraped."""
    from opentelemetry.exporter.prometheus import PrometheusMetricReader
    from prometheus_client import (
        CONTENT_TYPE_LATEST,
        CollectorRegistry,
        generate_latest,
    )
    from prometheus_client.parser import text_string_to_metric_families

    registry = CollectorRegistry()
    meter_provider = MeterProvider(
        metric_readers=[PrometheusMetricReader(registry=registry)]
    )
    app = App("metered")
    instrument_app(app, meter_provider=meter_provider, tracer_provider=TracerProvider())

    @app.route("/items/<int:number>")
    async def item(number: int) -> str:
        return f"item {number}"

    @app.route("/metrics")
    async def prometheus_metrics() -> Any:
        return app.response_class(
            generate_latest(registry), mimetype=CONTENT_TYPE_LATEST
        )

    try:
        client = app.test_client()
        await client.get("/items/1")
        await client.get("/items/2")
        scrape = await client.get("/metrics")
        assert scrape.headers["content-type"].startswith("text/plain; version=")
        samples = {
            (sample.name, sample.labels.get("http_route")): sample.value
            for family in text_string_to_metric_families(scrape.text)
            for sample in family.samples
        }
        count = samples[
            ("http_server_request_duration_seconds_count", "/items/<int:number>")
        ]
        assert count == 2
        assert samples[("http_server_active_requests", None)] == 1  # the scrape
    finally:
        meter_provider.shutdown()


async def test_its_own_receivers_make_no_spans(shop: App, otel: Telemetry) -> None:
    otel.instrument(shop, receivers=True)
    await shop.test_client().get("/users/7")
    own = [s.name for s in otel.spans() if "OpenTelemetryInstrumentation" in s.name]
    assert own == []
    # the request's span is the last to end: nothing of ours outlives it
    assert otel.spans()[-1].name == "GET /users/<int:user_id>"
