"""Sentry errors and transactions for an app, from its signals.

Call ``sentry_sdk.init(...)`` as usual, then ``init_app(app)``: it connects
receivers to the app's own signals, and replaces or patches nothing.

- An unhandled exception (``got_request_exception``,
  ``got_websocket_exception``, ``got_background_exception``) becomes a
  Sentry event (mechanism ``app_framework``, unhandled) with the request's
  method, URL, query string and headers; the headers are filtered as
  Sentry's own integrations filter them (``Authorization``, ``Cookie`` and
  the other sensitive ones replaced unless ``send_default_pii``), and the
  client's address is added only with ``send_default_pii``. A user set with
  ``sentry_sdk.set_user`` while handling the request goes with it: each
  HTTP request runs in an isolation scope of its own.
- With ``transactions=True`` (default) and tracing on in the client
  (``traces_sample_rate``), one transaction per HTTP request named
  ``"{method} {rule}"`` (op ``http.server``), continuing the caller's
  ``sentry-trace``/``baggage`` headers, with the response status, finished
  when the request is torn down (after the last byte).
"""

from __future__ import annotations

from contextvars import ContextVar
from typing import TYPE_CHECKING, Any

import sentry_sdk
from sentry_sdk.integrations._wsgi_common import _filter_headers
from sentry_sdk.utils import event_from_exception

from .. import signals
from .._contextvars import _cv_request
from ._receivers import AppReceivers

if TYPE_CHECKING:
    from ..app import App

__all__ = ["SentryIntegration", "init_app"]

_MECHANISM = {"type": "app_framework", "handled": False}


class _Request:
    """The Sentry state of the HTTP request being served."""

    __slots__ = ("scope_manager", "transaction")

    def __init__(self, scope_manager: Any, transaction: Any) -> None:
        self.scope_manager = scope_manager
        self.transaction = transaction


_current: ContextVar[_Request | None] = ContextVar(
    "app_framework_sentry_request", default=None
)


def request_data(connection: Any) -> dict[str, Any]:
    """What a Sentry event says about ``connection`` (a request or a
    websocket): method, URL, query string, headers as Sentry filters them,
    and the client's address when ``send_default_pii`` is on."""
    scope = connection.scope
    headers = {
        name.decode("latin-1").title(): value.decode("latin-1")
        for name, value in scope["headers"]
    }
    host = headers.get("Host") or "{}:{}".format(*scope.get("server") or ("", ""))
    data: dict[str, Any] = {
        "method": scope.get("method", "GET"),
        "url": f"{scope.get('scheme', 'http')}://{host}{scope.get('path', '')}",
        "query_string": scope.get("query_string", b"").decode("latin-1"),
        "headers": _filter_headers(headers),
    }
    client = scope.get("client")
    if client and sentry_sdk.get_client().should_send_default_pii():
        data["env"] = {"REMOTE_ADDR": client[0]}
    return data


class SentryIntegration:
    """What :func:`init_app` connected to one app; :meth:`close` undoes it."""

    def __init__(self, app: App, transactions: bool) -> None:
        self.app = app
        self.transactions = transactions
        self._receivers = AppReceivers(app)
        connect = self._receivers.connect
        connect(signals.got_request_exception, self._report)
        connect(signals.got_websocket_exception, self._report)
        connect(signals.got_background_exception, self._report)
        connect(signals.request_started, self._request_started)
        connect(signals.request_finished, self._request_finished)
        connect(signals.request_tearing_down, self._torn_down)

    def close(self) -> None:
        """Disconnect everything :func:`init_app` connected."""
        self._receivers.close()
        self.app.extensions.pop("sentry", None)

    def _request_started(self, sender: Any) -> None:
        ctx: Any = _cv_request.get()
        connection = ctx.connection
        manager = sentry_sdk.isolation_scope()
        isolation = manager.__enter__()
        rule = ctx.rule
        name = f"{connection.scope['method']} {rule.rule if rule else connection.path}"
        isolation.set_transaction_name(name, source="route" if rule else "url")
        transaction: Any = None
        if self.transactions:
            headers = {
                k.decode("latin-1"): v.decode("latin-1")
                for k, v in connection.scope["headers"]
            }
            transaction = sentry_sdk.continue_trace(
                headers,
                op="http.server",
                name=name,
                source="route" if rule else "url",
                origin="auto.http.app_framework",
            )
            transaction = sentry_sdk.start_transaction(transaction)
            transaction.__enter__()
        _current.set(_Request(manager, transaction))

    def _request_finished(self, sender: Any, response: Any) -> None:
        current = _current.get()
        if current is not None and current.transaction is not None:
            current.transaction.set_http_status(response.status_code)

    def _torn_down(self, sender: Any, exc: BaseException | None) -> None:
        current = _current.get()
        if current is None:
            return
        _current.set(None)
        if current.transaction is not None:
            current.transaction.__exit__(None, None, None)
        current.scope_manager.__exit__(None, None, None)

    def _report(self, sender: Any, exception: BaseException) -> None:
        client = sentry_sdk.get_client()
        if not client.is_active():
            return
        event, hint = event_from_exception(
            exception, client_options=client.options, mechanism=_MECHANISM
        )
        ctx = _cv_request.get(None)
        if ctx is not None:
            event["request"] = request_data(ctx.connection)
        sentry_sdk.capture_event(event, hint=hint)


def init_app(app: App, *, transactions: bool = True) -> SentryIntegration:
    """Report ``app``'s unhandled exceptions, and its requests as
    transactions, to the Sentry client ``sentry_sdk.init`` configured.

    :raises RuntimeError: ``init_app`` was already called for ``app``.
    """
    if "sentry" in app.extensions:
        raise RuntimeError(
            f"{app!r} reports to Sentry already: call init_app(app) once "
            "(app.extensions['sentry'].close() undoes it)."
        )
    integration = SentryIntegration(app, transactions)
    app.extensions["sentry"] = integration
    return integration
