"""Share signals across processes and machines through Redis pub/sub.

A :class:`Relay` connects the signals it is told to share to one Redis
channel (``<prefix>:<name>``). A send of a shared signal calls the local
receivers at once, as always; the relay then publishes it, and every other
process with a relay on the same channel delivers it to *its* receivers.
redis-py (``pip install app-framework[redis]``) is imported only when a
relay starts.

The semantics, and what keeps them:

* **Addressing** by the signal's name, so only named signals can be shared.
* **Senders**: the relay's ``local_sender`` (the app) crosses as "the app"
  and arrives as the receiving process's own ``local_sender``; ``str``,
  ``int``, ``float``, ``bool`` and ``None`` cross as they are; any other
  sender makes the send raise ``TypeError`` (never a silent drop).
* **Payload**: the keyword arguments as JSON (``dumps``/``loads``, the
  app's JSON provider under app_framework); never pickle. A message over
  the signal's ``max_bytes`` is dropped and counted.
* **Delivery**: at most once, in order per sending process, once per
  process; a process never hears its own message back, and a remote
  delivery is never published again.
* **Never in the caller's way**: a send only appends to a bounded outbox;
  a publisher task sends in pipelined batches with a short timeout. While
  Redis is down or slow, messages are dropped and counted, with one log
  line per outage; a message older than its signal's ``max_age`` is
  dropped rather than delivered late.
* **Never cut off**: the subscriber reads into a bounded inbox and a
  separate task dispatches, so a slow receiver never lets Redis's output
  buffer overflow and drop the connection; after any error the subscriber
  resubscribes, forever, with a capped backoff. :attr:`Relay.connected` and
  :attr:`Relay.disconnected` are sent on each change, so apps can
  resynchronise.
* **Telling remote from local**: while a remote delivery runs,
  :func:`is_remote` is true and :data:`origin` names the sending process,
  so work that must happen once (archiving) runs only where the signal was
  first sent.
* **Never stopped by one message**: a message is checked field by field
  as it arrives; one that is not JSON, or lacks a field or has one of the
  wrong type, is dropped and counted (``dropped_unreadable``), and the
  dispatcher goes on after any failure of one delivery (counted in
  ``delivery_errors``). Both are logged at most once a minute.
* **Context across processes**: a propagator added with
  :func:`add_propagator` (a tracer's) writes what it needs into a message's
  optional ``ctx`` object when the signal is sent, and is given it back
  around the delivery in the other process (string keys and values only).
* **Counters** in :attr:`Relay.stats`, also written to Redis every second
  (``<prefix>:<name>:stats:<process>``, expiring) for the command line.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import math
import numbers
import os
import socket
import threading
import time
import uuid
from collections import deque
from collections.abc import AsyncIterator, Callable, Iterator
from contextvars import ContextVar
from dataclasses import dataclass
from typing import Any, Protocol

from ._namespace import NamedSignal
from ._signal import Signal

__all__ = [
    "ContextPropagator",
    "Relay",
    "SharedSignal",
    "add_propagator",
    "is_remote",
    "origin",
    "remove_propagator",
]

origin: ContextVar[str | None] = ContextVar("asignals_relay_origin", default=None)
"""The process a delivery came from (``None``: sent here)."""

_SCALARS = (str, int, float, bool)
COUNTERS = (
    "published",
    "delivered",
    "dropped_outbox_full",
    "dropped_broker_down",
    "dropped_too_old",
    "dropped_too_large",
    "dropped_inbox_full",
    "dropped_unreadable",
    "receiver_errors",
    "delivery_errors",
    "reconnects",
)
# Keywords of send_async_robust itself: a message naming one would choose how
# the receiving process dispatches instead of reaching its receivers.
_RESERVED = frozenset({"_sync_wrapper", "_concurrent"})
_LOG_INTERVAL = 60.0


def _reraise_cancel() -> None:
    """Raise ``CancelledError`` if this task is being cancelled: redis-py
    may turn a cancel that lands mid-command into its own connection error,
    and a relay that swallowed it would never stop."""
    task = asyncio.current_task()
    if task is not None and task.cancelling():
        raise asyncio.CancelledError()


class ContextPropagator(Protocol):
    """Carries a context (a trace) from a send to its remote deliveries."""

    def inject(self, signal: str, carrier: dict[str, str]) -> None:
        """Called in the sender's context as signal ``signal`` is sent:
        add what the other processes need to ``carrier``."""

    def delivering(
        self, signal: str, carrier: dict[str, str]
    ) -> contextlib.AbstractContextManager[Any]:
        """Around the remote delivery of ``signal``, given the ``carrier``
        the sender filled (empty when it had no propagator)."""


_propagators: tuple[ContextPropagator, ...] = ()


def add_propagator(propagator: ContextPropagator) -> None:
    """Have every relay of this process carry ``propagator``'s context."""
    global _propagators
    _propagators = (*_propagators, propagator)


def remove_propagator(propagator: ContextPropagator) -> None:
    """Stop carrying ``propagator``'s context (nothing if it was not added)."""
    global _propagators
    _propagators = tuple(p for p in _propagators if p is not propagator)


def _injected(name: str) -> dict[str, str] | None:
    if not _propagators:
        return None
    carrier: dict[str, str] = {}
    for propagator in _propagators:
        propagator.inject(name, carrier)
    return carrier or None


@contextlib.contextmanager
def _delivering(name: str, carrier: dict[str, str] | None) -> Iterator[None]:
    with contextlib.ExitStack() as stack:
        for propagator in _propagators:
            stack.enter_context(propagator.delivering(name, carrier or {}))
        yield


def _carrier(value: Any) -> dict[str, str] | None:
    if value is None:
        return None
    if not isinstance(value, dict) or not all(
        isinstance(k, str) and isinstance(v, str) for k, v in value.items()
    ):
        raise ValueError('"ctx" is not an object of strings')
    return value


def is_remote() -> bool:
    """Whether the current delivery came from another process."""
    return origin.get() is not None


@dataclass(frozen=True, slots=True)
class _Arrival:
    """A message that passed every check: nothing in it can fail a delivery."""

    origin: str
    name: str
    sent_at: float
    sender: Any
    kwargs: dict[str, Any]
    context: dict[str, str] | None = None


def _sent_at(value: Any) -> float:
    # bool is an int, JSON's NaN and Infinity parse as floats, and a long
    # int overflows float(): none of them is a time.
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise ValueError('"t" is not a number')
    try:
        sent_at = float(value)
    except OverflowError:
        raise ValueError('"t" is out of range') from None
    if not math.isfinite(sent_at):
        raise ValueError('"t" is not finite')
    return sent_at


def _keywords(value: Any) -> dict[str, Any]:
    if not isinstance(value, dict) or not all(isinstance(k, str) for k in value):
        raise ValueError('"kw" is not an object')
    if not _RESERVED.isdisjoint(value):
        raise ValueError(f'"kw" names one of {sorted(_RESERVED)}')
    return value


@dataclass(frozen=True)
class SharedSignal:
    """A signal a relay shares, with its limits."""

    signal: NamedSignal
    max_bytes: int
    max_age: float


class Relay:
    """Shares named signals with every process connected to the same Redis.

    :param url: The Redis URL (``redis://host:port/db``).
    :param name: The application's name: processes share a channel per
        name and prefix.
    :param local_sender: The object that crosses as "the app" (arrives as
        the receiving process's own).
    :param dumps: Turns the message (a dict) into JSON text.
    :param loads: Reads it back.
    :param around_delivery: A factory of async context managers a remote
        delivery runs in (app_framework passes ``app.app_context``).
    """

    def __init__(
        self,
        url: str,
        *,
        name: str,
        prefix: str = "asignals",
        local_sender: Any = None,
        dumps: Callable[[Any], str] = json.dumps,
        loads: Callable[[str | bytes], Any] = json.loads,
        around_delivery: Callable[[], contextlib.AbstractAsyncContextManager[Any]]
        | None = None,
        outbox_size: int = 10_000,
        inbox_size: int = 10_000,
        batch_size: int = 200,
        publish_timeout: float = 0.5,
        max_backoff: float = 0.5,
        logger: logging.Logger | None = None,
    ) -> None:
        self.url = url
        self.name = name
        self.channel = f"{prefix}:{name}"
        """The Redis pub/sub channel."""
        self.id = f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"
        """This process's identity in messages."""
        self.local_sender = local_sender
        self._dumps, self._loads = dumps, loads
        self._around = around_delivery
        self.outbox_size, self.inbox_size = outbox_size, inbox_size
        self.batch_size, self.publish_timeout = batch_size, publish_timeout
        self.max_backoff = max_backoff
        self.log = logger or logging.getLogger("asignals.relay")
        self.shared: dict[str, SharedSignal] = {}
        self.stats: dict[str, int] = dict.fromkeys(COUNTERS, 0)
        """Counters: published, delivered, and dropped by cause."""
        self.counted = Signal(
            "Sent (sender: the relay; counter=, value=) when a counter changes, "
            "for metrics exporters."
        )
        self.connected = Signal("Sent (sender: the relay) on each (re)subscription.")
        self.disconnected = Signal("Sent (sender: the relay) when Redis is lost.")
        self._outbox: deque[tuple[float, SharedSignal, bytes]] = deque()
        self._inbox: deque[_Arrival] = deque()
        self._forwarders: dict[str, Callable[..., None]] = {}
        self._loop: asyncio.AbstractEventLoop | None = None
        self._loop_thread = 0
        self._outbox_ready: asyncio.Event | None = None
        self._inbox_ready: asyncio.Event | None = None
        self._tasks: list[asyncio.Task[None]] = []
        self._client: Any = None
        self._publisher_down = False
        self._subscribed = False
        self._warned_large: set[str] = set()
        self._quiet_until: dict[str, float] = {}

    def _count(self, counter: str, amount: int = 1) -> None:
        value = self.stats[counter] = self.stats[counter] + amount
        if self.counted.receivers:
            self.counted.send(self, counter=counter, value=value)

    def _warn_now(self, kind: str) -> bool:
        """Whether a warning of this kind may be logged now: at most one a
        minute, so a stream of bad messages cannot flood the log (the
        counters have the totals)."""
        now = time.monotonic()
        if now < self._quiet_until.get(kind, 0.0):
            return False
        self._quiet_until[kind] = now + _LOG_INTERVAL
        return True

    # -- what is shared ------------------------------------------------------

    def share(
        self, signal: NamedSignal, *, max_bytes: int = 65_536, max_age: float = 5.0
    ) -> None:
        """Share ``signal`` (a named signal) through this relay.

        :param max_bytes: A message larger than this is dropped and counted.
        :param max_age: Seconds after which an undelivered message is
            dropped rather than delivered late.
        :raises TypeError: ``signal`` has no name.
        """
        if not isinstance(signal, NamedSignal):
            raise TypeError(
                "only named signals can be shared (they are addressed by name): "
                "use Namespace().signal('name') or asignals.signal('name')"
            )
        shared = SharedSignal(signal, max_bytes, max_age)
        self.shared[signal.name] = shared

        def forward(sender: Any, **kwargs: Any) -> None:
            self._forward(shared, sender, kwargs)

        old = self._forwarders.pop(signal.name, None)
        if old is not None:
            signal.disconnect(old)
        self._forwarders[signal.name] = forward
        signal.connect(forward, weak=False)

    def unshare_all(self) -> None:
        """Stop sharing every signal (their local sends go on as before)."""
        for name, forward in self._forwarders.items():
            self.shared[name].signal.disconnect(forward)
        self._forwarders.clear()
        self.shared.clear()

    # -- sending (the caller's side: never waits, never fails on Redis) -----

    def _forward(
        self, shared: SharedSignal, sender: Any, kwargs: dict[str, Any]
    ) -> None:
        if origin.get() is not None:
            return  # a remote delivery is never published again
        data = self._encode(shared, sender, kwargs)
        if len(data) > shared.max_bytes:
            self._count("dropped_too_large", 1)
            if shared.signal.name not in self._warned_large:
                self._warned_large.add(shared.signal.name)
                self.log.warning(
                    "Relay: a %r message of %d bytes is over its max_bytes (%d) "
                    "and is not shared (counted in dropped_too_large)",
                    shared.signal.name,
                    len(data),
                    shared.max_bytes,
                )
            return
        outbox = self._outbox
        if len(outbox) >= self.outbox_size:
            outbox.popleft()  # the oldest goes: it is the likeliest to be late
            self._count("dropped_outbox_full", 1)
        outbox.append((time.time(), shared, data))
        self._wake(self._outbox_ready)

    def _encode(
        self, shared: SharedSignal, sender: Any, kwargs: dict[str, Any]
    ) -> bytes:
        if sender is not None and sender is self.local_sender:
            who: dict[str, Any] = {"app": True}
        elif sender is None or type(sender) in _SCALARS:
            who = {"value": sender}
        else:
            raise TypeError(
                f"signal {shared.signal.name!r} is shared across processes: its "
                "sender must be the app (the relay's local_sender), a str, an "
                f"int, a float, a bool or None, not {type(sender).__name__}"
            )
        if not _RESERVED.isdisjoint(kwargs):
            raise TypeError(
                f"signal {shared.signal.name!r} is shared across processes: its "
                f"keyword arguments cannot be named {sorted(_RESERVED)} (they "
                "are send_async's own); rename them"
            )
        message = {
            "v": 1,
            "o": self.id,
            "s": shared.signal.name,
            "t": time.time(),
            "from": who,
            "kw": kwargs,
        }
        carrier = _injected(shared.signal.name)
        if carrier is not None:
            message["ctx"] = carrier
        try:
            text = self._dumps(message)
        except (TypeError, ValueError) as exc:
            raise TypeError(
                f"signal {shared.signal.name!r} is shared across processes: its "
                f"keyword arguments must be JSON ({exc})"
            ) from exc
        return text.encode() if isinstance(text, str) else text

    def _wake(self, event: asyncio.Event | None) -> None:
        if event is None or event.is_set():
            return
        if threading.get_ident() == self._loop_thread:
            event.set()
        elif self._loop is not None and not self._loop.is_closed():
            self._loop.call_soon_threadsafe(event.set)

    # -- running -------------------------------------------------------------

    async def start(self) -> None:
        """Start publishing and subscribing; returns at once, whether Redis
        answers or not (the tasks keep trying)."""
        if self._tasks:
            return
        import redis.asyncio as aioredis  # only now: an optional dependency

        self._loop = asyncio.get_running_loop()
        self._loop_thread = threading.get_ident()
        self._outbox_ready = asyncio.Event()
        self._inbox_ready = asyncio.Event()
        if self._outbox:
            self._outbox_ready.set()
        self._client = aioredis.Redis.from_url(
            self.url,
            socket_timeout=self.publish_timeout,
            socket_connect_timeout=self.publish_timeout,
        )
        self._tasks = [
            asyncio.create_task(self._publish_forever(), name="relay publisher"),
            asyncio.create_task(self._subscribe_forever(), name="relay subscriber"),
            asyncio.create_task(self._dispatch_forever(), name="relay dispatcher"),
        ]

    async def stop(self) -> None:
        """Stop the tasks and close the connections (messages not yet
        published are dropped)."""
        tasks, self._tasks = self._tasks, []
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        if self._client is not None:
            with contextlib.suppress(Exception):
                async with asyncio.timeout(self.publish_timeout):
                    await self._client.aclose()
            self._client = None

    @property
    def is_subscribed(self) -> bool:
        """Whether the subscriber is connected and listening now."""
        return self._subscribed

    # -- publisher -----------------------------------------------------------

    async def _publish_forever(self) -> None:
        assert self._outbox_ready is not None
        next_stats = 0.0
        while True:
            _reraise_cancel()  # a cancel redis-py swallowed mid-command
            # asyncio.timeout, not wait_for: on 3.11 wait_for can lose a
            # cancel that races its timeout, and stop() would hang.
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(1.0):
                    await self._outbox_ready.wait()
            self._outbox_ready.clear()
            while self._outbox:
                if not await self._publish_batch():
                    await asyncio.sleep(self.max_backoff)
                _reraise_cancel()
            if time.monotonic() >= next_stats:
                next_stats = time.monotonic() + 1.0
                await self._write_stats()

    def _take_batch(self) -> list[bytes]:
        now = time.time()
        batch: list[bytes] = []
        while self._outbox and len(batch) < self.batch_size:
            sent_at, shared, data = self._outbox.popleft()
            if now - sent_at > shared.max_age:
                self._count("dropped_too_old", 1)
                continue
            batch.append(data)
        return batch

    async def _publish_batch(self) -> bool:
        """Publish up to ``batch_size`` messages; whether Redis took them."""
        batch = self._take_batch()
        if not batch:
            return True
        try:
            async with asyncio.timeout(self.publish_timeout):
                pipe = self._client.pipeline(transaction=False)
                for data in batch:
                    pipe.publish(self.channel, data)
                await pipe.execute()
        except Exception as exc:  # Redis down, slow, or refusing: never raised
            _reraise_cancel()
            self._count("dropped_broker_down", len(batch))
            if not self._publisher_down:
                self._publisher_down = True
                self.log.warning(
                    "Relay %s: cannot publish to Redis (%s); shared signals stay "
                    "local and messages are dropped (and counted) until it answers",
                    self.channel,
                    exc or type(exc).__name__,
                )
            return False
        self._count("published", len(batch))
        if self._publisher_down:
            self._publisher_down = False
            self.log.warning("Relay %s: publishing to Redis again", self.channel)
        return True

    async def _write_stats(self) -> None:
        key = f"{self.channel}:stats:{self.id}"
        try:
            async with asyncio.timeout(self.publish_timeout):
                await self._client.hset(key, mapping=self.stats)
                await self._client.expire(key, 10)
        except Exception:  # counters are best effort; the outage is logged above
            _reraise_cancel()

    # -- subscriber ----------------------------------------------------------

    async def _subscribe_forever(self) -> None:
        backoff = 0.05
        while True:
            _reraise_cancel()
            try:
                async with self._subscription() as pubsub:
                    backoff = 0.05
                    await self._listen(pubsub)
            except asyncio.CancelledError:
                raise
            except Exception as exc:  # any error: resubscribe, forever
                _reraise_cancel()
                self._lost(exc)
                await asyncio.sleep(backoff)
                backoff = min(backoff * 2, self.max_backoff)

    @contextlib.asynccontextmanager
    async def _subscription(self) -> AsyncIterator[Any]:
        pubsub = self._client.pubsub(ignore_subscribe_messages=True)
        try:
            await pubsub.subscribe(self.channel)
            self._found()
            yield pubsub
        finally:
            self._subscribed = False
            # redis-py's close can wait on the read a cancel interrupted:
            # bounded, so a stop or a resubscription never hangs on it.
            with contextlib.suppress(Exception):
                async with asyncio.timeout(self.publish_timeout):
                    await pubsub.aclose()

    async def _listen(self, pubsub: Any) -> None:
        while True:
            _reraise_cancel()
            message = await pubsub.get_message(timeout=1.0)
            if message is None:
                await pubsub.ping()  # a dead connection shows up here
                continue
            if message.get("type") == "message":
                self._received(message["data"])

    _lost_at: float | None = None

    def _found(self) -> None:
        self._subscribed = True
        if self._lost_at is not None:
            self._count("reconnects", 1)
            self.log.warning("Relay %s: subscribed to Redis again", self.channel)
            self._lost_at = None
        self.connected.send(self)

    def _lost(self, exc: BaseException) -> None:
        if self._lost_at is None:
            self._lost_at = time.monotonic()
            self.log.warning(
                "Relay %s: lost Redis (%s); resubscribing until it answers",
                self.channel,
                exc or type(exc).__name__,
            )
            self.disconnected.send(self)

    def _received(self, data: bytes) -> None:
        try:
            arrival = self._read(data)
        except Exception as exc:  # whatever another process (or anyone) sent
            self._count("dropped_unreadable", 1)
            if self._warn_now("unreadable"):
                self.log.warning(
                    "Relay %s: dropped a message it cannot read (%s: %.200s); "
                    "counted in dropped_unreadable, logged at most once a minute",
                    self.channel,
                    type(exc).__name__,
                    exc,
                )
            return
        if arrival is None:
            return  # our own, already delivered here
        inbox = self._inbox
        if len(inbox) >= self.inbox_size:
            inbox.popleft()
            self._count("dropped_inbox_full", 1)
        inbox.append(arrival)
        self._wake(self._inbox_ready)

    def _read(self, data: bytes) -> _Arrival | None:
        """Check every field a delivery reads, once, here: a message that
        passes cannot fail the dispatcher. ``None`` for our own messages.

        :raises ValueError: what is wrong with it (or whatever ``loads``
            raises on text that is not JSON).
        """
        message = self._loads(data)
        if not isinstance(message, dict):
            raise ValueError("not a JSON object")
        sent_by = message.get("o")
        if not isinstance(sent_by, str):
            raise ValueError('"o" (the sending process) is not a string')
        if sent_by == self.id:
            return None
        name = message.get("s")
        if not isinstance(name, str):
            raise ValueError('"s" (the signal) is not a string')
        if name not in self.shared:
            raise ValueError(f"unknown signal {name[:100]!r}")
        return _Arrival(
            sent_by,
            name,
            _sent_at(message.get("t")),
            self._sender(message.get("from")),
            _keywords(message.get("kw")),
            _carrier(message.get("ctx")),
        )

    def _sender(self, who: Any) -> Any:
        if who is None:
            return None
        if isinstance(who, dict):
            app, value = who.get("app", False), who.get("value")
            if type(app) is bool and (value is None or type(value) in _SCALARS):
                return self.local_sender if app else value
        raise ValueError(
            '"from" is not {"app": true} or {"value": a str, int, float, bool or null}'
        )

    # -- dispatcher ----------------------------------------------------------

    async def _dispatch_forever(self) -> None:
        assert self._inbox_ready is not None
        while True:
            await self._inbox_ready.wait()
            self._inbox_ready.clear()
            while self._inbox:
                arrival = self._inbox.popleft()
                try:
                    await self._deliver(arrival)
                except Exception as exc:  # one message never stops the rest
                    _reraise_cancel()
                    self._delivery_failed(arrival, exc)

    def _delivery_failed(self, arrival: _Arrival, exc: Exception) -> None:
        self._count("delivery_errors", 1)
        if self._warn_now("delivery"):
            self.log.error(
                "Relay %s: a remote delivery of %r failed (counted in "
                "delivery_errors, logged at most once a minute)",
                self.channel,
                arrival.name,
                exc_info=exc,
            )

    async def _deliver(self, arrival: _Arrival) -> None:
        shared = self.shared.get(arrival.name)
        if shared is None:
            return  # unshared since it arrived
        if time.time() - arrival.sent_at > shared.max_age:
            self._count("dropped_too_old", 1)
            return
        sender, kwargs = arrival.sender, arrival.kwargs
        token = origin.set(arrival.origin)
        try:
            with _delivering(arrival.name, arrival.context):
                if self._around is not None:
                    async with self._around():
                        outcomes = await shared.signal.send_async_robust(
                            sender, **kwargs
                        )
                else:
                    outcomes = await shared.signal.send_async_robust(sender, **kwargs)
        finally:
            origin.reset(token)
        self._count("delivered", 1)
        for receiver, outcome in outcomes:
            if outcome.error is not None:
                self._count("receiver_errors", 1)
                self.log.error(
                    "Relay: receiver %r of %r failed on a remote delivery",
                    receiver,
                    shared.signal.name,
                    exc_info=outcome.error,
                )
