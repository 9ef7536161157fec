"""Observing what an app runs, without replacing anything on it.

An extension (a tracer, a profiler, the signal inspector) adds an
*observer* to ``app.instrumentation``; from then on every hook, error
handler, URL value preprocessor, context processor, view, template render
and signal receiver of that app is reported to it, before and after it
runs, in the task and context it runs in (``request``, ``g`` and the
extension's own context variables are current)::

    class Timer:
        def start(self, call):
            return time.perf_counter()

        def end(self, call, token, error):
            print(call.kind, call.name, time.perf_counter() - token, error)

    app.instrumentation.add(Timer())

``start`` returns a token (an OpenTelemetry span, a start time, None);
``end`` gets it back with the exception the call raised (None when it
returned). An observer may also define ``sent(call, sender, kwargs,
receivers)``, told of every send of a framework signal, heard or not, and
``spawned(call)``, told when a background task is added, in the context
that adds it (a tracer notes the request's span there, to link the task's
own span to it when the task runs, as a ``"background"`` call).

An observer that only cares about some kinds of call says so with a
``kinds`` attribute (a set of :data:`KINDS`, e.g. ``{"receiver"}``): the
other calls are not wrapped for it at all (a slow-receiver timer costs the
hooks and views nothing).

With no observer the app's plans hold the callables themselves: observing
costs nothing until something observes (``bench/bench_requests.py`` has the
row). Adding or removing an observer recompiles the plans, so it applies
from the next request on.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Protocol, runtime_checkable

from asignals import is_async_callable

__all__ = ["KINDS", "Call", "Instrumentation", "Observer", "SignalObserver"]

KINDS = frozenset(
    {
        "before_request",
        "after_request",
        "teardown_request",
        "before_websocket",
        "after_websocket",
        "teardown_websocket",
        "teardown_appcontext",
        "background",
        "errorhandler",
        "url_value_preprocessor",
        "context_processor",
        "view",
        "template",
        "receiver",
    }
)
"""The values of :attr:`Call.kind`."""


@dataclass(frozen=True, eq=False)
class Call:
    """One callable of the app, as an observer sees it. A hook's, view's or
    processor's is made once, when the plans are compiled; a receiver's at
    each call (keeping one would keep a weakly held receiver alive)."""

    kind: str
    """What it is: one of :data:`KINDS` (``"before_request"``, ``"view"``,
    ``"receiver"``...)."""
    name: str
    """What it is for: the endpoint of a view, the signal of a receiver
    (``"request_started"``), the error of a handler (``"404"``,
    ``"ValueError"``), the template's name; the blueprint of a hook
    (``""`` for the app's own)."""
    func: Any = field(repr=False)
    """The callable itself (the receiver, the hook, the view), unwrapped;
    for a template, the template object."""


class Observer(Protocol):
    """What :meth:`Instrumentation.add` takes."""

    def start(self, call: Call) -> Any:
        """``call`` is about to run; return a token for :meth:`end`."""

    def end(self, call: Call, token: Any, error: BaseException | None) -> None:
        """``call`` returned (``error`` None) or raised ``error``."""


@runtime_checkable
class SignalObserver(Protocol):
    """An observer that also hears every send of a framework signal."""

    def sent(
        self, call: Call, sender: Any, kwargs: dict[str, Any], receivers: int
    ) -> None:
        """``call.name`` is being sent by ``sender`` to ``receivers``
        receivers (0: nobody listens); ``call.func`` is the signal."""


class Instrumentation:
    """``app.instrumentation``: the observers of one app.

    :param changed: called after an observer is added or removed (the app
        recompiles its plans).
    """

    def __init__(self, changed: Callable[[], None] | None = None) -> None:
        self.observers: tuple[Observer, ...] = ()
        """The observers, in the order they were added."""
        self._changed = changed

    def add(self, observer: Observer) -> None:
        """Report every call of the app to ``observer`` from now on.

        :raises TypeError: ``observer`` has no ``start`` or no ``end``.
        :raises ValueError: it was added already.
        """
        if not (
            callable(getattr(observer, "start", None))
            and callable(getattr(observer, "end", None))
        ):
            raise TypeError(
                f"{observer!r} is not an observer: give it start(call) -> token "
                "and end(call, token, error) methods."
            )
        if any(known is observer for known in self.observers):
            raise ValueError(f"{observer!r} already observes this app.")
        self.observers = (*self.observers, observer)
        self._notify()

    def remove(self, observer: Observer) -> None:
        """Stop reporting to ``observer`` (nothing if it was not added)."""
        kept = tuple(known for known in self.observers if known is not observer)
        if len(kept) != len(self.observers):
            self.observers = kept
            self._notify()

    def __bool__(self) -> bool:
        return bool(self.observers)

    def _notify(self) -> None:
        if self._changed is not None:
            self._changed()

    def wrap(
        self, kind: str, name: str, func: Callable[..., Any], subject: Any = None
    ) -> Callable[..., Any]:
        """``func`` itself when nothing observes, else a callable of the same
        kind (sync or async) that reports each call to the observers, as a
        :class:`Call` of ``subject`` (default: ``func``)."""
        observers = self.observing(kind)
        if not observers:
            return func
        call = Call(kind, name, func if subject is None else subject)
        return observed(observers, call, func)

    def observing(self, kind: str) -> tuple[Observer, ...]:
        """The observers told of calls of ``kind`` (those without a
        ``kinds`` attribute, and those whose ``kinds`` holds it)."""
        return tuple(
            observer
            for observer in self.observers
            if kind in getattr(observer, "kinds", KINDS)
        )

    def background(self, func: Callable[..., Any]) -> Callable[..., Any]:
        """``func``, a background task being added now: ``func`` itself
        when nothing observes; else the observers that define
        ``spawned(call)`` are told at once, and the task's run is reported
        as a ``"background"`` call (named by its qualified name)."""
        observers = self.observing("background")
        if not observers:
            return func
        name = getattr(func, "__qualname__", None) or repr(func)
        call = Call("background", name, func)
        for observer in observers:
            spawned = getattr(observer, "spawned", None)
            if spawned is not None:
                spawned(call)
        return observed(observers, call, func)

    def signal_sent(
        self, call: Call, sender: Any, kwargs: dict[str, Any], receivers: int
    ) -> None:
        """Tell the observers that care that ``call.name`` is being sent."""
        for observer in self.observers:
            if isinstance(observer, SignalObserver):
                observer.sent(call, sender, kwargs, receivers)


def observed(
    observers: tuple[Observer, ...], call: Call, func: Callable[..., Any]
) -> Callable[..., Any]:
    """``func``, reporting each call to ``observers`` (started in order,
    ended in reverse, as nested spans are)."""
    if is_async_callable(func):

        @functools.wraps(func)
        async def observed_async(*args: Any, **kwargs: Any) -> Any:
            tokens = [observer.start(call) for observer in observers]
            try:
                result = await func(*args, **kwargs)
            except BaseException as error:
                _end(observers, call, tokens, error)
                raise
            _end(observers, call, tokens, None)
            return result

        return observed_async

    @functools.wraps(func)
    def observed_sync(*args: Any, **kwargs: Any) -> Any:
        tokens = [observer.start(call) for observer in observers]
        try:
            result = func(*args, **kwargs)
        except BaseException as error:
            _end(observers, call, tokens, error)
            raise
        _end(observers, call, tokens, None)
        return result

    return observed_sync


def _end(
    observers: tuple[Observer, ...],
    call: Call,
    tokens: list[Any],
    error: BaseException | None,
) -> None:
    for observer, token in zip(reversed(observers), reversed(tokens), strict=True):
        observer.end(call, token, error)


class ObservedReceiver:
    """A sync receiver reporting its call to observers: made per call (a
    kept one would keep a weakly held receiver alive), so a small object,
    not a :func:`functools.wraps` closure. Its repr and ``__wrapped__``
    are the receiver's (what error logs and the inspector name)."""

    __slots__ = ("__wrapped__", "_call", "_observers")

    def __init__(self, observers: tuple[Observer, ...], name: str, func: Any) -> None:
        self._observers = observers
        # Call's frozen __init__ is the dearest part of a call made per call:
        # the same fields, set without it.
        call = object.__new__(Call)
        call.__dict__.update(kind="receiver", name=name, func=func)
        self._call = call
        self.__wrapped__ = func

    def __repr__(self) -> str:
        return repr(self.__wrapped__)

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        observers, call = self._observers, self._call
        if len(observers) == 1:  # the usual case: no token list, no zip
            (observer,) = observers
            token = observer.start(call)
            try:
                result = self.__wrapped__(*args, **kwargs)
            except BaseException as error:
                observer.end(call, token, error)
                raise
            observer.end(call, token, None)
            return result
        tokens = [observer.start(call) for observer in observers]
        try:
            result = self.__wrapped__(*args, **kwargs)
        except BaseException as error:
            _end(observers, call, tokens, error)
            raise
        _end(observers, call, tokens, None)
        return result


class ObservedAsyncReceiver(ObservedReceiver):
    """:class:`ObservedReceiver` for an async receiver (timed over its
    whole await)."""

    __slots__ = ()

    async def __call__(self, *args: Any, **kwargs: Any) -> Any:
        observers, call = self._observers, self._call
        if len(observers) == 1:
            (observer,) = observers
            token = observer.start(call)
            try:
                result = await self.__wrapped__(*args, **kwargs)
            except BaseException as error:
                observer.end(call, token, error)
                raise
            observer.end(call, token, None)
            return result
        tokens = [observer.start(call) for observer in observers]
        try:
            result = await self.__wrapped__(*args, **kwargs)
        except BaseException as error:
            _end(observers, call, tokens, error)
            raise
        _end(observers, call, tokens, None)
        return result
