"""Signal: connect receivers, then send to them from sync or async code."""

from __future__ import annotations

from collections.abc import Callable, Coroutine, Generator, Hashable, Iterator
from contextlib import contextmanager
from functools import cached_property
from typing import Any, TypeVar

from ._dispatch import (
    AsyncWrapper,
    Outcome,
    Receiver,
    SyncWrapper,
    await_concurrently,
    await_observed,
    await_robust,
    await_wrapped,
    call_robust,
    call_wrapped,
    unwrap_all,
)
from ._refs import resolve_sender
from ._registry import ANY_KEY, Channel, Plan, Registry

F = TypeVar("F", bound=Callable[..., Any])


class _AnySender:
    """The type of :data:`ANY`; a private sentinel no real sender can equal."""

    __slots__ = ()

    def __repr__(self) -> str:
        return "ANY"

    def __reduce__(self) -> str:
        return "ANY"


ANY: Any = _AnySender()
"""The wildcard sender: a receiver connected to ANY hears every sender."""


class Signal:
    """A notification emitter with sync and async receivers.

    Receivers run in the order they were connected, whether connected to
    :data:`ANY` or to a specific sender, sync or async alike.

    :param doc: The docstring of the signal.
    """

    ANY = ANY
    """An alias of :data:`asignals.ANY`."""

    def __init__(self, doc: str | None = None) -> None:
        if doc:
            self.__doc__ = doc
        self._registry = Registry(self)
        self._plan = self._registry.plan_for  # one call on the hot path

    @cached_property
    def receiver_connected(self) -> Signal:
        """Sent after each :meth:`connect`, with this signal as sender and
        ``receiver``, ``sender`` and ``weak`` as keyword arguments."""
        return Signal(doc="Sent after a receiver connects.")

    @cached_property
    def receiver_disconnected(self) -> Signal:
        """Sent after a :meth:`disconnect` that removed something, with this
        signal as sender and ``receiver`` and ``sender`` as keyword arguments.
        Not sent when a weakly referenced receiver or sender dies."""
        return Signal(doc="Sent after a receiver disconnects.")

    def connect(self, receiver: F, sender: Any = ANY, weak: bool = True) -> F:
        """Call ``receiver(sender, **kwargs)`` whenever ``sender`` sends.

        :param receiver: A callable, sync or async (decided now, once).
        :param sender: Any object, or :data:`ANY` for every sender. Senders
            are matched by identity; ``str``, ``int`` and other hashable
            objects that cannot be weakly referenced are matched by value.
            A context-local proxy (``current_app``) stands for the object
            behind it now.
        :param weak: Hold ``receiver`` through a weak reference, so it is
            disconnected when it is garbage collected.
        :returns: ``receiver``, so ``connect`` works as a decorator.
        :raises TypeError: ``receiver`` is not callable, or ``weak`` is true
            and it cannot be weakly referenced, or ``sender`` is a proxy
            with nothing behind it.
        """
        if not callable(receiver):
            raise TypeError(f"receiver must be callable, got {receiver!r}")
        if sender is not ANY:
            sender = resolve_sender(sender)
        self._registry.connect(receiver, ANY_KEY if sender is ANY else sender, weak)
        self._connected(receiver, sender, weak)
        return receiver

    def _connected(self, receiver: Receiver, sender: Any, weak: bool) -> None:
        if "receiver_connected" in self.__dict__:
            self.receiver_connected.send(
                self, receiver=receiver, sender=sender, weak=weak
            )

    def connect_via(self, sender: Any = ANY, weak: bool = False) -> Callable[[F], F]:
        """A decorator form of :meth:`connect`; strong by default."""

        def decorator(receiver: F) -> F:
            return self.connect(receiver, sender, weak)

        return decorator

    @contextmanager
    def connected_to(
        self, receiver: Receiver, sender: Any = ANY
    ) -> Generator[None, None, None]:
        """Connect ``receiver`` (strongly) for the duration of a ``with`` block.

        Sends ``receiver_connected`` on entry, as :meth:`connect` does. On
        exit only the connection this call made is undone (sending
        ``receiver_disconnected``): a receiver that was already connected to
        ``sender``, or to other senders, stays.
        """
        if sender is not ANY:
            sender = resolve_sender(sender)
        target = ANY_KEY if sender is ANY else sender
        is_new = self._registry.connect(receiver, target, weak=False)
        self._connected(receiver, sender, weak=False)
        try:
            yield None
        finally:
            if is_new and self._registry.disconnect(receiver, target):
                self._disconnected(receiver, sender)

    def disconnect(self, receiver: Receiver, sender: Any = ANY) -> None:
        """Stop calling ``receiver`` for ``sender``; for :data:`ANY` (the
        default), stop calling it at all. Disconnecting something that is not
        connected does nothing."""
        if sender is ANY:
            changed = self._registry.disconnect_all(receiver)
        else:
            sender = resolve_sender(sender)
            changed = self._registry.disconnect(receiver, sender)
        if changed:
            self._disconnected(receiver, sender)

    def _disconnected(self, receiver: Receiver, sender: Any) -> None:
        if "receiver_disconnected" in self.__dict__:
            self.receiver_disconnected.send(self, receiver=receiver, sender=sender)

    @contextmanager
    def muted(self) -> Generator[None, None, None]:
        """Send to nobody inside the ``with`` block.

        Muting is local to the current thread or asyncio/trio task (a
        context variable) and nests.
        """
        with self._registry.muted():
            yield None

    @property
    def is_muted(self) -> bool:
        """Whether sends are muted in the current context (see :meth:`muted`).
        Assigning to it mutes or unmutes the rest of the current context."""
        return self._registry.is_muted()

    @is_muted.setter
    def is_muted(self, value: bool) -> None:
        self._registry.set_muted(value)

    @property
    def receivers(self) -> dict[Hashable, Any]:
        """Receiver id -> weak reference or receiver, as in blinker. Its truth
        value (cheap: no copy is made) tells whether anything is connected;
        its contents are not a stable API and must not be mutated."""
        return self._registry.listing

    def receivers_for(self, sender: Any) -> Iterator[Receiver]:
        """Yield the live receivers ``send(sender)`` would call, in order."""
        sender = resolve_sender(sender)
        for get in self._registry.plan_for(sender, muting=False).getters:
            receiver = get()
            if receiver is not None:
                yield receiver

    def channel(self, sender: Any) -> Channel:
        """A :class:`Channel`: the receivers a send from ``sender`` calls,
        kept ready for code that dispatches by itself on a hot path (a
        framework sending per request) instead of calling :meth:`send`.

        ``channel.entries`` is a tuple of ``(get, is_async)`` pairs, in
        connection order, or ``None`` after a change that concerns
        ``sender`` (or while any context mutes this signal): then
        ``channel.current()`` gives the pairs for this context and keeps
        them for the next read. ``get()`` returns the receiver, or ``None``
        once a weakly held one has died (skip it)::

            entries = channel.entries
            if entries is None:
                entries = channel.current()
            for get, is_async in entries:
                receiver = get()
                if receiver is not None:
                    ...  # call, or await, receiver(sender, **kwargs)

        A receiver connected or disconnected is seen from the next read
        on, as with :meth:`send`. The channel holds ``sender`` strongly.
        """
        return self._registry.channel(resolve_sender(sender))

    def has_receivers_for(self, sender: Any) -> bool:
        """Whether ``send(sender)`` would call at least one live receiver.

        Cheap (one plan lookup): use it to skip building expensive keyword
        arguments, or a send altogether, when nobody listens to ``sender``.
        """
        sender = resolve_sender(sender)
        for get in self._registry.plan_for(sender, muting=False).getters:
            if get() is not None:
                return True
        return False

    def send(
        self,
        sender: Any = None,
        /,
        *,
        _async_wrapper: AsyncWrapper | None = None,
        **kwargs: Any,
    ) -> list[tuple[Receiver, Any]]:
        """Call every receiver of ``sender`` (and of :data:`ANY`) in order.

        Each is called as ``receiver(sender, **kwargs)``.

        :returns: ``[(receiver, return value), ...]`` in call order.
        :raises RuntimeError: an async receiver is connected and no
            ``_async_wrapper`` is given; raised before any receiver runs.
        :raises Exception: whatever a receiver raises, at once.
        """
        registry = self._registry
        # Every receiver connected to ANY, all sync, nothing muted (the
        # common case): one read, then the calls.
        getters = registry.sync_getters
        if getters is None:
            plan = self._plan_to_send(sender)
            if plan.first_async is not None:
                return call_wrapped(plan, sender, kwargs, _async_wrapper)
            getters = plan.getters
        results = []
        for get in getters:
            receiver = get()
            if receiver is not None:
                results.append((receiver, receiver(sender, **kwargs)))
        return results

    def _plan_to_send(self, sender: Any) -> Plan:
        """The plan for ``sender`` when :meth:`send`'s fast path is off
        (receivers with a sender of their own, a mute, an async receiver,
        or a change since the last send), turning it back on when it can
        be."""
        registry = self._registry
        if registry._specific or registry._mutes:
            return registry.plan_for(sender)
        plan = registry.any_plan
        if plan is None:
            return registry.plan_for(sender)  # publishes the fast path too
        if registry.sync_getters is None and plan.first_async is None:
            registry.restore_fast()
        return plan

    async def send_async(
        self,
        sender: Any = None,
        /,
        *,
        _sync_wrapper: SyncWrapper | None = None,
        _concurrent: bool = False,
        **kwargs: Any,
    ) -> list[tuple[Receiver, Any]]:
        """Await async receivers and call sync ones inline, in order.

        :param _sync_wrapper: If given, sync receivers are called through it
            and awaited (for example to run blocking receivers in a thread).
        :param _concurrent: Run the async receivers concurrently in an AnyIO
            task group. Results still come back in connection order; every
            receiver runs to the end, then all failures are raised together
            as an ``ExceptionGroup``.
        :returns: ``[(receiver, return value), ...]`` in connection order.
        """
        registry = self._registry
        if registry._specific or registry._mutes:
            plan = registry.plan_for(sender)
        else:
            plan = registry.any_plan or registry.plan_for(sender)
        if _concurrent:
            outcomes = await await_concurrently(plan, sender, kwargs, _sync_wrapper)
            return unwrap_all(outcomes, repr(self))
        if _sync_wrapper is not None:
            return await await_wrapped(plan, sender, kwargs, _sync_wrapper)
        results = []
        if plan.all_async:
            for get in plan.getters:
                receiver = get()
                if receiver is not None:
                    results.append((receiver, await receiver(sender, **kwargs)))
        elif plan.first_async is None:
            for get in plan.getters:
                receiver = get()
                if receiver is not None:
                    results.append((receiver, receiver(sender, **kwargs)))
        elif plan.observed is not None:
            return await await_observed(plan.observed, sender, kwargs)
        else:
            for get, is_async in zip(plan.getters, plan.flags, strict=True):
                receiver = get()
                if receiver is None:
                    continue
                if is_async:
                    results.append((receiver, await receiver(sender, **kwargs)))
                else:
                    results.append((receiver, receiver(sender, **kwargs)))
        return results

    def send_robust(
        self,
        sender: Any = None,
        /,
        *,
        _async_wrapper: AsyncWrapper | None = None,
        **kwargs: Any,
    ) -> list[tuple[Receiver, Outcome]]:
        """Like :meth:`send`, but a receiver's ``Exception`` is recorded, not
        raised, and every receiver runs.

        :returns: ``[(receiver, Outcome), ...]``; ``Outcome.error`` is set
            only when the receiver raised.
        :raises RuntimeError: as :meth:`send`, for an unwrapped async receiver.
        """
        return call_robust(self._plan(sender), sender, kwargs, _async_wrapper)

    def send_async_robust(
        self,
        sender: Any = None,
        /,
        *,
        _sync_wrapper: SyncWrapper | None = None,
        _concurrent: bool = False,
        **kwargs: Any,
    ) -> Coroutine[Any, Any, list[tuple[Receiver, Outcome]]]:
        """Like :meth:`send_async`, but a receiver's ``Exception`` is recorded
        in its :class:`Outcome`, never raised, and every receiver runs.

        Await the result: ``outcomes = await signal.send_async_robust(...)``.
        (A plain method returning the coroutine that does the work, which
        saves a coroutine layer on a path used in cleanup code.)
        """
        plan = self._plan(sender)
        if _concurrent:
            return await_concurrently(plan, sender, kwargs, _sync_wrapper)
        return await_robust(plan, sender, kwargs, _sync_wrapper)
