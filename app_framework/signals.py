"""Every signal the framework sends, in one asignals namespace.

The sender is always the application object. Signals are sent as
``send_async`` sends them: async receivers are awaited before the pipeline
moves on, sync receivers run inline, in connection order. Each app keeps an
asignals channel per signal (:class:`AppChannels`): the receivers for that
app, ready to call, so an unused signal costs an attribute read and a used
one a loop, with no plan lookup and no results list.
"""

from __future__ import annotations

import asyncio
import functools
import itertools
import weakref
from collections.abc import Awaitable, Callable, Generator
from typing import Any, cast

from asignals import Channel, NamedSignal, Namespace, Signal

from .instrumentation import (
    Call,
    Instrumentation,
    ObservedAsyncReceiver,
    ObservedReceiver,
    SignalObserver,
)

__all__ = [
    "DONE",
    "AppChannels",
    "Entries",
    "Namespace",
    "WrappedChannel",
    "appcontext_popped",
    "appcontext_pushed",
    "appcontext_tearing_down",
    "before_render_template",
    "deliver",
    "emit",
    "emit_logged",
    "fire",
    "fire_logged",
    "got_background_exception",
    "got_request_exception",
    "got_serving_exception",
    "got_websocket_exception",
    "log_receiver_error",
    "message_flashed",
    "python_name",
    "request_finished",
    "request_started",
    "request_tearing_down",
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
        # An exhausted iterator ends the await at once with None; one shared
        # object is cheaper than a generator made per await.
        return _FINISHED  # type: ignore[return-value]


_FINISHED = iter(())
DONE = _Done()

Entries = tuple[tuple[Callable[[], Any], bool], ...]
"""A channel's receivers: ``(get, is_async)`` pairs (see ``Signal.channel``)."""


class AppChannels:
    """One app's :class:`asignals.Channel` for every framework signal: the
    receivers each signal calls for this app, kept current by asignals
    (a receiver connected mid-request is heard from the next signal on).

    The request path's signals are attributes, read without a lookup;
    ``channels[signal]`` gives any of them.
    """

    __slots__ = (
        "_by_signal",
        "appcontext_popped",
        "appcontext_pushed",
        "appcontext_tearing_down",
        "request_finished",
        "request_started",
        "request_tearing_down",
    )

    def __init__(
        self, app: Any, by_signal: dict[Signal, Channel] | None = None
    ) -> None:
        if by_signal is None:
            by_signal = {signal: signal.channel(app) for signal in _signals.values()}
        self._by_signal = by_signal
        self.appcontext_pushed = self._by_signal[appcontext_pushed]
        self.appcontext_tearing_down = self._by_signal[appcontext_tearing_down]
        self.appcontext_popped = self._by_signal[appcontext_popped]
        self.request_started = self._by_signal[request_started]
        self.request_finished = self._by_signal[request_finished]
        self.request_tearing_down = self._by_signal[request_tearing_down]

    def __getitem__(self, signal: Signal) -> Channel:
        return self._by_signal[signal]

    def replaced(self, wrap: Callable[[Signal, Channel], Channel]) -> AppChannels:
        """A copy whose channels are ``wrap(signal, channel)``: for a tool
        that watches every send of an app (the inspector), installed by
        assigning it to ``app.signal_channels``."""
        by_signal = {signal: wrap(signal, ch) for signal, ch in self._by_signal.items()}
        return AppChannels(None, by_signal)

    def wrapped(self, wrap: Callable[[Signal, Entries], Entries]) -> AppChannels:
        """A copy whose channels call ``wrap(signal, entries)`` instead of
        each signal's entries (a :class:`WrappedChannel`): how a tool times
        or records every receiver call while the dispatch loops stay as
        they are. Installed by assigning it to ``app.signal_channels``."""

        def channel(signal: Signal, real: Channel) -> Channel:
            entries = functools.partial(wrap, signal)
            return cast(Channel, WrappedChannel(real, entries))

        return self.replaced(channel)

    def observed(self, instrumentation: Instrumentation) -> AppChannels:
        """A copy whose receivers report each call to ``instrumentation``'s
        observers (as ``Call("receiver", <signal>, receiver)``), each send
        first told to those that hear sends (see :mod:`.instrumentation`)."""
        return self.wrapped(functools.partial(_observed_entries, instrumentation))

    def heard(self) -> frozenset[Signal]:
        """The signals with receivers for this app now."""
        return frozenset(s for s, ch in self._by_signal.items() if _entries(ch))


class WrappedChannel:
    """A channel whose entries are ``wrap(entries)`` of a real one, made
    again only when the real entries change, and stale exactly when they
    are: the dispatch loops read it as they read the real one."""

    __slots__ = ("_cached", "_real", "_source", "_wrap", "sender")

    def __init__(self, real: Channel, wrap: Callable[[Entries], Entries]) -> None:
        self._real = real
        self._wrap = wrap
        self.sender = real.sender
        """The sender the real channel sends as."""
        self._source: Entries | None = None
        self._cached: Entries = ()

    @property
    def entries(self) -> Entries | None:
        """The wrapped entries, or None when they must be fetched again."""
        real = self._real.entries
        return None if real is None else self._wrapped(real)

    def current(self) -> Entries:
        """The wrapped entries to call now."""
        return self._wrapped(self._real.current())

    def _wrapped(self, real: Entries) -> Entries:
        if real is not self._source:
            self._cached = self._wrap(real)
            self._source = real
        return self._cached


def _observed_entries(
    instrumentation: Instrumentation, signal: Signal, real: Entries
) -> Entries:
    name = python_name(signal)
    observers = instrumentation.observing("receiver")
    hears_sends = any(isinstance(o, SignalObserver) for o in instrumentation.observers)
    if not (observers or hears_sends):
        return real
    watched: list[tuple[Callable[[], Any], bool]] = []
    if hears_sends:
        send = Call("signal", name, signal)
        count = len(real)

        def mark(sender: Any, **kwargs: Any) -> None:
            instrumentation.signal_sent(send, sender, kwargs, count)

        watched.append((lambda: mark, False))
    for get, is_async in real:
        watched.append(
            (
                _observed_getter(observers, name, get, is_async) if observers else get,
                is_async,
            )
        )
    return tuple(watched)


def _observed_getter(
    observers: tuple[Any, ...], name: str, get: Callable[[], Any], is_async: bool
) -> Callable[[], Any]:
    wrapper = ObservedAsyncReceiver if is_async else ObservedReceiver
    if not isinstance(get, weakref.ref):
        # Held strongly already (weak=False): one wrapper serves every call
        # until the receivers change.
        receiver = get()
        if receiver is not None:
            return itertools.repeat(wrapper(observers, name, receiver)).__next__

    def get_observed() -> Any:
        receiver = get()
        if receiver is None:
            return None
        # One per call: one kept would keep a weakly held receiver alive.
        return wrapper(observers, name, receiver)

    return get_observed


def python_name(signal: Signal) -> str:
    """A framework signal's name as Python spells it (``request_started``)."""
    return str(getattr(signal, "name", "signal")).replace("-", "_")


def _entries(channel: Channel) -> Entries:
    entries = channel.entries
    return entries if entries is not None else channel.current()


def emit(app: Any, signal: Signal, **kwargs: Any) -> Awaitable[None]:
    """``await emit(app, signal, **kwargs)``: send ``signal`` from ``app`` to
    its receivers, or do nothing (no coroutine) when none listens to it or
    all are sync (see :func:`deliver`)."""
    pending = deliver(app.signal_channels[signal], app, kwargs)
    return DONE if pending is None else pending


def emit_logged(app: Any, signal: Signal, **kwargs: Any) -> Awaitable[None]:
    """:func:`emit`, robustly: a receiver that raises is logged and the
    others still run (for signals sent while cleaning up or reporting)."""
    entries = _entries(app.signal_channels[signal])
    if entries:
        return fire_logged(entries, app, signal, kwargs)
    return DONE


def deliver(
    channel: Channel, app: Any, kwargs: dict[str, Any] | None = None
) -> Awaitable[None] | None:
    """Send from ``app`` to the receivers ``channel`` holds now, in order,
    as ``signal.send_async(app, **kwargs)`` does; an exception propagates.

    The receiver loop of every raising send (the request path's and
    :func:`emit`'s). Sync receivers are called here; from the first async
    receiver on, the rest is returned as one awaitable (that receiver's own
    coroutine when it is the last), to be awaited at once. None: all ran,
    nothing to await, no coroutine made.
    """
    entries = channel.entries
    if entries is None:
        entries = channel.current()
    for entry in entries:
        get, is_async = entry
        receiver = get()
        if receiver is None:  # a weakly held receiver that died
            continue
        if is_async:
            awaitable: Awaitable[None] = (
                receiver(app) if kwargs is None else receiver(app, **kwargs)
            )
            if entry is entries[-1]:  # each entry is a tuple of its own
                return awaitable
            # Where the rest starts, by identity (an equal pair may repeat).
            done = next(i for i, e in enumerate(entries) if e is entry) + 1
            return _deliver_rest(awaitable, entries[done:], app, kwargs)
        if kwargs is None:  # receiver(app, **{}) would copy a dict
            receiver(app)
        else:
            receiver(app, **kwargs)
    return None


async def _deliver_rest(
    awaitable: Awaitable[None], rest: Entries, app: Any, kwargs: dict[str, Any] | None
) -> None:
    """:func:`deliver` from its first async receiver on."""
    await awaitable
    if kwargs is None:
        kwargs = {}
    for get, is_async in rest:
        receiver = get()
        if receiver is None:
            continue
        if is_async:
            await receiver(app, **kwargs)
        else:
            receiver(app, **kwargs)


async def fire(channel: Channel, app: Any, kwargs: dict[str, Any]) -> None:
    """:func:`deliver` as a coroutine function (for ``anyio.from_thread.run``)."""
    pending = deliver(channel, app, kwargs)
    if pending is not None:
        await pending


async def fire_logged(
    entries: Entries, app: Any, signal: Signal, kwargs: dict[str, Any]
) -> None:
    """:func:`fire`, but a receiver that raises is logged and the others
    still run (for signals sent while cleaning up or reporting an error,
    where a faulty receiver must not hide the problem or stop the cleanup)."""
    for get, is_async in entries:
        receiver = get()
        if receiver is None:
            continue
        try:
            if is_async:
                await receiver(app, **kwargs)
            else:
                receiver(app, **kwargs)
        except (asyncio.CancelledError, GeneratorExit):
            raise
        except BaseException as exc:  # SystemExit too: logged, never the server's end
            log_receiver_error(app, signal, receiver, exc)


def log_receiver_error(
    app: Any, signal: Signal, receiver: Callable[..., Any], exc: BaseException
) -> None:
    """Log a receiver's exception (in a send that goes on regardless)."""
    app.logger.error("Error in %s receiver %r", signal, receiver, exc_info=exc)


def all_signals() -> dict[str, NamedSignal]:
    """Every framework signal by name, for ``python -m app_framework signals``."""
    return dict(_signals)
