"""Observing receivers: who was called, for which signal, how long it took
and how it ended, for tracing and metrics, without wrapping anything.

An observer is attached to one signal, to a namespace's signals or to every
signal in the process with :func:`observe`. Observation is decided when a
signal's dispatch plan is built, not when it is sent: a signal nobody
observes keeps the plan it had, and its sends run exactly the code they ran
before (``bench/bench_signals.py`` has the row). An observed plan leaves the
sends' fast loops for the calls in :mod:`._dispatch`, which call each
receiver through a small wrapper that tells the observers before and after.
"""

from __future__ import annotations

import logging
import threading
import time
import weakref
from collections.abc import Callable, Iterable, Iterator
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from ._namespace import Namespace
    from ._registry import Registry
    from ._signal import Signal

__all__ = ["Observation", "ReceiverCall", "ReceiverObserver", "observe"]

_log = logging.getLogger("asignals")
_lock = threading.Lock()
_everywhere: tuple[ReceiverObserver, ...] = ()
# Every registry, so that a process-wide observer reaches the plans already
# built. (Weak: a signal nobody holds still goes away.)
registries: weakref.WeakSet[Registry] = weakref.WeakSet()


class ReceiverCall:
    """One receiver being called by one send, as observers see it.

    ``duration`` (seconds, from ``time.perf_counter``) and ``error`` are
    set when the receiver has returned or raised.
    """

    __slots__ = (
        "duration",
        "error",
        "is_async",
        "kwargs",
        "receiver",
        "sender",
        "signal",
    )

    def __init__(
        self,
        signal: Signal,
        sender: Any,
        receiver: Callable[..., Any],
        kwargs: dict[str, Any],
        is_async: bool,
    ) -> None:
        self.signal = signal
        """The signal being sent."""
        self.sender = sender
        """Who sent it."""
        self.receiver = receiver
        """The receiver called (the connected object itself)."""
        self.kwargs = kwargs
        """The send's keyword arguments (do not change them)."""
        self.is_async = is_async
        """Whether the receiver is awaited."""
        self.duration = 0.0
        """Seconds the receiver took (set when it ended)."""
        self.error: BaseException | None = None
        """What the receiver raised (cancellation too), or None."""

    @property
    def ok(self) -> bool:
        """Whether the receiver returned instead of raising."""
        return self.error is None

    def __repr__(self) -> str:
        return (
            f"<ReceiverCall {self.signal!r} -> {self.receiver!r} "
            f"{self.duration * 1e6:.1f} us {'ok' if self.ok else 'raised'}>"
        )


class ReceiverObserver:
    """Told around every receiver call of the signals it observes.

    Subclass it and override either method. ``receiver_started`` runs just
    before the receiver, in the sender's context (so a context variable it
    sets, a tracing span made current, is seen by the receiver); what it
    returns is given back to ``receiver_finished``, which runs just after
    the receiver returned or raised, in the same context. An observer that
    raises is logged (logger ``asignals``) and never breaks the send.
    """

    def receiver_started(self, call: ReceiverCall) -> Any:
        """A receiver is about to be called."""
        return None

    def receiver_finished(self, call: ReceiverCall, token: Any) -> None:
        """The receiver returned or raised (``call.duration``, ``call.error``)."""


class _AfterEach(ReceiverObserver):
    """An observer made of a function called after each receiver."""

    def __init__(self, func: Callable[[ReceiverCall], Any]) -> None:
        self.func = func

    def receiver_finished(self, call: ReceiverCall, token: Any) -> None:
        self.func(call)

    def __repr__(self) -> str:
        return f"<observer {self.func!r}>"


class Observation:
    """An observer attached by :func:`observe`; ``close()`` (or leaving a
    ``with`` block) detaches it."""

    def __init__(self, observer: ReceiverObserver, on: Signal | Namespace | None):
        self.observer = observer
        self.on = on
        self._closed = False

    def close(self) -> None:
        """Stop observing (idempotent); the plans it marked are rebuilt."""
        if self._closed:
            return
        self._closed = True
        _change(self.on, self.observer, add=False)

    def __enter__(self) -> Observation:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()


def observe(
    observer: ReceiverObserver | Callable[[ReceiverCall], Any],
    on: Signal | Namespace | None = None,
) -> Observation:
    """Observe every receiver call of ``on``: one signal, every signal of a
    namespace (made now or later), or, with ``None``, every signal of the
    process.

    ``observer`` is a :class:`ReceiverObserver`, or a function called with
    the :class:`ReceiverCall` after each receiver. Receivers are observed
    from the next send on (also those that frameworks dispatch themselves
    through :meth:`Signal.channel`). Observing costs a wrapper per call;
    signals nobody observes cost nothing more.

    :raises TypeError: ``observer`` is neither, or ``on`` is not a signal,
        a namespace or None.
    """
    from ._namespace import Namespace
    from ._signal import Signal

    if not isinstance(observer, ReceiverObserver):
        if not callable(observer):
            raise TypeError(
                "observe() takes a ReceiverObserver or a function called with "
                f"each ReceiverCall, not {observer!r}"
            )
        observer = _AfterEach(observer)
    if on is not None and not isinstance(on, Signal | Namespace):
        raise TypeError(
            "observe(observer, on=...) takes a Signal, a Namespace, or None "
            f"for every signal of the process, not {on!r}"
        )
    _change(on, observer, add=True)
    return Observation(observer, on)


def _change(
    on: Signal | Namespace | None, observer: ReceiverObserver, add: bool
) -> None:
    global _everywhere
    from ._signal import Signal

    with _lock:
        if on is None:
            _everywhere = _edited(_everywhere, observer, add)
            targets: Iterable[Registry] = list(registries)
        elif isinstance(on, Signal):
            registry = on._registry
            registry.observers = _edited(registry.observers, observer, add)
            targets = [registry]
        else:
            on.observers = _edited(on.observers, observer, add)
            targets = [signal._registry for signal in list(on.values())]
    for registry in targets:
        registry.replan()


def _edited(
    observers: tuple[ReceiverObserver, ...], observer: ReceiverObserver, add: bool
) -> tuple[ReceiverObserver, ...]:
    if add:
        return (*observers, observer)
    kept = list(observers)
    if observer in kept:
        kept.remove(observer)
    return tuple(kept)


def observers_for(registry: Registry) -> tuple[ReceiverObserver, ...]:
    """Who observes the signal of ``registry``: process-wide observers,
    then its namespace's, then its own (read when a plan is built)."""
    namespace = registry.namespace
    found = _everywhere
    if namespace is not None:
        found += namespace.observers
    return found + registry.observers


# -- calling a receiver under observation ---------------------------------------


def _started(observers: tuple[ReceiverObserver, ...], call: ReceiverCall) -> list[Any]:
    tokens = []
    for observer in observers:
        try:
            tokens.append(observer.receiver_started(call))
        except Exception:
            _log.exception("Receiver observer %r failed (receiver_started)", observer)
            tokens.append(None)
    return tokens


def _finished(
    observers: tuple[ReceiverObserver, ...], call: ReceiverCall, tokens: list[Any]
) -> None:
    for observer, token in zip(reversed(observers), reversed(tokens), strict=True):
        try:
            observer.receiver_finished(call, token)
        except Exception:
            _log.exception("Receiver observer %r failed (receiver_finished)", observer)


class _Observed:
    """A receiver called through its observers: what an observed plan's
    getters give. ``__wrapped__`` is the receiver (sends report it, never
    the wrapper)."""

    __slots__ = ("__wrapped__", "_observers", "_signal")

    def __init__(
        self,
        receiver: Callable[..., Any],
        signal: Signal,
        observers: tuple[ReceiverObserver, ...],
    ) -> None:
        self.__wrapped__ = receiver
        self._signal = signal
        self._observers = observers

    def __repr__(self) -> str:
        return repr(self.__wrapped__)


class _ObservedSync(_Observed):
    __slots__ = ()

    def __call__(self, sender: Any, /, **kwargs: Any) -> Any:
        receiver = self.__wrapped__
        call = ReceiverCall(self._signal, sender, receiver, kwargs, False)
        tokens = _started(self._observers, call)
        begun = time.perf_counter()
        try:
            return receiver(sender, **kwargs)
        except BaseException as exc:
            call.error = exc
            raise
        finally:
            call.duration = time.perf_counter() - begun
            _finished(self._observers, call, tokens)


class _ObservedAsync(_Observed):
    __slots__ = ()

    async def __call__(self, sender: Any, /, **kwargs: Any) -> Any:
        receiver = self.__wrapped__
        call = ReceiverCall(self._signal, sender, receiver, kwargs, True)
        tokens = _started(self._observers, call)
        begun = time.perf_counter()
        try:
            return await receiver(sender, **kwargs)
        except BaseException as exc:
            call.error = exc
            raise
        finally:
            call.duration = time.perf_counter() - begun
            _finished(self._observers, call, tokens)


def observed_getter(
    get: Callable[[], Any],
    is_async: bool,
    signal: Signal,
    observers: tuple[ReceiverObserver, ...],
) -> Callable[[], Any]:
    """A getter giving the receiver behind ``get`` wrapped for observation
    (``None`` once a weakly held one has died, as ``get`` does)."""
    wrap = _ObservedAsync if is_async else _ObservedSync

    def get_observed() -> Any:
        receiver = get()
        return None if receiver is None else wrap(receiver, signal, observers)

    return get_observed


def originals(pairs: Iterable[tuple[Any, Any]]) -> Iterator[tuple[Any, Any]]:
    """``(receiver, result)`` pairs from an observed plan's, whose first
    items are the wrappers."""
    for wrapped, result in pairs:
        yield wrapped.__wrapped__, result
