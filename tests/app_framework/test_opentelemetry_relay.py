"""The signal relay's health through instrument_app: two workers of one app
on a real Redis, each with its own meter provider, read back through the
SDK's in-memory reader (and once through the Prometheus exporter)."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Callable, Iterator
from typing import Any

import pytest
from opentelemetry.sdk.metrics import MeterProvider
from opentelemetry.sdk.metrics.export import InMemoryMetricReader
from opentelemetry.sdk.trace import TracerProvider

from app_framework import App
from app_framework.contrib.opentelemetry import instrument_app, uninstrument_app
from asignals import Namespace
from asignals.relay import COUNTERS
from tests.helpers.redis_server import RedisServer, redis_server

LATENCY = "app_framework.relay.delivery.latency"


class Worker:
    """One process's app, its shared signals and what its metrics say."""

    def __init__(self, url: str | None) -> None:
        self.app = App("board")
        self.app.config.update(SECRET_KEY="s" * 32, SIGNAL_RELAY_URL=url)
        self.posted = Namespace().signal("posted")
        self.app.share_signal(self.posted)
        self.tiny = Namespace().signal("tiny")
        self.app.share_signal(self.tiny, max_bytes=64)
        self.reader = InMemoryMetricReader()
        self.meters = MeterProvider(metric_readers=[self.reader])
        instrument_app(
            self.app, meter_provider=self.meters, tracer_provider=TracerProvider()
        )

    def metrics(self) -> dict[str, list[Any]]:
        """Each relay metric's points, collected now."""
        data = self.reader.get_metrics_data()
        found: dict[str, list[Any]] = {}
        for resource in data.resource_metrics if data is not None else ():
            for scope in resource.scope_metrics:
                for metric in scope.metrics:
                    if metric.name.startswith("app_framework.relay."):
                        found[metric.name] = list(metric.data.data_points)
        return found

    def value(self, name: str, **attributes: Any) -> Any:
        points = self.metrics().get(name, [])
        matching = [p.value for p in points if dict(p.attributes or {}) == attributes]
        return matching[0] if matching else None

    def relay_id(self) -> str:
        assert self.app.relay is not None
        return self.app.relay.id


@pytest.fixture
def server() -> Iterator[RedisServer]:
    with redis_server() as running:
        yield running


@pytest.fixture
async def workers(server: RedisServer) -> AsyncIterator[tuple[Worker, Worker]]:
    pair = (Worker(server.url), Worker(server.url))
    for worker in pair:
        await worker.app.startup()
    yield pair
    for worker in pair:
        await worker.app.shutdown()
        worker.meters.shutdown()


async def until(check: Callable[[], Any], within: float = 5.0) -> Any:
    """Poll ``check`` until it returns something true (bounded)."""
    deadline = time.monotonic() + within
    while not (found := check()):
        assert time.monotonic() < deadline, "not seen in time"
        await asyncio.sleep(0.02)
    return found


async def test_each_worker_exports_its_relay_counters(
    workers: tuple[Worker, Worker],
) -> None:
    sender, receiver = workers
    await until(lambda: receiver.value("app_framework.relay.subscribed") == 1)
    await until(lambda: sender.value("app_framework.relay.subscribed") == 1)
    for number in range(3):
        await sender.posted.send_async(sender.app, number=number)
    await until(lambda: receiver.value("app_framework.relay.delivered") == 3)
    assert sender.value("app_framework.relay.published") == 3
    assert sender.value("app_framework.relay.delivered") == 0  # never its own

    await sender.tiny.send_async(sender.app, text="x" * 100)  # over max_bytes
    dropped = sender.value("app_framework.relay.dropped", reason="too_large")
    assert dropped == 1
    assert sender.value("app_framework.relay.dropped", reason="broker_down") == 0

    # Every counter of the relay is exported, once, under some name.
    gauges = ("latency", "age", "subscribed")
    counters = [
        point
        for name, points in sender.metrics().items()
        if not name.endswith(gauges)
        for point in points
    ]
    assert len(counters) == len(COUNTERS)


async def test_latency_quantiles_and_each_workers_last_heard_age(
    workers: tuple[Worker, Worker],
) -> None:
    sender, receiver = workers
    await until(lambda: receiver.value("app_framework.relay.subscribed") == 1)
    assert receiver.value(LATENCY, quantile="0.5") is None
    for number in range(20):
        await sender.posted.send_async(sender.app, number=number)
    await until(lambda: receiver.value("app_framework.relay.delivered") == 20)
    p50 = receiver.value(LATENCY, quantile="0.5")
    p99 = receiver.value(LATENCY, quantile="0.99")
    assert 0 < p50 <= p99 < 5  # seconds

    # Heartbeats: the receiver hears itself and the sender, each labelled.
    def ages() -> dict[tuple[str, bool], float]:
        points = receiver.metrics().get("app_framework.relay.heard.age", [])
        return {(p.attributes["worker"], p.attributes["self"]): p.value for p in points}

    heard = await until(lambda: len(ages()) == 2 and ages())
    assert set(heard) == {(receiver.relay_id(), True), (sender.relay_id(), False)}
    assert all(0 <= age < 2 for age in heard.values())


async def test_nothing_is_exported_without_a_relay_or_after_uninstrumenting(
    server: RedisServer,
) -> None:
    alone = Worker(None)  # no SIGNAL_RELAY_URL: local signals only
    shared = Worker(server.url)
    await alone.app.startup()
    await shared.app.startup()
    try:
        await alone.posted.send_async(alone.app, number=1)
        assert alone.metrics() == {}
        await until(lambda: shared.value("app_framework.relay.subscribed") == 1)
        uninstrument_app(shared.app)
        assert shared.metrics() == {}
    finally:
        for worker in (alone, shared):
            await worker.app.shutdown()
            worker.meters.shutdown()


def labels(found: dict[str, str]) -> tuple[tuple[str, str], ...]:
    """A sample's own labels (without the exporter's otel_scope_*)."""
    return tuple(sorted((k, v) for k, v in found.items() if "scope" not in k))


async def test_a_prometheus_scrape_names_them_by_reason(server: RedisServer) -> None:
    from opentelemetry.exporter.prometheus import PrometheusMetricReader
    from prometheus_client import CollectorRegistry, generate_latest
    from prometheus_client.parser import text_string_to_metric_families

    registry = CollectorRegistry()
    meters = MeterProvider(metric_readers=[PrometheusMetricReader(registry=registry)])
    app = App("board")
    app.config.update(SECRET_KEY="s" * 32, SIGNAL_RELAY_URL=server.url)
    tiny = Namespace().signal("tiny")
    app.share_signal(tiny, max_bytes=64)
    instrument_app(app, meter_provider=meters, tracer_provider=TracerProvider())
    await app.startup()
    try:
        await tiny.send_async(app, text="y" * 100)
        samples = {
            (sample.name, labels(sample.labels)): sample.value
            for family in text_string_to_metric_families(
                generate_latest(registry).decode()
            )
            for sample in family.samples
        }
        dropped = "app_framework_relay_dropped_total"
        assert samples[(dropped, (("reason", "too_large"),))] == 1
        assert samples[(dropped, (("reason", "outbox_full"),))] == 0
        assert ("app_framework_relay_published_total", ()) in samples
        assert ("app_framework_relay_subscribed", ()) in samples
    finally:
        await app.shutdown()
        meters.shutdown()
