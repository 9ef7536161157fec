"""The signal relay's counters and health as OpenTelemetry metrics.

Every instrument here is observable: it is read when a metric reader
collects (a Prometheus scrape, a periodic export), from ``app.relay`` as it
is then. A delivery or a send costs nothing more, and an app without a
relay (no ``SIGNAL_RELAY_URL``, or not started yet) reports nothing.

The counters are grouped by meaning rather than put under one name with a
``counter`` attribute, so that summing over an attribute means something:
``sum(rate(app_framework_relay_dropped_total[5m]))`` is every message lost,
whatever the reason, where a single instrument would add deliveries to drops.
"""

from __future__ import annotations

import functools
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

from opentelemetry.metrics import CallbackOptions, Meter, Observation

if TYPE_CHECKING:
    from asignals.relay import Relay

    from ..app import App

PREFIX = "app_framework.relay."

# metric name -> (unit, description, attribute, {Relay.stats key: attribute value})
# A metric without an attribute reads one counter (its attribute value is None).
COUNTERS: dict[str, tuple[str, str, str | None, dict[str, str | None]]] = {
    "published": (
        "{message}",
        "Messages this process wrote to Redis.",
        None,
        {"published": None},
    ),
    "delivered": (
        "{message}",
        "Messages from other processes delivered to this process's receivers.",
        None,
        {"delivered": None},
    ),
    "dropped": (
        "{message}",
        "Messages lost, by reason.",
        "reason",
        {
            "dropped_outbox_full": "outbox_full",
            "dropped_broker_down": "broker_down",
            "dropped_too_old": "too_old",
            "dropped_too_large": "too_large",
            "dropped_inbox_full": "inbox_full",
            "dropped_unreadable": "unreadable",
        },
    ),
    "missed": (
        "{message}",
        "Durable messages found missing (a gap, sent as relay_gap), by reason.",
        "reason",
        {"gap_trimmed": "trimmed", "gap_sequence": "sequence"},
    ),
    "duplicates": (
        "{message}",
        "Second copies of durable messages skipped (never delivered twice).",
        None,
        {"duplicates_dropped": None},
    ),
    "errors": (
        "{error}",
        "Failed receivers and failed deliveries of remote messages, by kind.",
        "kind",
        {"receiver_errors": "receiver", "delivery_errors": "delivery"},
    ),
    "reconnects": (
        "{reconnect}",
        "Subscriptions made again after Redis was lost.",
        None,
        {"reconnects": None},
    ),
    "deaf": (
        "{event}",
        "Times the relay stopped hearing its own heartbeat and resubscribed.",
        None,
        {"deaf": None},
    ),
}
LATENCY = PREFIX + "delivery.latency"
HEARD = PREFIX + "heard.age"
SUBSCRIBED = PREFIX + "subscribed"
_QUANTILES = (("0.5", "p50"), ("0.99", "p99"))


class RelayMetrics:
    """The observable instruments for ``app``'s relay (one set per app)."""

    def __init__(self, app: App, meter: Meter) -> None:
        self.app = app
        self.closed = False  # instruments cannot be unregistered: go quiet
        for name, (unit, description, attribute, sources) in COUNTERS.items():
            meter.create_observable_counter(
                PREFIX + name,
                callbacks=[functools.partial(self._counters, attribute, sources)],
                unit=unit,
                description=description,
            )
        meter.create_observable_gauge(
            LATENCY,
            callbacks=[self._latency],
            unit="s",
            description="Publish-to-delivery latency of the last 1,000 remote "
            "deliveries, by quantile (0.5, 0.99).",
        )
        meter.create_observable_gauge(
            HEARD,
            callbacks=[self._heard],
            unit="s",
            description="Seconds since this process last heard each worker's "
            "messages or heartbeats (self=true: its own).",
        )
        meter.create_observable_gauge(
            SUBSCRIBED,
            callbacks=[self._subscribed],
            unit="1",
            description="1 while the relay listens on Redis, else 0.",
        )

    def _relay(self) -> Relay | None:
        return None if self.closed else self.app.relay

    def _counters(
        self,
        attribute: str | None,
        sources: dict[str, str | None],
        options: CallbackOptions,
    ) -> Iterable[Observation]:
        relay = self._relay()
        if relay is None:
            return []
        stats = dict(relay.stats)  # one copy: collected on the reader's thread
        return [
            Observation(stats.get(key, 0), {attribute: value} if attribute else None)
            for key, value in sources.items()
        ]

    def _latency(self, options: CallbackOptions) -> Iterable[Observation]:
        relay = self._relay()
        if relay is None:
            return []
        latency: dict[str, Any] = relay.health()["latency_ms"]
        return [
            Observation(latency[key] / 1e3, {"quantile": quantile})
            for quantile, key in _QUANTILES
            if latency.get(key) is not None  # no remote delivery yet
        ]

    def _heard(self, options: CallbackOptions) -> Iterable[Observation]:
        relay = self._relay()
        if relay is None:
            return []
        heard: dict[str, float] = relay.health()["heard"]
        return [
            Observation(ago, {"worker": worker, "self": worker == relay.id})
            for worker, ago in heard.items()
        ]

    def _subscribed(self, options: CallbackOptions) -> Iterable[Observation]:
        relay = self._relay()
        if relay is None:
            return []
        return [Observation(1 if relay.is_subscribed else 0)]
