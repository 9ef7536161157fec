"""The connection table of one signal and the dispatch plans derived from it.

Mutations (connect, disconnect, a receiver or sender dying) take a lock and
update the table in O(1): they only mark the plans they concern as stale.
A plan (who a send to one sender calls, in order) is built when a send first
needs it and published as an immutable :class:`Plan`; sends then read it
without a lock, so a mutation in another thread, or in a receiver, never
breaks or skips a send already under way. Building takes the lock too, so a
plan is never built from a half-made change.

Weak-reference death callbacks can fire in any thread, including one that
already holds the lock (a garbage collection during a mutation), so they
queue the death and only apply it when the lock is free; whoever holds the
lock drains the queue before letting go.
"""

from __future__ import annotations

import heapq
import itertools
import sys
import threading
import types
import weakref
from collections import deque
from collections.abc import Callable, Generator, Hashable
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any

from . import _observe
from ._refs import (
    Getter,
    KeyedMethodRef,
    KeyedRef,
    constant,
    is_async_callable,
    object_key,
    sender_anchor,
    weak_getter,
)

ANY_KEY: Hashable = object()
"""The table's key for "connected to every sender"."""


class Plan:
    """The receivers one send will call, in connection order, ready to use.

    ``getters`` holds each receiver's getter (call it: ``None`` means a
    weakly held receiver has died, skip it); ``flags`` whether each is
    async. ``entries`` pairs them. ``first_async`` is the getter of the
    first async receiver, if any; ``all_async`` tells the common cases apart.

    ``observed`` is None unless the signal is observed (see ``_observe``):
    then it is the plan to call, whose getters give the receivers wrapped
    for their observers, and ``first_async`` is set and ``all_async``
    false whatever the receivers are, so that the sends leave their fast
    loops for the calls in ``_dispatch``.
    """

    __slots__ = ("all_async", "first_async", "flags", "getters", "observed")

    def __init__(self, getters: tuple[Getter, ...], flags: tuple[bool, ...]) -> None:
        self.getters = getters
        self.flags = flags
        self.first_async = next(
            (get for get, is_async in zip(getters, flags, strict=True) if is_async),
            None,
        )
        self.all_async = all(flags)
        self.observed: Plan | None = None

    @property
    def entries(self) -> zip[tuple[Getter, bool]]:
        """``(getter, is_async)`` for each receiver, in order."""
        return zip(self.getters, self.flags, strict=True)


EMPTY_PLAN = Plan((), ())


def _no_owner() -> None:
    return None


class Channel:
    """The receivers a send from one sender calls, kept ready for code that
    dispatches by itself (a framework's hot path): see
    :meth:`asignals.Signal.channel`.

    ``entries`` is a tuple of ``(getter, is_async)`` pairs, or ``None`` when
    it must be fetched again with :meth:`current` (after a connect or
    disconnect that concerns this sender, and while a mute is active).
    """

    __slots__ = ("__weakref__", "_registry", "entries", "key", "sender")

    def __init__(self, registry: Registry, sender: Any, key: Hashable) -> None:
        self._registry = registry
        self.sender = sender
        """The sender this channel sends as."""
        self.key = key
        self.entries: tuple[tuple[Getter, bool], ...] | None = None

    def current(self) -> tuple[tuple[Getter, bool], ...]:
        """The entries to call now, in this context (muting included);
        kept in ``entries`` for the next send when nothing is muted."""
        return self._registry.refresh(self)


# The registries muted in the current context (thread or task), so muting in
# one test or request never silences another running at the same time.
_MUTED: ContextVar[frozenset[Registry]] = ContextVar(
    "asignals_muted", default=frozenset()
)


class _Held:
    """One connected receiver: how to get it, and where it is connected."""

    __slots__ = ("call", "get", "is_async", "senders", "weak")

    def __init__(self, get: Getter, weak: bool, is_async: bool) -> None:
        self.get = get
        # What plans call to reach the receiver: for a weakly held function,
        # the plain weak reference (CPython shares one per object, and calls
        # it faster than the keyed one that reports the death).
        self.call: Getter = get
        if type(get) is KeyedRef:
            self.call = weakref.ref(get())
        self.weak = weak
        self.is_async = is_async
        # One sender key (the common case: no set to allocate) or a set.
        self.senders: Any = _NONE

    def add(self, skey: Hashable) -> None:
        senders = self.senders
        if senders is _NONE:
            self.senders = skey
        elif type(senders) is _SenderSet:
            senders.add(skey)
        elif senders != skey:
            self.senders = _SenderSet((senders, skey))

    def discard(self, skey: Hashable) -> bool:
        """Forget ``skey``; return True when no sender is left."""
        senders = self.senders
        if type(senders) is _SenderSet:
            senders.discard(skey)
            if len(senders) == 1:
                self.senders = next(iter(senders))
            return False
        if senders == skey:
            self.senders = _NONE
            return True
        return False

    def all(self) -> list[Hashable]:
        senders = self.senders
        if senders is _NONE:
            return []
        return list(senders) if type(senders) is _SenderSet else [senders]


class _SenderSet(set[Hashable]):
    """A receiver's sender keys when it has more than one (a distinct type,
    so a sender key that is itself a set-like value is never mistaken)."""


_NONE: Any = object()


def _lookup_key(sender: object) -> tuple[Hashable, Callable[[Getter], bool]]:
    """The plan key of ``sender`` and a check that a published plan's anchor
    is this sender (values match by value: their anchor holds an equal one)."""
    cls = type(sender)
    if cls is types.MethodType:
        target = sender.__self__  # type: ignore[attr-defined]
        return object_key(sender), lambda anchor: anchor() is target
    key = object_key(sender)
    if isinstance(key, tuple):
        return key, _always
    return key, lambda anchor: anchor() is sender


def _always(anchor: Getter) -> bool:
    return True


class _Mutation:
    """``with registry._mutation:`` around every change. Deaths queued
    before are applied first: an object can only take a dead one's address
    after the death callback ran and queued it, so a change never meets a
    stale entry under a reused key. (A class, not a generator-based context
    manager: it is entered on every connect and disconnect.)"""

    __slots__ = ("_registry",)

    def __init__(self, registry: Registry) -> None:
        self._registry = registry

    def __enter__(self) -> None:
        registry = self._registry
        registry._lock.acquire()
        registry._owner = threading.get_ident()
        if registry._pending:
            try:
                registry._drain()
            except BaseException:
                self.__exit__()
                raise

    def __exit__(self, *exc_info: object) -> None:
        registry = self._registry
        try:
            if registry._pending:
                registry._drain()
        finally:
            registry._owner = 0
            registry._lock.release()
        if registry._pending:
            registry._drain_when_free()


class Registry:
    """Who is connected to what, for one signal."""

    def __init__(self, owner: Any = None) -> None:
        # The signal, for its observers (weakly: the signal holds us).
        self.owner: Callable[[], Any] = (
            weakref.ref(owner) if owner is not None else _no_owner
        )
        self.namespace: Any = None  # set by Namespace.signal
        self.observers: tuple[_observe.ReceiverObserver, ...] = ()
        _observe.registries.add(self)
        self._lock = threading.Lock()
        self._owner = 0  # the thread holding the lock for a mutation
        self._pending: deque[tuple[bool, Hashable, object]] = deque()
        self._seq = itertools.count()
        self._receivers: dict[Hashable, _Held] = {}
        # sender key -> {receiver key: connection sequence number}, in
        # connection order (a new connection always gets the next number).
        self._by_sender: dict[Hashable, dict[Hashable, int]] = {}
        self._anchors: dict[Hashable, Getter] = {}
        self._specific = 0  # how many sender keys (not ANY) have connections
        self._channels: weakref.WeakSet[Channel] = weakref.WeakSet()
        self._mutation = _Mutation(self)
        # One callback object for every weak reference (not one closure each).
        self._receiver_died = self._on_receiver_death
        self._sender_died = self._on_sender_death
        # Published for sends. A missing entry (or any_plan None) is built
        # on demand; mutations only drop what they make stale.
        self.any_plan: Plan | None = EMPTY_PLAN
        self.plans: dict[Hashable, tuple[Getter, Plan]] = {}
        # The getters ``send`` calls without looking anything up: the ANY
        # plan's, while every receiver is connected to ANY, none is async
        # and nothing is muted anywhere; else None. Set under the lock by
        # _set_fast, cleared by every change.
        self.sync_getters: tuple[Getter, ...] | None = ()
        self._listing: dict[Hashable, Any] | None = {}
        # How many mutes are active in any context: while zero, a send need
        # not read the context variable at all.
        self._mutes = 0

    # -- reading (lock-free unless a plan must be built) ---------------------

    def plan_for(self, sender: object, muting: bool = True) -> Plan:
        """The plan a send to ``sender`` runs: its own receivers merged with
        ANY's; empty while muted in this context (unless ``muting`` is off)."""
        if muting and self._mutes and self in _MUTED.get():
            return EMPTY_PLAN
        if not self._specific:
            return self.any_plan or self._build_any()
        hit = self.plans.get(id(sender))
        # The anchor check makes a stale entry of a dead sender whose id was
        # just reused unreachable, even before its death is processed.
        if hit is not None and hit[0]() is sender:
            return hit[1]
        return self._plan_slow(sender)

    def _plan_slow(self, sender: object) -> Plan:
        """A sender that is not a weakly referenceable object with a
        published plan: a bound method, a value, or a plan to build."""
        skey, matches = _lookup_key(sender)
        hit = self.plans.get(skey)
        if hit is not None and matches(hit[0]):
            return hit[1]
        if skey not in self._anchors:
            return self.any_plan or self._build_any()
        with self._building() as cacheable:
            return self._locked_plan(skey, cacheable)

    def _build_any(self) -> Plan:
        with self._building() as cacheable:
            return self._locked_plan(ANY_KEY, cacheable)

    def _locked_plan(self, skey: Hashable, publish: bool) -> Plan:
        """The plan for ``skey`` (lock held), published when ``publish``."""
        if skey is ANY_KEY or skey not in self._anchors:
            plan = self.any_plan or self._build(ANY_KEY)
            if publish:
                self.any_plan = plan
                self._set_fast(plan)
            return plan
        hit = self.plans.get(skey)
        if hit is not None:
            return hit[1]
        plan = self._build(skey)
        if publish:
            self.plans[skey] = (self._anchors[skey], plan)
        return plan

    def _set_fast(self, plan: Plan) -> None:
        """Publish ``plan`` (the ANY plan, lock held) for ``send`` to call
        without looking anything up, when no receiver has a sender of its
        own, none is async and nothing is muted."""
        if self._specific or self._mutes:
            self.sync_getters = None
        else:
            self.sync_getters = plan.getters if plan.first_async is None else None

    def restore_fast(self) -> None:
        """Publish the ANY plan for ``send``'s fast path again, once the
        senders of their own or the mutes that turned it off are gone (a
        send that finds it off but possible calls this). Never waits: with
        the lock taken, a later send does it."""
        if not self._lock.acquire(blocking=False):
            return
        try:
            plan = self.any_plan
            if plan is not None and not self._pending:
                self._set_fast(plan)
        finally:
            self._lock.release()

    @contextmanager
    def _building(self) -> Generator[bool, None, None]:
        """Hold the lock while a plan is built; yield whether the plan may
        be published. (A send from the thread that is mid-mutation, say from
        a finalizer, builds from what is there and publishes nothing.)"""
        if self._owner == threading.get_ident():
            yield False
            return
        with self._lock:
            self._owner = threading.get_ident()
            try:
                self._drain()
                yield True
            finally:
                self._owner = 0
        self._drain_when_free()

    def _build(self, skey: Hashable) -> Plan:
        any_connections = self._by_sender.get(ANY_KEY, {})
        own = self._by_sender.get(skey, {}) if skey is not ANY_KEY else {}
        if own and any_connections:
            # Both are in connection order: merge them, a receiver connected
            # both ways taking its earlier place.
            seen: set[Hashable] = set()
            order = []
            for _, rkey in heapq.merge(
                ((seq, rkey) for rkey, seq in any_connections.items()),
                ((seq, rkey) for rkey, seq in own.items()),
                key=lambda pair: pair[0],
            ):
                if rkey not in seen:
                    seen.add(rkey)
                    order.append(rkey)
        else:
            order = list(own or any_connections)
        held = [self._receivers[rkey] for rkey in order if rkey in self._receivers]
        if not held:
            return EMPTY_PLAN
        plan = Plan(tuple(h.call for h in held), tuple(h.is_async for h in held))
        observers = _observe.observers_for(self)
        signal = self.owner()
        if observers and signal is not None:
            plan.observed = Plan(
                tuple(
                    _observe.observed_getter(get, is_async, signal, observers)
                    for get, is_async in plan.entries
                ),
                plan.flags,
            )
            plan.first_async = plan.getters[0]
            plan.all_async = False
        return plan

    def replan(self) -> None:
        """Drop every plan (its observers changed): the next sends rebuild."""
        with self._mutation:
            self._stale(ANY_KEY)

    @property
    def listing(self) -> dict[Hashable, Any]:
        """Receiver key -> weak reference or receiver (built when asked for
        after a change, then kept)."""
        listing = self._listing
        if listing is None:
            listing = {
                key: held.get if held.weak else held.get()
                for key, held in list(self._receivers.items())
            }
            self._listing = listing
        return listing

    # -- channels ------------------------------------------------------------

    def channel(self, sender: Any) -> Channel:
        """A :class:`Channel` for ``sender`` (stale until first used)."""
        channel = Channel(self, sender, object_key(sender))
        with self._mutation:
            self._channels.add(channel)
        return channel

    def refresh(self, channel: Channel) -> tuple[tuple[Getter, bool], ...]:
        """The entries for ``channel`` now; published on it when no mute is
        active anywhere (a mute is local to its context, a channel is not)."""
        if self._mutes:
            plan = self.plan_for(channel.sender)
            return tuple((plan.observed or plan).entries)
        with self._building() as cacheable:
            # Under the lock: a change made after this publishes staleness
            # after it, so the channel never keeps an outdated plan.
            plan = self._locked_plan(channel.key, cacheable)
            entries = tuple((plan.observed or plan).entries)
            if cacheable and not self._mutes:
                channel.entries = entries
        return entries

    def _stale_channels(self, skey: Hashable) -> None:
        for channel in self._channels:
            if skey is ANY_KEY or channel.key == skey:
                channel.entries = None

    # -- muting --------------------------------------------------------------

    def is_muted(self) -> bool:
        """Whether sends are muted in the current context."""
        return self in _MUTED.get()

    @contextmanager
    def muted(self) -> Generator[None, None, None]:
        """Mute sends in the current context until the block ends (nests)."""
        self._add_mute()
        token = _MUTED.set(_MUTED.get() | {self})
        try:
            yield None
        finally:
            _MUTED.reset(token)
            with self._lock:
                self._mutes -= 1

    def set_muted(self, value: bool) -> None:
        """Mute or unmute the rest of the current context."""
        current = _MUTED.get()
        if value:
            self._add_mute()  # never taken back: it only enables a check
        _MUTED.set(current | {self} if value else current - {self})

    def _add_mute(self) -> None:
        with self._lock:
            self._mutes += 1
            self.sync_getters = None
            self._stale_channels(ANY_KEY)  # channels cannot hold a mute

    # -- mutating ------------------------------------------------------------

    def connect(self, receiver: Callable[..., Any], sender: object, weak: bool) -> bool:
        """Connect; return False when the pair was already connected."""
        rkey = object_key(receiver)
        skey = ANY_KEY if sender is ANY_KEY else object_key(sender)
        with self._mutation:
            held = self._receivers.get(rkey)
            if held is None or held.weak != weak:
                getter = (
                    weak_getter(receiver, self._receiver_died, rkey)
                    if weak
                    else constant(receiver)
                )
                fresh = _Held(getter, weak, is_async_callable(receiver))
                if held is not None:  # weak <-> strong: every plan it is in
                    fresh.senders = held.senders
                    for each in held.all():
                        self._stale(each)
                self._receivers[rkey] = held = fresh
            connections = self._by_sender.get(skey)
            if connections is None:
                connections = self._by_sender[skey] = {}
                self._specific += skey is not ANY_KEY
            is_new = rkey not in connections
            if is_new:
                connections[rkey] = next(self._seq)
                held.add(skey)
            if skey is not ANY_KEY and skey not in self._anchors:
                self._anchors[skey] = sender_anchor(sender, self._sender_died, skey)
            self._stale(skey)
        return is_new

    def disconnect(self, receiver: Callable[..., Any], sender: object) -> bool:
        """Drop one connection (``ANY_KEY``: the ANY one); False if none."""
        rkey = object_key(receiver)
        skey = ANY_KEY if sender is ANY_KEY else object_key(sender)
        with self._mutation:
            return self._drop_connection(rkey, skey)

    def disconnect_all(self, receiver: Callable[..., Any]) -> bool:
        """Drop every connection of ``receiver``; False if it had none."""
        rkey = object_key(receiver)
        with self._mutation:
            changed = rkey in self._receivers
            self._drop_receiver(rkey)
        return changed

    def clear(self) -> None:
        """Disconnect everything."""
        with self._mutation:
            for rkey in list(self._receivers):
                self._drop_receiver(rkey)

    # -- internals (lock held) -----------------------------------------------

    def _stale(self, skey: Hashable) -> None:
        """Drop what a change to ``skey``'s connections makes stale: O(1)
        for one sender; for ANY, every plan (one new dict, not a loop)."""
        self._listing = None
        self.sync_getters = None
        if skey is ANY_KEY:
            self.any_plan = None
            if self.plans:
                self.plans = {}
        else:
            self.plans.pop(skey, None)
        if self._channels:
            self._stale_channels(skey)

    def _drop_connection(self, rkey: Hashable, skey: Hashable) -> bool:
        connections = self._by_sender.get(skey)
        if connections is None or connections.pop(rkey, None) is None:
            return False
        if self._receivers[rkey].discard(skey):
            del self._receivers[rkey]
        if not connections:
            del self._by_sender[skey]
            self._specific -= skey is not ANY_KEY
            self._anchors.pop(skey, None)
        self._stale(skey)
        return True

    def _drop_receiver(self, rkey: Hashable) -> None:
        held = self._receivers.get(rkey)
        if held is not None:
            for skey in held.all():
                self._drop_connection(rkey, skey)

    def _drop_sender(self, skey: Hashable) -> None:
        for rkey in list(self._by_sender.get(skey, ())):
            self._drop_connection(rkey, skey)

    # -- deaths of weakly held receivers and senders -------------------------

    def _on_receiver_death(self, ref: KeyedRef | KeyedMethodRef) -> None:
        self._died(False, ref.key, ref)

    def _on_sender_death(self, ref: KeyedRef) -> None:
        self._died(True, ref.key, ref)

    def _died(self, is_sender: bool, key: Hashable, ref: object) -> None:
        if sys.is_finalizing():  # module globals may already be gone
            return
        self._pending.append((is_sender, key, ref))
        self._drain_when_free()

    def _drain(self) -> None:
        while self._pending:
            is_sender, key, ref = self._pending.popleft()
            if is_sender:
                if self._anchors.get(key) is ref:
                    self._drop_sender(key)
            else:
                held = self._receivers.get(key)
                if held is not None and held.get is ref:
                    self._drop_receiver(key)

    def _drain_when_free(self) -> None:
        # Re-checked after every release: a death queued while the lock was
        # held elsewhere is applied by whichever thread gets the lock next.
        while self._pending and self._lock.acquire(blocking=False):
            try:
                self._owner = threading.get_ident()
                self._drain()
            finally:
                self._owner = 0
                self._lock.release()
