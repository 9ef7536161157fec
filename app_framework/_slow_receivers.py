"""The slow-receiver warning, opt-in with ``SIGNAL_SLOW_RECEIVER_MS``.

Sync receivers run inline, on the event loop: one that blocks holds up
every request of the process. With ``SIGNAL_SLOW_RECEIVER_MS`` set, each
receiver of the app's signals is timed (an async one over its whole await,
the I/O it waits on included), and one taking longer logs a warning::

    Slow signal receiver: request_started receiver myapp.audit.log_request
    took 212.4 ms (SIGNAL_SLOW_RECEIVER_MS is 50)

at most once per :data:`INTERVAL` seconds for each receiver of each signal;
the next line says how many slow calls were not logged in between.

The key is read once, when the app starts serving (``App.startup``, or the
first ASGI call for a server without lifespan), as routes and hooks are
fixed then: set it in the app's config before. Unset, nothing is
installed: ``app.signal_channels`` stays the object it was and the
request path runs exactly the code it runs without this module. Set, a
:class:`SlowReceivers` observer is added to ``app.instrumentation``,
told of receiver calls only (``kinds``): like any observer, it stays
through other observers being added or removed (the inspector, a tracer).
"""

from __future__ import annotations

import time
from time import perf_counter
from typing import TYPE_CHECKING, Any
from weakref import WeakSet

from .instrumentation import Call

if TYPE_CHECKING:
    from .app import App

__all__ = ["INTERVAL", "KEY", "SlowReceivers", "watch_slow_receivers"]

KEY = "SIGNAL_SLOW_RECEIVER_MS"
INTERVAL = 10.0
"""Seconds between two warnings about the same receiver of a signal."""

_clock = time.monotonic  # the rate limit's clock (a test moves it on)
_watched: WeakSet[App] = WeakSet()


def watch_slow_receivers(app: App) -> None:
    """Time ``app``'s receivers if ``SIGNAL_SLOW_RECEIVER_MS`` is set (once
    per app; nothing at all when unset).

    :raises TypeError: the value is not a number of milliseconds.
    :raises ValueError: it is not above 0.
    """
    value = app.config.get(KEY)
    if value is None or app in _watched:
        return
    app.instrumentation.add(SlowReceivers(app, _milliseconds(value)))
    _watched.add(app)


def _milliseconds(value: Any) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise TypeError(
            f"{KEY} takes a number of milliseconds, e.g. "
            f"app.config[{KEY!r}] = 100 (None turns the warning off), "
            f"not {value!r}"
        )
    if not value > 0:
        raise ValueError(
            f"{KEY} must be above 0 milliseconds, e.g. 100 (None turns the "
            f"warning off), not {value!r}"
        )
    return float(value)


class SlowReceivers:
    """An observer of one app's receiver calls: times each and logs the
    slow ones, rate-limited per receiver and signal. (An async receiver is
    timed over its whole await, the I/O it waits on included.)"""

    kinds = frozenset({"receiver"})
    """The calls it is told of (see :mod:`.instrumentation`)."""

    def __init__(self, app: App, limit_ms: float) -> None:
        self.app = app
        self.limit_ms = limit_ms
        self._limit = limit_ms / 1000
        # (signal, receiver) -> [when last logged, slow calls not logged since]
        self._logged: dict[tuple[str, str], list[float]] = {}

    def start(self, call: Call) -> float:
        """The receiver is called now."""
        return perf_counter()

    def end(self, call: Call, token: float, error: BaseException | None) -> None:
        """It returned (or raised): report it if it was slow."""
        took = perf_counter() - token
        if took > self._limit:
            self.report(call.name, call.func, took)

    def report(self, signal: str, receiver: Any, seconds: float) -> None:
        """Log that ``receiver`` of ``signal`` took ``seconds``, unless it
        was logged less than :data:`INTERVAL` ago (then count it)."""
        # Imported here: only a slow receiver needs it, and every app
        # imports this module.
        from ._inspector_records import describe

        who = describe(receiver)
        now = _clock()
        logged = self._logged.get((signal, who))
        if logged is not None and now - logged[0] < INTERVAL:
            logged[1] += 1
            return
        self._logged[(signal, who)] = [now, 0]
        missed = 0 if logged is None else int(logged[1])
        self.app.logger.warning(
            "Slow signal receiver: %s receiver %s took %.1f ms (%s is %g)%s",
            signal,
            who,
            seconds * 1000,
            KEY,
            self.limit_ms,
            f"; {missed} more slow calls of it not logged since the last warning"
            if missed
            else "",
        )
