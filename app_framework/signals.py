"""Every signal the framework sends, in one asignals namespace.

The sender is always the application object. Signals are sent with
``send_async``: async receivers are awaited before the pipeline moves on,
sync receivers run inline. A signal with nothing connected is skipped with
a set lookup (``signal in app.listening``, see :class:`Listening`), so unused
signals cost next to nothing, even when another app in the process has
receivers.
"""

from __future__ import annotations

import threading
import weakref
from collections.abc import Awaitable, Callable, Generator
from typing import Any

from asignals import ANY, NamedSignal, Namespace, Outcome, Signal

__all__ = [
    "Listening",
    "Namespace",
    "appcontext_popped",
    "appcontext_pushed",
    "appcontext_tearing_down",
    "before_render_template",
    "emit",
    "emit_logged",
    "got_background_exception",
    "got_request_exception",
    "got_serving_exception",
    "got_websocket_exception",
    "log_failures",
    "message_flashed",
    "request_finished",
    "request_started",
    "request_tearing_down",
    "send_logged",
    "serving_started",
    "serving_stopping",
    "signals_available",
    "template_rendered",
    "websocket_finished",
    "websocket_received",
    "websocket_sent",
    "websocket_started",
    "websocket_tearing_down",
]

signals_available = True
"""Always True: asignals is a hard dependency (kept for Flask extensions)."""

_signals = Namespace()

appcontext_pushed = _signals.signal(
    "appcontext-pushed",
    doc="An app context was pushed; sent before the request is bound.",
)
appcontext_tearing_down = _signals.signal(
    "appcontext-tearing-down",
    doc="An app context is being torn down; kwargs: exc (the unhandled error or None).",
)
appcontext_popped = _signals.signal(
    "appcontext-popped", doc="An app context was popped (its context var reset)."
)
request_started = _signals.signal(
    "request-started", doc="Request handling begins; request and g are usable."
)
request_finished = _signals.signal(
    "request-finished", doc="A response is ready to send; kwargs: response."
)
got_request_exception = _signals.signal(
    "got-request-exception",
    doc="An unhandled exception escaped a view or hook; kwargs: exception.",
)
request_tearing_down = _signals.signal(
    "request-tearing-down",
    doc="The request is being torn down; kwargs: exc (the unhandled error or None).",
)
before_render_template = _signals.signal(
    "before-render-template",
    doc="A template is about to render; kwargs: template, context (mutable).",
)
template_rendered = _signals.signal(
    "template-rendered", doc="A template rendered; kwargs: template, context."
)
message_flashed = _signals.signal(
    "message-flashed", doc="A message was flashed; kwargs: message, category."
)

websocket_started = _signals.signal(
    "websocket-started", doc="Websocket handling begins; websocket and g are usable."
)
websocket_received = _signals.signal(
    "websocket-received",
    doc="A message arrived on a websocket; kwargs: message (sent only when heard).",
)
websocket_sent = _signals.signal(
    "websocket-sent", doc="A message was sent on a websocket; kwargs: data."
)
websocket_finished = _signals.signal(
    "websocket-finished", doc="The websocket view returned and the socket is closed."
)
got_websocket_exception = _signals.signal(
    "got-websocket-exception",
    doc="An unhandled exception escaped a websocket view or hook; kwargs: exception.",
)
websocket_tearing_down = _signals.signal(
    "websocket-tearing-down",
    doc="A websocket is being torn down; kwargs: exc (the unhandled error or None).",
)
serving_started = _signals.signal(
    "serving-started", doc="Start-up finished (after the before_serving hooks)."
)
serving_stopping = _signals.signal(
    "serving-stopping", doc="Shutdown begins (before background tasks are awaited)."
)
got_serving_exception = _signals.signal(
    "got-serving-exception",
    doc="A start-up or shutdown hook or receiver failed; kwargs: exception.",
)
got_background_exception = _signals.signal(
    "got-background-exception",
    doc="A background task raised; kwargs: exception.",
)


class _Done:
    """An awaitable that is already done: what :func:`emit` gives when no
    receiver would run (no coroutine made, none left un-awaited)."""

    __slots__ = ()

    def __await__(self) -> Generator[Any, None, None]:
        return None
        yield  # a generator, never suspending


DONE = _Done()


def emit(app: Any, signal: Signal, **kwargs: Any) -> Awaitable[Any]:
    """``await emit(app, signal, **kwargs)``: send ``signal`` from ``app`` to
    its receivers, or do nothing (no coroutine) when none listens to it.
    The one place the "does anyone listen?" check is written."""
    if signal in app.listening:
        return signal.send_async(app, **kwargs)
    return DONE


def emit_logged(app: Any, signal: Signal, **kwargs: Any) -> Awaitable[Any]:
    """:func:`emit`, robustly: a receiver that raises is logged and the
    others still run (for signals sent while cleaning up or reporting)."""
    if signal in app.listening:
        return send_logged(app, signal, **kwargs)
    return DONE


async def send_logged(app: Any, signal: Signal, **kwargs: Any) -> None:
    """Send ``signal``; a receiver that raises is logged, the others still run.
    (Callers check ``signal in app.listening`` first, which is cheaper.)

    For signals sent while cleaning up or reporting an error, where a faulty
    receiver must not hide the original problem or stop the cleanup.
    """
    log_failures(app, signal, await signal.send_async_robust(app, **kwargs))


def log_failures(
    app: Any, signal: Signal, outcomes: list[tuple[Callable[..., Any], Outcome]]
) -> None:
    """Log each receiver that raised in a robust send of ``signal``.
    (A plain function, so hot paths can inline ``send_logged`` without
    paying for one more coroutine.)"""
    for receiver, outcome in outcomes:
        if outcome.error is not None:
            app.logger.error(
                "Error in %s receiver %r", signal, receiver, exc_info=outcome.error
            )


def all_signals() -> dict[str, NamedSignal]:
    """Every framework signal by name, for ``python -m app_framework signals``."""
    return dict(_signals)


class Listening:
    """Keeps ``app.listening`` current: the set of framework signals that
    have receivers for that app, so ``signal in app.listening`` answers
    what ``signal.has_receivers_for(app)`` would, at a third of the cost.

    Every framework signal's ``receiver_connected`` and
    ``receiver_disconnected`` meta-signals update the sets of the apps the
    change concerns (one app, or all for an ``ANY`` connection) before
    ``connect`` or ``disconnect`` returns, so a receiver connected in the
    middle of a request is heard from its next signal on. When a weakly
    connected receiver dies, its signal may stay in the set: the send then
    finds nobody, which is correct, only slower.
    """

    def __init__(self) -> None:
        self._apps: weakref.WeakSet[Any] = weakref.WeakSet()
        self._lock = threading.Lock()  # one read-modify-write of a set at a time

    def track(self, app: Any) -> None:
        """Give ``app`` its ``listening`` set and keep it current."""
        with self._lock:
            app.listening = frozenset(
                signal for signal in _signals.values() if signal.has_receivers_for(app)
            )
            self._apps.add(app)

    def changed(self, signal: Signal, *, sender: Any, **kwargs: Any) -> None:
        """A receiver of ``signal`` was connected to or disconnected from
        ``sender``: recompute ``signal``'s place in the sets concerned."""
        with self._lock:
            if sender is ANY:
                apps = list(self._apps)
            else:
                apps = [app for app in self._apps if app is sender]
            for app in apps:
                heard: frozenset[Signal] = app.listening
                if signal.has_receivers_for(app):
                    app.listening = heard | {signal}
                else:
                    app.listening = heard - {signal}


listening = Listening()
"""The one :class:`Listening`, which every app registers with."""

for _signal in _signals.values():
    _signal.receiver_connected.connect(listening.changed, weak=False)
    _signal.receiver_disconnected.connect(listening.changed, weak=False)
