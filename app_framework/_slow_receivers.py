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
request path runs exactly the code it runs without this module. Set, the
receivers are wrapped through :meth:`AppChannels.wrapped`, as the
inspector wraps them (either may wrap the other).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from time import perf_counter
from typing import TYPE_CHECKING, Any
from weakref import WeakSet

from asignals import Signal

from .signals import Entries, python_name

if TYPE_CHECKING:
    from .app import App

__all__ = ["INTERVAL", "KEY", "SlowReceivers", "watch_slow_receivers"]

KEY = "SIGNAL_SLOW_RECEIVER_MS"
INTERVAL = 10.0
"""Seconds between two warnings about the same receiver of a signal."""

Getter = Callable[[], Any]

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
    watcher = SlowReceivers(app, _milliseconds(value))
    app.signal_channels = app.signal_channels.wrapped(watcher.wrap)
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
    """Times each receiver of one app's signals and logs the slow ones,
    rate-limited per receiver and signal."""

    def __init__(self, app: App, limit_ms: float) -> None:
        self.app = app
        self.limit_ms = limit_ms
        # (signal, receiver) -> [when last logged, slow calls not logged since]
        self._logged: dict[tuple[str, str], list[float]] = {}

    def wrap(self, signal: Signal, entries: Entries) -> Entries:
        """``entries`` with each receiver timed (none: nothing to time)."""
        name = python_name(signal)
        return tuple(
            ((_TimedAsync if is_async else _Timed)(self, name, get).get_timed, is_async)
            for get, is_async in entries
        )

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


class _Timed:
    """One sync receiver, timed. Made when the receivers change, not per
    send; the receiver is fetched through its getter on each call, so a
    weakly held one still dies (and is skipped) as it would unwrapped."""

    __slots__ = ("_get", "_limit", "_name", "_watcher")

    def __init__(self, watcher: SlowReceivers, name: str, get: Getter) -> None:
        self._watcher = watcher
        self._name = name
        self._get = get
        self._limit = watcher.limit_ms / 1000

    @property
    def __wrapped__(self) -> Any:
        """The receiver: what the inspector names, if it wraps this in turn."""
        return self._get()

    def __repr__(self) -> str:
        # What an error log names (log_receiver_error): the receiver.
        return repr(self._get())

    def get_timed(self) -> Any:
        """The entry's getter: this, or None once the receiver died."""
        return None if self._get() is None else self

    def __call__(self, sender: Any, **kwargs: Any) -> Any:
        receiver = self._get()
        if receiver is None:  # died since get_timed (a collection between)
            return None
        begun = perf_counter()
        try:
            return receiver(sender, **kwargs)
        finally:
            took = perf_counter() - begun
            if took > self._limit:
                self._watcher.report(self._name, receiver, took)


class _TimedAsync(_Timed):
    """One async receiver, timed over its whole await."""

    __slots__ = ()

    async def __call__(self, sender: Any, **kwargs: Any) -> Any:
        receiver = self._get()
        if receiver is None:  # died since get_timed (a collection between)
            return None
        begun = perf_counter()
        try:
            return await receiver(sender, **kwargs)
        finally:
            took = perf_counter() - begun
            if took > self._limit:
                self._watcher.report(self._name, receiver, took)
