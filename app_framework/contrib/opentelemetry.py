"""OpenTelemetry traces and metrics for an app, from its signals.

``instrument_app(app)`` connects a few receivers to the app's own signals
(``request_started``, ``got_request_exception``, ``request_finished``,
``request_tearing_down`` and their websocket twins): nothing is replaced or
patched, and the app without it runs exactly as before.

- One SERVER span per request and per websocket connection, named
  ``"{method} {rule}"`` (``GET /users/<id>``), with the stable HTTP
  semantic-convention attributes and the W3C ``traceparent``/``tracestate``
  of the request as its parent. It is current for everything the request
  runs, and **ends when the request is torn down**: after the last byte of
  a streamed body and after the ``teardown_request`` functions.
- An unhandled exception is recorded on it and sets its status to ERROR, as
  does a 5xx response.
- ``http.server.request.duration`` (histogram, seconds) and
  ``http.server.active_requests`` through the OTel metrics API.
- With ``receivers=True``, a child span for each hook, error handler, URL
  value preprocessor, context processor, view, template render and signal
  receiver (through ``app.instrumentation`` and ``asignals.observe``), the
  histogram ``app_framework.signal.receiver.duration``, and background tasks
  as spans of their own linked to the request that added them.
- A shared signal delivered by the relay in another process runs under a
  CONSUMER span ``process <signal>`` linked to the sender's span.
- With a relay (``SIGNAL_RELAY_URL``), its counters, publish-to-delivery
  latency and each worker's last-heard age as ``app_framework.relay.*``
  metrics, read when metrics are collected (see ``_relay_metrics``).
"""

from __future__ import annotations

import contextlib
import inspect
import time
import weakref
from collections.abc import Iterator
from contextvars import ContextVar
from typing import TYPE_CHECKING, Any

from opentelemetry import context as otel_context
from opentelemetry import metrics, propagate, trace
from opentelemetry.context import Context
from opentelemetry.propagators.textmap import Getter
from opentelemetry.semconv.attributes import (
    client_attributes,
    error_attributes,
    http_attributes,
    network_attributes,
    server_attributes,
    url_attributes,
    user_agent_attributes,
)
from opentelemetry.semconv.metrics import http_metrics
from opentelemetry.trace import Link, Span, SpanKind, Status, StatusCode

import asignals
from asignals import relay as signal_relay

from .. import signals
from .._contextvars import _cv_request
from ..exceptions import ClientDisconnected
from ..instrumentation import Call
from ._receivers import AppReceivers
from ._relay_metrics import RelayMetrics

if TYPE_CHECKING:
    from opentelemetry.metrics import MeterProvider
    from opentelemetry.trace import TracerProvider

    from ..app import App

__all__ = ["OpenTelemetryInstrumentation", "instrument_app", "uninstrument_app"]

RECEIVER_DURATION = "app_framework.signal.receiver.duration"
"""The histogram of receiver durations (seconds; attributes ``signal``,
``receiver``), with ``receivers=True``."""

# The semantic conventions' advice for http.server.request.duration.
_DURATION_BUCKETS = (
    0.005,
    0.01,
    0.025,
    0.05,
    0.075,
    0.1,
    0.25,
    0.5,
    0.75,
    1.0,
    2.5,
    5.0,
    7.5,
    10.0,
)
_KNOWN_METHODS = frozenset(
    {"GET", "HEAD", "POST", "PUT", "DELETE", "CONNECT", "OPTIONS", "TRACE", "PATCH"}
)
_FRAMEWORK_SIGNALS = frozenset(signals.all_signals().values())


class _Live:
    """The span of the request or websocket being served (one per context)."""

    __slots__ = ("begun", "error", "metric", "previous", "span")

    def __init__(self, span: Span, previous: Context, metric: dict[str, Any]) -> None:
        self.span = span
        self.previous = previous
        self.metric = metric
        self.error: str | None = None  # error.type, once the span has one
        self.begun = time.perf_counter()

    def failed(self, error_type: str, exc: BaseException | None) -> None:
        """Mark the span as failed (once: the first reason stays)."""
        if self.error is not None:
            return
        self.error = error_type
        span = self.span
        if exc is not None:
            span.record_exception(exc)
        span.set_status(Status(StatusCode.ERROR, error_type))
        span.set_attribute(error_attributes.ERROR_TYPE, error_type)


_live: ContextVar[_Live | None] = ContextVar("app_framework_otel_span", default=None)


class _ScopeHeaders(Getter[dict[str, Any]]):
    """Reads propagation headers from an ASGI scope (names are lower-case)."""

    def get(self, carrier: dict[str, Any], key: str) -> list[str] | None:
        name = key.lower().encode("latin-1")
        found = [v.decode("latin-1") for k, v in carrier["headers"] if k == name]
        return found or None

    def keys(self, carrier: dict[str, Any]) -> list[str]:
        return [k.decode("latin-1") for k, _ in carrier["headers"]]


_SCOPE_HEADERS = _ScopeHeaders()


def _server_attributes(
    scope: dict[str, Any], method: str, route: str | None
) -> dict[str, Any]:
    """The span's attributes read from the ASGI scope (stable HTTP semconv)."""
    attributes: dict[str, Any] = {
        http_attributes.HTTP_REQUEST_METHOD: method,
        url_attributes.URL_PATH: scope.get("path", ""),
        url_attributes.URL_SCHEME: scope.get("scheme", "http"),
    }
    if route is not None:
        attributes[http_attributes.HTTP_ROUTE] = route
    version = scope.get("http_version")
    if version:
        attributes[network_attributes.NETWORK_PROTOCOL_VERSION] = version
    client = scope.get("client")
    if client:
        attributes[client_attributes.CLIENT_ADDRESS] = client[0]
    host = None
    for name, value in scope["headers"]:
        if name == b"host":
            host = value.decode("latin-1")
        elif name == b"user-agent":
            attributes[user_agent_attributes.USER_AGENT_ORIGINAL] = value.decode(
                "latin-1"
            )
    if host:
        address, _, port = host.rpartition(":") if host[-1] != "]" else (host, "", "")
        if not address or not port.isdigit():
            address, port = host, ""
        attributes[server_attributes.SERVER_ADDRESS] = address
        if port:
            attributes[server_attributes.SERVER_PORT] = int(port)
    elif scope.get("server"):
        attributes[server_attributes.SERVER_ADDRESS] = scope["server"][0]
        if scope["server"][1] is not None:
            attributes[server_attributes.SERVER_PORT] = scope["server"][1]
    return attributes


class OpenTelemetryInstrumentation:
    """What :func:`instrument_app` installed on one app; :meth:`close`
    takes it all away again (for tests)."""

    def __init__(
        self,
        app: App,
        tracer_provider: TracerProvider | None,
        meter_provider: MeterProvider | None,
        receivers: bool,
    ) -> None:
        self.app = app
        ours = _version()
        self.tracer = trace.get_tracer(
            "app_framework", ours, tracer_provider=tracer_provider
        )
        meter = metrics.get_meter("app_framework", ours, meter_provider=meter_provider)
        self.duration = meter.create_histogram(
            http_metrics.HTTP_SERVER_REQUEST_DURATION,
            unit="s",
            description="Duration of HTTP server requests.",
            explicit_bucket_boundaries_advisory=_DURATION_BUCKETS,
        )
        self.active = meter.create_up_down_counter(
            "http.server.active_requests",
            unit="{request}",
            description="Number of active HTTP server requests.",
        )
        self._receivers = AppReceivers(app)
        connect = self._receivers.connect
        connect(signals.request_started, self._request_started)
        connect(signals.websocket_started, self._websocket_started)
        connect(signals.got_request_exception, self._got_exception)
        connect(signals.got_websocket_exception, self._got_exception)
        connect(signals.request_finished, self._request_finished)
        connect(signals.request_tearing_down, self._torn_down)
        connect(signals.websocket_tearing_down, self._torn_down)
        self._websockets: weakref.WeakKeyDictionary[Any, _Live] = (
            weakref.WeakKeyDictionary()
        )
        self._calls: _CallSpans | None = None
        self._observation: asignals.Observation | None = None
        if receivers:
            receiver_duration = meter.create_histogram(
                RECEIVER_DURATION,
                unit="s",
                description="Duration of each signal receiver call.",
            )
            connected = self._receivers.connected
            ours_ids = frozenset(_identity(func) for _, func in connected)
            self._calls = _CallSpans(self.tracer, receiver_duration, ours_ids)
            app.instrumentation.add(self._calls)
            self._observation = asignals.observe(
                _SignalSpans(self.tracer, receiver_duration)
            )
        self._propagator = _RelayContext(self.tracer)
        signal_relay.add_propagator(self._propagator)
        # Read at collection from app.relay, so the relay may start later.
        self._relay_metrics = RelayMetrics(app, meter)

    def close(self) -> None:
        """Disconnect everything :func:`instrument_app` connected."""
        self._receivers.close()
        if self._calls is not None:
            self.app.instrumentation.remove(self._calls)
        if self._observation is not None:
            self._observation.close()
        signal_relay.remove_propagator(self._propagator)
        self._relay_metrics.closed = True
        self.app.extensions.pop("opentelemetry", None)

    # -- the server span -------------------------------------------------------

    def _request_started(self, sender: Any) -> None:
        ctx: Any = _cv_request.get()
        scope = ctx.connection.scope
        _live.set(self._begin(scope, scope["method"], ctx.rule))

    def _websocket_started(self, sender: Any) -> None:
        ctx: Any = _cv_request.get()
        # A websocket opens with a GET (semantic conventions: the HTTP method).
        # Its view runs in a task of its own, and its teardown in the
        # connection's: the span is found through the request context.
        self._websockets[ctx] = self._begin(ctx.connection.scope, "GET", ctx.rule)

    def _begin(self, scope: Any, method: str, rule: Any) -> _Live:
        if method not in _KNOWN_METHODS:
            method = "_OTHER"
        route = rule.rule if rule is not None else None
        name = method if method != "_OTHER" else "HTTP"
        if route is not None:
            name = f"{name} {route}"
        parent = propagate.extract(scope, context=Context(), getter=_SCOPE_HEADERS)
        attributes = _server_attributes(scope, method, route)
        if method == "_OTHER":
            attributes[http_attributes.HTTP_REQUEST_METHOD_ORIGINAL] = scope.get(
                "method", ""
            )
        span = self.tracer.start_span(
            name, context=parent, kind=SpanKind.SERVER, attributes=attributes
        )
        previous = otel_context.get_current()
        otel_context.attach(trace.set_span_in_context(span, parent))
        metric = {
            http_attributes.HTTP_REQUEST_METHOD: method,
            url_attributes.URL_SCHEME: attributes[url_attributes.URL_SCHEME],
        }
        if scope["type"] == "http":
            self.active.add(1, metric)
            if route is not None:
                metric = {**metric, http_attributes.HTTP_ROUTE: route}
        else:
            metric = {}  # websockets: a span, no request metrics
        return _Live(span, previous, metric)

    def _got_exception(self, sender: Any, exception: BaseException) -> None:
        live = _live.get()
        if live is None:
            live = self._websockets.get(_cv_request.get(None))
        if live is not None:
            live.failed(type(exception).__qualname__, exception)

    def _request_finished(self, sender: Any, response: Any) -> None:
        live = _live.get()
        if live is None:
            return
        status = response.status_code
        live.span.set_attribute(http_attributes.HTTP_RESPONSE_STATUS_CODE, status)
        if live.metric:
            live.metric[http_attributes.HTTP_RESPONSE_STATUS_CODE] = status
        if status >= 500:
            live.failed(str(status), None)

    def _torn_down(self, sender: Any, exc: BaseException | None) -> None:
        live = _live.get()
        if live is None:
            live = self._websockets.pop(_cv_request.get(None), None)
            if live is None:
                return
        else:
            _live.set(None)
        if exc is not None and not isinstance(exc, ClientDisconnected):
            # Cut short: cancelled, or an error while sending the body.
            live.failed(type(exc).__qualname__, exc)
        live.span.end()
        otel_context.attach(live.previous)
        metric = live.metric
        if metric:
            active = {
                http_attributes.HTTP_REQUEST_METHOD: metric[
                    http_attributes.HTTP_REQUEST_METHOD
                ],
                url_attributes.URL_SCHEME: metric[url_attributes.URL_SCHEME],
            }
            self.active.add(-1, active)
            if live.error is not None:
                metric[error_attributes.ERROR_TYPE] = live.error
            self.duration.record(time.perf_counter() - live.begun, metric)


def _version() -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("app-framework")
    except PackageNotFoundError:  # run from a checkout
        return "0"


def _qualname(func: Any) -> str:
    func = getattr(func, "__wrapped__", func)
    module = getattr(func, "__module__", None)
    name = getattr(func, "__qualname__", None) or type(func).__qualname__
    return f"{module}.{name}" if module else name


def _call_name(call: Call) -> str:
    """A child span's name: what ran, and for which signal, error or
    template (``receiver request_finished myapp.count``)."""
    kind = call.kind
    if kind == "view":
        return f"view {call.name}"
    if kind == "template":
        return f"template {call.name or '<string>'}"
    if kind == "receiver":
        return f"receiver {call.name} {_qualname(call.func)}"
    if kind == "errorhandler":
        return f"errorhandler {call.name} {_qualname(call.func)}"
    return f"{kind} {_qualname(call.func)}"


def _identity(func: Any) -> Any:
    """What stays the same for a receiver across calls: a bound method is
    a new object at each attribute read, its instance and function are not;
    a receiver observed by asignals is seen through its wrapper."""
    func = inspect.unwrap(func)
    owner = getattr(func, "__self__", None)
    if owner is not None:
        return (id(owner), id(getattr(func, "__func__", func)))
    return id(func)


class _CallSpans:
    """``app.instrumentation`` observer: a child span for every hook, view,
    handler, processor, template and receiver of the app run under a span;
    background tasks as root spans linked to the request that added them."""

    def __init__(
        self, tracer: trace.Tracer, receiver_duration: Any, skip: frozenset[Any]
    ):
        self.tracer = tracer
        self.receiver_duration = receiver_duration
        self.skip = skip  # our own receivers: no span about the span
        self.origins: weakref.WeakKeyDictionary[Call, trace.SpanContext] = (
            weakref.WeakKeyDictionary()
        )

    def spawned(self, call: Call) -> None:
        live = _live.get()  # the request's span, rather than its view's
        span = live.span if live is not None else trace.get_current_span()
        origin = span.get_span_context()
        if origin.is_valid:
            self.origins[call] = origin

    def start(self, call: Call) -> Any:
        if call.kind == "receiver" and _identity(call.func) in self.skip:
            return None
        begun = time.perf_counter()
        if call.kind == "background":
            origin = self.origins.pop(call, None)
            links = [Link(origin)] if origin is not None else None
            span = self.tracer.start_span(
                f"background {call.name}", context=Context(), links=links
            )
        elif trace.get_current_span().get_span_context().is_valid:
            span = self.tracer.start_span(
                _call_name(call), attributes={"app_framework.call.kind": call.kind}
            )
        else:
            return (None, None, begun)  # outside any trace: timed, no span
        token = otel_context.attach(trace.set_span_in_context(span))
        return (span, token, begun)

    def end(self, call: Call, token: Any, error: BaseException | None) -> None:
        if token is None:
            return
        span, attached, begun = token
        if call.kind == "receiver":
            self.receiver_duration.record(
                time.perf_counter() - begun,
                {"signal": call.name, "receiver": _qualname(call.func)},
            )
        if span is None:
            return
        if error is not None:
            span.record_exception(error)
            span.set_status(Status(StatusCode.ERROR, type(error).__name__))
        span.end()
        otel_context.detach(attached)


class _SignalSpans(asignals.ReceiverObserver):
    """asignals observer: a child span for each receiver of the app's own
    signals (the framework's are observed through the app's instrumentation)
    called under a span, a relay delivery's included."""

    def __init__(self, tracer: trace.Tracer, receiver_duration: Any) -> None:
        self.tracer = tracer
        self.receiver_duration = receiver_duration

    def receiver_started(self, call: asignals.ReceiverCall) -> Any:
        if call.signal in _FRAMEWORK_SIGNALS or _is_relay(call.receiver):
            return None
        if not trace.get_current_span().get_span_context().is_valid:
            return None
        name = getattr(call.signal, "name", None) or "signal"
        span = self.tracer.start_span(
            f"receiver {name} {_qualname(call.receiver)}",
            attributes={"app_framework.call.kind": "receiver"},
        )
        return span, otel_context.attach(trace.set_span_in_context(span))

    def receiver_finished(self, call: asignals.ReceiverCall, token: Any) -> None:
        if token is None:
            return
        span, attached = token
        self.receiver_duration.record(
            call.duration,
            {
                "signal": getattr(call.signal, "name", None) or "signal",
                "receiver": _qualname(call.receiver),
            },
        )
        if call.error is not None:
            span.record_exception(call.error)
            span.set_status(Status(StatusCode.ERROR, type(call.error).__name__))
        span.end()
        otel_context.detach(attached)


def _is_relay(receiver: Any) -> bool:
    """Whether ``receiver`` is the relay's own forwarder (which only queues
    the message: the delivery in the other process has the span)."""
    return getattr(receiver, "__module__", None) == signal_relay.__name__


class _RelayContext:
    """Carries the trace across the signal relay: the sender's span context
    goes in the message (W3C ``traceparent``/``tracestate``); the delivery
    in the other process runs under a CONSUMER span linked to it."""

    def __init__(self, tracer: trace.Tracer) -> None:
        self.tracer = tracer

    def inject(self, signal: str, carrier: dict[str, str]) -> None:
        if trace.get_current_span().get_span_context().is_valid:
            propagate.inject(carrier)

    @contextlib.contextmanager
    def delivering(self, signal: str, carrier: dict[str, str]) -> Iterator[None]:
        sent = trace.get_current_span(propagate.extract(carrier, context=Context()))
        origin = sent.get_span_context()
        span = self.tracer.start_span(
            f"process {signal}",
            context=Context(),
            kind=SpanKind.CONSUMER,
            links=[Link(origin)] if origin.is_valid else None,
            attributes={
                "messaging.operation.type": "process",
                "messaging.destination.name": signal,
            },
        )
        token = otel_context.attach(trace.set_span_in_context(span))
        try:
            yield
        finally:
            span.end()
            otel_context.detach(token)


def instrument_app(
    app: App,
    *,
    tracer_provider: TracerProvider | None = None,
    meter_provider: MeterProvider | None = None,
    receivers: bool = False,
) -> OpenTelemetryInstrumentation:
    """Trace and measure ``app``'s requests and websockets (see the module).

    :param tracer_provider: where spans go (default: the global provider,
        ``opentelemetry.trace.set_tracer_provider``).
    :param meter_provider: where metrics go (default: the global provider).
    :param receivers: also a child span for every hook, view, handler,
        processor, template render and signal receiver, background tasks as
        linked spans, and the receiver duration histogram. Costs a span per
        call: for finding out where a request's time goes.
    :raises RuntimeError: ``app`` is instrumented already.
    """
    if "opentelemetry" in app.extensions:
        raise RuntimeError(
            f"{app!r} is instrumented already: call instrument_app(app) once "
            "(app.extensions['opentelemetry'].close() undoes it)."
        )
    installed = OpenTelemetryInstrumentation(
        app, tracer_provider, meter_provider, receivers
    )
    app.extensions["opentelemetry"] = installed
    return installed


def uninstrument_app(app: App) -> None:
    """Undo :func:`instrument_app` (nothing if it was not called)."""
    installed = app.extensions.get("opentelemetry")
    if installed is not None:
        installed.close()
