"""The connection table of one signal and the dispatch plans derived from it.

Mutations (connect, disconnect, a receiver or sender dying) take a lock,
update the table and publish fresh, immutable :class:`Plan` objects. Sends
take no lock: they read one published plan, so a mutation in another thread,
or in a receiver, never breaks or skips a send already under way.

Weak-reference death callbacks can fire in any thread, including one that
already holds the lock (a garbage collection during a mutation), so they
queue the death and only apply it when the lock is free; whoever holds the
lock drains the queue before letting go.
"""

from __future__ import annotations

import itertools
import sys
import threading
import types
from collections import deque
from collections.abc import Callable, Generator, Hashable, Iterable
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any

from ._refs import (
    Getter,
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

    ``entries`` pairs each receiver's getter with whether it is async;
    ``getters`` is the same without the flags, for the loops that need none;
    ``first_async`` is the getter of the first async receiver, if any.
    """

    __slots__ = ("entries", "first_async", "getters")

    def __init__(self, entries: tuple[tuple[Getter, bool], ...]) -> None:
        self.entries = entries
        self.getters = tuple(getter for getter, _ in entries)
        self.first_async = next((g for g, is_async in entries if is_async), None)


EMPTY_PLAN = Plan(())

# The registries muted in the current context (thread or task), so muting in
# one test or request never silences another running at the same time.
_MUTED: ContextVar[frozenset[Registry]] = ContextVar(
    "asignals_muted", default=frozenset()
)


class Registry:
    """Who is connected to what, for one signal."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._pending: deque[tuple[bool, Hashable, object]] = deque()
        self._seq = itertools.count()
        # receiver key -> (getter, weak, is_async)
        self._receivers: dict[Hashable, tuple[Getter, bool, bool]] = {}
        # sender key -> {receiver key: connection sequence number}
        self._by_sender: dict[Hashable, dict[Hashable, int]] = {}
        self._by_receiver: dict[Hashable, set[Hashable]] = {}
        self._anchors: dict[Hashable, Getter] = {}
        # Published for sends: replaced or updated only under the lock.
        self.any_plan: Plan = EMPTY_PLAN
        self.plans: dict[Hashable, tuple[Getter, Plan]] = {}
        # Receiver key -> weak reference or receiver, republished whole after
        # each mutation so ``if signal.receivers:`` costs an attribute read.
        self.listing: dict[Hashable, Any] = {}
        # How many mutes are active in any context: while zero, a send need
        # not read the context variable at all.
        self._mutes = 0

    # -- reading (lock-free) -------------------------------------------------

    def plan_for(self, sender: object, muting: bool = True) -> Plan:
        """The plan a send to ``sender`` runs: its own receivers merged with
        ANY's; empty while muted in this context (unless ``muting`` is off)."""
        if muting and self._mutes and self in _MUTED.get():
            return EMPTY_PLAN
        plans = self.plans
        if not plans:
            return self.any_plan
        hit = plans.get(id(sender))
        # The anchor check makes a stale entry of a dead sender whose id was
        # just reused unreachable, even before its death is processed.
        if hit is not None and hit[0]() is sender:
            return hit[1]
        cls = type(sender)
        if isinstance(sender, types.MethodType):
            hit = plans.get(object_key(sender))
            if hit is not None and hit[0]() is sender.__self__:
                return hit[1]
        elif not cls.__weakrefoffset__:
            try:
                hit = plans.get((cls, sender))
            except TypeError:  # unhashable: only ever keyed by id, seen above
                hit = None
            if hit is not None:
                return hit[1]
        return self.any_plan

    def is_muted(self) -> bool:
        """Whether sends are muted in the current context."""
        return self in _MUTED.get()

    @contextmanager
    def muted(self) -> Generator[None, None, None]:
        """Mute sends in the current context until the block ends (nests)."""
        with self._lock:
            self._mutes += 1
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
            with self._lock:
                self._mutes += 1  # never taken back: it only enables a check
        _MUTED.set(current | {self} if value else current - {self})

    # -- mutating ------------------------------------------------------------

    @contextmanager
    def _mutating(self) -> Generator[None, None, None]:
        # Deaths queued before are applied first: an object can only take a
        # dead one's address after the death callback ran and queued it, so
        # a mutation never meets a stale entry under a reused key.
        with self._lock:
            self._drain()
            yield
            self._drain()
            self._list()
        self._drain_when_free()

    def _list(self) -> None:
        self.listing = {
            key: getter if weak else getter()
            for key, (getter, weak, _) in self._receivers.items()
        }

    def connect(self, receiver: Callable[..., Any], sender: object, weak: bool) -> bool:
        """Connect; return False when the pair was already connected."""
        rkey = object_key(receiver)
        skey = ANY_KEY if sender is ANY_KEY else object_key(sender)
        with self._mutating():
            held = self._receivers.get(rkey)
            if held is None or held[1] != weak:
                getter = (
                    weak_getter(receiver, lambda ref: self._died(False, rkey, ref))
                    if weak
                    else constant(receiver)
                )
                self._receivers[rkey] = (getter, weak, is_async_callable(receiver))
                if held is not None:  # weak <-> strong: refresh every plan
                    self._publish(tuple(self._by_receiver.get(rkey, ())))
            connections = self._by_sender.setdefault(skey, {})
            is_new = rkey not in connections
            if is_new:
                connections[rkey] = next(self._seq)
                self._by_receiver.setdefault(rkey, set()).add(skey)
            if skey is not ANY_KEY and skey not in self._anchors:
                self._anchors[skey] = sender_anchor(
                    sender, lambda ref: self._died(True, skey, ref)
                )
            self._publish((skey,))
        return is_new

    def disconnect(self, receiver: Callable[..., Any], sender: object) -> bool:
        """Drop one connection (``ANY_KEY``: the ANY one); False if none."""
        rkey = object_key(receiver)
        skey = ANY_KEY if sender is ANY_KEY else object_key(sender)
        with self._mutating():
            return self._drop_connection(rkey, skey)

    def disconnect_all(self, receiver: Callable[..., Any]) -> bool:
        """Drop every connection of ``receiver``; False if it had none."""
        rkey = object_key(receiver)
        with self._mutating():
            changed = rkey in self._receivers
            self._drop_receiver(rkey)
        return changed

    def clear(self) -> None:
        """Disconnect everything."""
        with self._mutating():
            for rkey in list(self._receivers):
                self._drop_receiver(rkey)

    # -- internals (lock held) -----------------------------------------------

    def _drop_connection(self, rkey: Hashable, skey: Hashable) -> bool:
        connections = self._by_sender.get(skey)
        if connections is None or connections.pop(rkey, None) is None:
            return False
        senders = self._by_receiver[rkey]
        senders.discard(skey)
        if not senders:
            del self._by_receiver[rkey]
            del self._receivers[rkey]
        if not connections:
            del self._by_sender[skey]
            self._anchors.pop(skey, None)
        self._publish((skey,))
        return True

    def _drop_receiver(self, rkey: Hashable) -> None:
        for skey in list(self._by_receiver.get(rkey, ())):
            self._drop_connection(rkey, skey)

    def _drop_sender(self, skey: Hashable) -> None:
        for rkey in list(self._by_sender.get(skey, ())):
            self._drop_connection(rkey, skey)

    def _publish(self, skeys: Iterable[Hashable]) -> None:
        if ANY_KEY in skeys:
            self.any_plan = self._build(ANY_KEY)
            skeys = list(self.plans)
        for skey in skeys:
            if skey in self._by_sender:
                self.plans[skey] = (self._anchors[skey], self._build(skey))
            else:
                self.plans.pop(skey, None)

    def _build(self, skey: Hashable) -> Plan:
        merged = dict(self._by_sender.get(ANY_KEY, {}))
        if skey is not ANY_KEY:
            for rkey, seq in self._by_sender.get(skey, {}).items():
                merged[rkey] = min(seq, merged.get(rkey, seq))
        order = sorted(merged, key=merged.__getitem__)
        entries = tuple(
            (self._receivers[rkey][0], self._receivers[rkey][2]) for rkey in order
        )
        return Plan(entries) if entries else EMPTY_PLAN

    # -- deaths of weakly held receivers and senders -------------------------

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
                if held is not None and held[0] is ref:
                    self._drop_receiver(key)

    def _drain_when_free(self) -> None:
        # Re-checked after every release: a death queued while the lock was
        # held elsewhere is applied by whichever thread gets the lock next.
        while self._pending and self._lock.acquire(blocking=False):
            try:
                self._drain()
                self._list()
            finally:
                self._lock.release()
