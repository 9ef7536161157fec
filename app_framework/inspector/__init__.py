"""The live signal inspector: what each request and websocket sent, to whom,
how long each receiver took, and the hooks around them.

``Inspector(app)`` (or ``inspector.init_app(app)``) records, for every
request and websocket, the framework signals sent in order, their sender and
keyword arguments (summarised: secrets masked, text clipped, objects by
type), each receiver with its duration and outcome, and the ``before_*``,
``after_*``, ``teardown_*`` hooks, error handlers, URL value preprocessors,
context processors, views and template renders that ran (it is an observer
of ``app.instrumentation``: nothing on the app is replaced). It serves
them at ``/_inspector/``: a timeline, newest first, one line a record
(expanded on a click), updated live over a websocket, with filters by path
and by signal. Its own requests, the app's static files and
``/favicon.ico`` (what a browser fetches by itself) are not recorded
(``record_static=True`` records the last two). Tests read the same records::

    with inspector.recording() as rec:
        await client.get("/")
    assert rec.names[:2] == ["appcontext_pushed", "request_started"]

It shows request data, so it is refused unless ``DEBUG`` is on (or
``allow_without_debug=True``), and its page, records and websocket answer
only a local Host (``localhost``, ``*.localhost``, ``127.x.x.x``, ``[::1]``)
or one named in ``allowed_hosts``, and its websocket only a page of its own
origin (see ``inspector._guard``). ``Inspector(app, enabled=app.debug)`` installs
it in development only; not installed, it costs nothing: the app is left
exactly as it was.
"""

from __future__ import annotations

import time
from collections import deque
from collections.abc import Collection, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import TYPE_CHECKING, Any
from weakref import WeakKeyDictionary

import anyio
from anyio.streams.memory import MemoryObjectSendStream
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from asignals import is_async_callable

from .._contextvars import _cv_app, _cv_request
from .._inspector_records import Event, ReceiverCall, Record, describe, mask, summarise
from ..blueprints import Blueprint
from ..globals import websocket
from ..instrumentation import Call
from ._guard import check_allowed_hosts, refusal, refuse
from ._page import page

if TYPE_CHECKING:
    from ..app import App

__all__ = ["Inspector", "Recording"]

_current: ContextVar[Record | None] = ContextVar("inspector_record", default=None)
# The inspector's own page and websocket: never recorded.
_IGNORED = Record("ignored", "", "")


class Recording:
    """The records finished while :meth:`Inspector.recording` was open."""

    def __init__(self) -> None:
        self.records: list[Record] = []
        """Each request, websocket or stray signal, in the order it ended."""

    @property
    def names(self) -> list[str]:
        """Every signal sent, in order (Python names: ``request_started``)."""
        return [name for record in self.records for name in record.names]

    @property
    def events(self) -> list[Event]:
        """Every signal and hook event, in order."""
        return [event for record in self.records for event in record.events]

    def signal(self, name: str) -> Event:
        """The first send of signal ``name`` (its args and receivers).

        :raises LookupError: it was not sent.
        """
        for event in self.events:
            if event.kind == "signal" and event.name == name:
                return event
        raise LookupError(f"{name} was not sent; sent: {', '.join(self.names)}")


class Inspector:
    """Records every signal an app sends, with receivers and hooks, and
    shows them live at ``url_prefix`` (a Flask-style extension).

    :param enabled: False installs nothing (``enabled=app.debug`` is the
        usual spelling).
    :param capacity: how many records the page keeps (oldest dropped).
    :param allow_without_debug: install even with ``DEBUG`` off. The page
        shows request paths and summarised values: do not expose it.
    :param allowed_hosts: host names besides the local ones on which the
        page answers (port ignored; a leading dot allows subdomains:
        ``[".devbox.lan"]``). Any other Host gets a 403 saying so.
    :param record_static: also record requests for the app's static files
        and ``/favicon.ico``, which a browser makes by itself with every
        page (left out by default, as the inspector's own requests are).
    """

    def __init__(
        self,
        app: App | None = None,
        *,
        enabled: bool = True,
        url_prefix: str = "/_inspector",
        capacity: int = 100,
        allow_without_debug: bool = False,
        allowed_hosts: Collection[str] = (),
        record_static: bool = False,
    ) -> None:
        self.enabled = enabled
        self.record_static = record_static
        self.allowed_hosts = check_allowed_hosts(allowed_hosts)
        """The hosts answered besides the local ones."""
        self.url_prefix = url_prefix.rstrip("/")
        self.allow_without_debug = allow_without_debug
        self.records: deque[Record] = deque(maxlen=capacity)
        """The latest finished records, oldest first."""
        self._subscribers: set[MemoryObjectSendStream[dict[str, Any]]] = set()
        self._recordings: list[Recording] = []
        # The latest send of each signal outside any request, a record of
        # one event, kept until its last receiver has run.
        self._stray: dict[str, Record] = {}
        self._stray_left: dict[str, int] = {}
        # The record of each app and request context: a test client inside
        # ``async with client:`` pops a request's contexts later, outside
        # the request, and its teardown still belongs to that request.
        self._by_context: WeakKeyDictionary[object, Record] = WeakKeyDictionary()
        # appcontext_popped is sent once the context is gone: it belongs to
        # the record of the teardown just before it.
        self._torn_down: Record | None = None
        if app is not None:
            self.init_app(app)

    def init_app(self, app: App) -> None:
        """Watch ``app``'s signals and hooks and serve the page.

        :raises RuntimeError: ``DEBUG`` is off and ``allow_without_debug`` was
            not given, or the app has an inspector already.
        """
        if not self.enabled:
            return
        if not app.debug and not self.allow_without_debug:
            raise RuntimeError(
                "The signal inspector shows request data, so it needs DEBUG: "
                "set app.config['DEBUG'] = True in development, write "
                "Inspector(app, enabled=app.debug) to install it only there, "
                "or pass allow_without_debug=True if you mean to expose it."
            )
        if "inspector" in app.extensions:
            raise RuntimeError(
                "This app already has an inspector: keep the first one "
                "(app.extensions['inspector']) instead of making another."
            )
        app.extensions["inspector"] = self
        app.instrumentation.add(_Observer(self))
        unrecorded = () if self.record_static else _static_paths(app)
        app.add_middleware(_RecordRequests, inspector=self, unrecorded=unrecorded)
        app.register_blueprint(self._blueprint(), url_prefix=self.url_prefix)

    # -- for tests -----------------------------------------------------------

    @contextmanager
    def recording(self) -> Iterator[Recording]:
        """Collect the records that end inside the ``with`` block."""
        recording = Recording()
        self._recordings.append(recording)
        try:
            yield recording
        finally:
            self._recordings.remove(recording)

    # -- recording -----------------------------------------------------------

    def publish(self, record: Record) -> None:
        """Keep a finished record and send it to the live pages (once: a
        stray signal's record is published at its first failing receiver
        and again, in a robust send, at its last)."""
        if record.ms is not None:
            return
        record.finish()
        self.records.append(record)
        for recording in self._recordings:
            recording.records.append(record)
        if self._subscribers:
            data = record.as_json()
            for stream in list(self._subscribers):
                try:
                    stream.send_nowait(data)
                except anyio.WouldBlock:
                    pass  # a page that does not keep up misses records
                except (anyio.BrokenResourceError, anyio.ClosedResourceError):
                    self._subscribers.discard(stream)

    def record_here(self, name: str = "") -> Record | None:
        """The record of the request being served, or of the contexts
        being popped; None outside both."""
        record = _current.get()
        if record is not None:
            return record
        ctx = _cv_request.get(None) or _cv_app.get(None)
        if ctx is None:
            return self._torn_down if name == "appcontext_popped" else None
        return self._by_context.get(ctx)

    def signal_sent(
        self, name: str, sender: Any, kwargs: dict[str, Any], n: int
    ) -> None:
        """Record a send of signal ``name`` that will call ``n`` receivers."""
        record = self.record_here(name)
        if record is not None and record is _current.get():
            for ctx in (_cv_request.get(None), _cv_app.get(None)):
                if ctx is not None:
                    self._by_context[ctx] = record
        if name == "appcontext_tearing_down":
            self._torn_down = None if record is _current.get() else record
        if record is _IGNORED:
            return
        event = Event("signal", name, 0.0, _summarise_sender(sender))
        event.args = {key: mask(key, value) for key, value in kwargs.items()}
        if record is None:  # outside any request: a record of its own
            record = Record("app", "", "")
            record.add(event)
            if n == 0:
                self.publish(record)
            else:
                self._stray[name] = record
                self._stray_left[name] = n
            return
        event.at = record.since()
        record.add(event)
        record.open[name] = event

    def receiver_called(
        self, name: str, receiver: Any, is_async: bool
    ) -> tuple[ReceiverCall, Record | None] | None:
        """Note a receiver of ``name`` starting: its call, and the stray
        record to publish when it is the last."""
        record = self.record_here(name)
        if record is _IGNORED:
            return None
        if record is None:
            stray = self._stray.get(name)
            event = stray.events[0] if stray is not None else None
        else:
            event, stray = record.open.get(name), None
        if event is None:
            return None
        call = ReceiverCall(describe(receiver), is_async)
        event.receivers.append(call)
        return call, stray

    def receiver_done(
        self,
        name: str,
        started: tuple[ReceiverCall, Record | None] | None,
        begun: float,
        error: BaseException | None,
    ) -> None:
        """Note a receiver's duration and outcome (publishing a stray
        record after its last receiver, or its first that raised)."""
        if started is None:
            return
        call, stray = started
        call.ms = round((time.perf_counter() - begun) * 1000, 3)
        call.outcome = "ok" if error is None else f"raised {summarise(error)}"
        if stray is not None:
            left = self._stray_left.get(name, 1) - 1
            self._stray_left[name] = left
            if left <= 0 or error is not None:
                self.publish(stray)

    def hook_started(self, call: Call) -> tuple[Event, float] | None:
        """Note a hook (view, template, processor...) starting."""
        record = self.record_here()
        if record is None or record is _IGNORED:
            return None
        phase = (
            f"errorhandler({call.name})" if call.kind == "errorhandler" else call.kind
        )
        event = Event("hook", phase, record.since(), describe(call.func))
        record.add(event)
        return event, time.perf_counter()

    @staticmethod
    def hook_done(
        started: tuple[Event, float] | None, error: BaseException | None
    ) -> None:
        """Note a hook's duration and outcome."""
        if started is None:
            return
        event, begun = started
        if error is not None:
            event.outcome = f"raised {summarise(error)}"
        event.ms = round((time.perf_counter() - begun) * 1000, 3)

    # -- the page ------------------------------------------------------------

    def _blueprint(self) -> Blueprint:
        bp = Blueprint("inspector", __name__)
        inspector = self

        @bp.route("/")
        async def inspector_page() -> str:
            return page(inspector.url_prefix)

        @bp.route("/records")
        async def inspector_records() -> list[dict[str, Any]]:
            return [record.as_json() for record in reversed(inspector.records)]

        @bp.websocket("/live")
        async def inspector_live() -> None:
            await websocket.accept()
            send, receive = anyio.create_memory_object_stream[dict[str, Any]](100)
            inspector._subscribers.add(send)
            try:
                for record in list(inspector.records):
                    await websocket.send_json(record.as_json())
                async for data in receive:
                    await websocket.send_json(data)
            finally:
                inspector._subscribers.discard(send)
                send.close()
                receive.close()

        return bp


def _summarise_sender(sender: Any) -> str:
    """The sender as the page shows it (an app by its repr)."""
    text = repr(sender)
    return text if len(text) <= 60 else f"<{type(sender).__name__}>"


class _Observer:
    """How the inspector hears the app (see :mod:`.instrumentation`)."""

    def __init__(self, inspector: Inspector) -> None:
        self.inspector = inspector

    def sent(
        self, call: Call, sender: Any, kwargs: dict[str, Any], receivers: int
    ) -> None:
        self.inspector.signal_sent(call.name, sender, kwargs, receivers)

    def start(self, call: Call) -> Any:
        if call.kind != "receiver":
            return self.inspector.hook_started(call)
        is_async = is_async_callable(call.func)
        started = self.inspector.receiver_called(call.name, call.func, is_async)
        return started, time.perf_counter()

    def end(self, call: Call, token: Any, error: BaseException | None) -> None:
        if call.kind != "receiver":
            self.inspector.hook_done(token, error)
        else:
            started, begun = token
            self.inspector.receiver_done(call.name, started, begun, error)


# -- requests ------------------------------------------------------------------


class _RecordRequests:
    """ASGI middleware: one record per request or websocket, published when
    it ends (teardown included); the inspector's own routes, unrecorded and
    answered only to a local host and a same-origin page (one check for
    every route under the prefix, before any of them runs)."""

    def __init__(
        self, app: ASGIApp, inspector: Inspector, unrecorded: tuple[str, ...]
    ) -> None:
        self.app = app
        self.inspector = inspector
        self.prefix = inspector.url_prefix
        # Paths (exact, or a prefix when ending in "/") served unrecorded.
        self.unrecorded = unrecorded

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        kind = scope["type"]
        if kind not in ("http", "websocket"):
            await self.app(scope, receive, send)
            return
        path: str = scope.get("path", "")
        if path == self.prefix or path.startswith(self.prefix + "/"):
            why = refusal(scope, self.inspector.allowed_hosts)
            if why is not None:
                await refuse(scope, receive, send, why)
                return
            await self._unrecorded(scope, receive, send)
            return
        if _matches(path, self.unrecorded):
            await self._unrecorded(scope, receive, send)
            return
        record = Record(kind, scope.get("method", "WS"), path)

        async def watch_send(message: Message) -> None:
            sort = message["type"]
            if sort == "http.response.start":
                record.status = message["status"]
            elif sort == "websocket.accept":
                record.status = 101
            elif sort == "websocket.close" and record.status is None:
                record.status = 403  # refused before it was accepted
            await send(message)

        token = _current.set(record)
        try:
            await self.app(scope, receive, watch_send)
        finally:
            _current.reset(token)
            self.inspector.publish(record)

    async def _unrecorded(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Serve the request with its signals and hooks left out."""
        token = _current.set(_IGNORED)
        try:
            await self.app(scope, receive, send)
        finally:
            _current.reset(token)


def _static_paths(app: App) -> tuple[str, ...]:
    """What a browser fetches by itself along with a page: the app's static
    files and the favicon."""
    paths = ["/favicon.ico"]
    if app.has_static_folder and app.static_url_path:
        paths.append(app.static_url_path + "/")
    return tuple(paths)


def _matches(path: str, paths: tuple[str, ...]) -> bool:
    """``path`` is one of ``paths``, or under one ending in ``/``."""
    return any(path.startswith(p) if p.endswith("/") else path == p for p in paths)
