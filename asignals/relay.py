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

Durable signals (``share(signal, durable=True)``) go over a Redis Stream
per signal (``<prefix>:<name>:stream:<signal>``) instead:

* **At least once into the stream, exactly once out of it**: a message
  waits in the bounded outbox while Redis is down or frozen and is written
  when it answers; a batch retried after a timeout is never written twice
  (see :mod:`asignals._streams`), and a reader drops any second copy by its
  origin's sequence number (``duplicates_dropped``).
* **Order**: every process delivers other processes' messages in the
  stream's order, reading with ``XREAD BLOCK`` from the last id it has
  seen, so an outage or a resubscription resumes where it stopped.
  :data:`message_id` and :data:`sequence` name the message being handled.
* **Gaps are signals**: entries retention trimmed before a reader got
  them, and sequence numbers an origin skipped (its outbox overflowed), are
  counted (``gap_trimmed``, ``gap_sequence``) and sent as :data:`relay_gap`.
* **Replay**: :meth:`Relay.follow` yields the retained messages after an
  id, then the live ones.

Every relay also writes a heartbeat every ``heartbeat_interval`` on its
channel and on a heartbeat stream, and checks that it hears its own: one
that has not for ``deaf_after`` seconds while Redis answers resubscribes
and sends :data:`relay_deaf`. :meth:`Relay.health` reports who was heard
when, and the publish-to-delivery latency.
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

from ._namespace import NamedSignal, Namespace
from ._signal import Signal
from ._streams import XADD_SCRIPT, Follower, Message, parse_id

__all__ = [
    "ContextPropagator",
    "Follower",
    "Message",
    "Relay",
    "SharedSignal",
    "add_propagator",
    "is_remote",
    "message_id",
    "origin",
    "relay_deaf",
    "relay_gap",
    "remove_propagator",
    "sequence",
]

origin: ContextVar[str | None] = ContextVar("asignals_relay_origin", default=None)
"""The process a delivery came from (``None``: sent here)."""
message_id: ContextVar[str | None] = ContextVar("asignals_relay_id", default=None)
"""The stream id of the durable message being delivered (``None``: sent
here, or not durable)."""
sequence: ContextVar[int | None] = ContextVar("asignals_relay_sequence", default=None)
"""The origin's sequence number of the durable message being delivered."""

_relay_signals = Namespace()
relay_gap = _relay_signals.signal(
    "relay_gap",
    doc="A relay found messages it will never deliver (sender: its local_sender, "
    "else the relay; kwargs: relay, signal, reason, missed, origin).",
)
relay_deaf = _relay_signals.signal(
    "relay_deaf",
    doc="A relay stopped hearing its own heartbeat and resubscribed (sender: "
    "its local_sender, else the relay; kwargs: relay, channel, silent_for).",
)

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
    "duplicates_dropped",
    "gap_trimmed",
    "gap_sequence",
    "deaf",
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
    id: str | None = None
    sequence: int | None = None
    context: dict[str, str] | None = None


def _sequence(value: Any) -> int:
    if type(value) is not int or value < 1:
        raise ValueError('"q" (the sequence number) is not a positive int')
    return value


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
    max_age: float | None
    durable: bool = False
    retention: int = 10_000
    retention_seconds: float | None = None
    stream: str = ""
    """The Redis Stream of a durable signal."""


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
    :param outbox_size: Messages waiting to be written (durable ones wait
        out an outage here); past it the oldest is dropped and counted.
    :param heartbeat_interval: Seconds between heartbeats.
    :param deaf_after: Seconds without hearing its own heartbeat (while
        Redis answers) after which the relay resubscribes.
    :param read_block: Seconds a stream read waits for entries.
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
        heartbeat_interval: float = 0.25,
        deaf_after: float = 1.0,
        read_block: float = 1.0,
        read_count: int = 500,
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
        self.prefix = f"{prefix}:{name}"
        self.heartbeats = f"{prefix}:{name}:heartbeats"
        """The stream every relay of this name writes its heartbeats to."""
        self.heartbeat_interval, self.deaf_after = heartbeat_interval, deaf_after
        self.read_block, self.read_count = read_block, read_count
        self.shared: dict[str, SharedSignal] = {}
        self.stats: dict[str, int] = dict.fromkeys(COUNTERS, 0)
        """Counters: published, delivered, and dropped by cause."""
        self.counted = Signal(
            "Sent (sender: the relay; counter=, value=) when a counter changes, "
            "for metrics exporters."
        )
        self.connected = Signal("Sent (sender: the relay) on each (re)subscription.")
        self.disconnected = Signal("Sent (sender: the relay) when Redis is lost.")
        self._outbox: deque[tuple[float, SharedSignal, bytes, int]] = deque()
        self._inbox: deque[_Arrival] = deque()
        self._forwarders: dict[str, Callable[..., None]] = {}
        self._loop: asyncio.AbstractEventLoop | None = None
        self._loop_thread = 0
        self._outbox_ready: asyncio.Event | None = None
        self._inbox_ready: asyncio.Event | None = None
        self._tasks: dict[str, asyncio.Task[None]] = {}
        self._client: Any = None
        self._reader: Any = None  # its own connections: XREAD BLOCK holds one
        self._script: Any = None
        self._pubsub: Any = None
        self._cut_streams = False
        self._next_sequence: dict[str, int] = {}
        self._lost_to_outbox: dict[str, int] = {}
        self._positions: dict[str, str] = {}  # stream -> last id read
        self._last_sequence: dict[tuple[str, str], int] = {}
        self._followers: dict[str, set[Follower]] = {}
        self._heard: dict[str, float] = {}  # relay id -> time.time()
        # channel -> when a heartbeat was written with nothing heard since
        self._unheard_since: dict[str, float] = {}
        self._unheard_beats: dict[str, int] = {}
        self._latencies: deque[float] = deque(maxlen=1_000)
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
        self,
        signal: NamedSignal,
        *,
        max_bytes: int = 65_536,
        max_age: float | None = None,
        durable: bool = False,
        retention: int = 10_000,
        retention_seconds: float | None = None,
    ) -> None:
        """Share ``signal`` (a named signal) through this relay.

        :param max_bytes: A message larger than this is dropped and counted.
        :param max_age: Seconds after which an undelivered message is
            dropped rather than delivered late (default: 5 s, none when
            durable).
        :param durable: Carry it over a Redis Stream: kept through outages,
            in one order everywhere, replayable (:meth:`follow`).
        :param retention: About how many messages the stream keeps
            (``XADD MAXLEN ~``).
        :param retention_seconds: Also trim messages older than this.
        :raises TypeError: ``signal`` has no name.
        """
        if not isinstance(signal, NamedSignal):
            raise TypeError(
                "only named signals can be shared (they are addressed by name): "
                "use Namespace().signal('name') or asignals.signal('name')"
            )
        if max_age is None and not durable:
            max_age = 5.0
        stream = f"{self.prefix}:stream:{signal.name}" if durable else ""
        shared = SharedSignal(
            signal, max_bytes, max_age, durable, retention, retention_seconds, stream
        )
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
        number = 0
        if shared.durable:
            # Numbered before the size check: a message too large to cross
            # is one the other processes miss, and they say so (relay_gap).
            name = shared.signal.name
            number = self._next_sequence.get(name, 0) + 1
        data = self._encode(shared, sender, kwargs, number)
        if number:
            self._next_sequence[shared.signal.name] = number
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
            self._drop_oldest()
        outbox.append((time.time(), shared, data, number))
        self._wake(self._outbox_ready)

    def _drop_oldest(self) -> None:
        # The oldest goes: it is the likeliest to be late. A durable one
        # leaves a hole in its origin's sequence that readers report, and is
        # reported here too (by the publisher, once per round).
        _, shared, _, number = self._outbox.popleft()
        self._count("dropped_outbox_full", 1)
        if number:
            name = shared.signal.name
            self._lost_to_outbox[name] = self._lost_to_outbox.get(name, 0) + 1

    def _encode(
        self, shared: SharedSignal, sender: Any, kwargs: dict[str, Any], number: int
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
        if number:
            message["q"] = number
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
        # A read blocks up to read_block: its socket waits a little longer,
        # so a frozen Redis still shows up as a timeout.
        self._reader = aioredis.Redis.from_url(
            self.url,
            socket_timeout=self.read_block + self.publish_timeout,
            socket_connect_timeout=self.publish_timeout,
        )
        self._script = self._client.register_script(XADD_SCRIPT)
        for name in ("publisher", "subscriber", "dispatcher", "streams", "watch"):
            self._start_task(name)

    _RUNS = {
        "publisher": "_publish_forever",
        "subscriber": "_subscribe_forever",
        "dispatcher": "_dispatch_forever",
        "streams": "_read_streams_forever",
        "watch": "_watch_forever",
    }

    def _start_task(self, name: str) -> None:
        run = getattr(self, self._RUNS[name])
        self._tasks[name] = asyncio.create_task(run(), name=f"relay {name}")

    async def _restart_task(self, name: str) -> None:
        """Cancel the task and start it again (a resubscription)."""
        task = self._tasks.get(name)
        if task is not None:
            task.cancel()
            await asyncio.gather(task, return_exceptions=True)
        if self._tasks:  # not stopped meanwhile
            self._start_task(name)

    async def stop(self) -> None:
        """Stop the tasks and close the connections (messages not yet
        published are dropped)."""
        tasks, self._tasks = list(self._tasks.values()), {}
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        for follower_set in list(self._followers.values()):
            for follower in list(follower_set):
                await follower.aclose()
        for client in (self._client, self._reader):
            if client is not None:
                with contextlib.suppress(Exception):
                    async with asyncio.timeout(self.publish_timeout):
                        await client.aclose()
        self._client = self._reader = None

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
                await self._report_outbox_losses()
            await self._report_outbox_losses()
            if time.monotonic() >= next_stats:
                next_stats = time.monotonic() + 1.0
                await self._write_stats()

    async def _report_outbox_losses(self) -> None:
        lost, self._lost_to_outbox = self._lost_to_outbox, {}
        for name, missed in lost.items():
            await self._gap(name, "outbox_full", missed, self.id)

    def _take_batch(self) -> list[tuple[float, SharedSignal, bytes, int]]:
        now = time.time()
        batch: list[tuple[float, SharedSignal, bytes, int]] = []
        while self._outbox and len(batch) < self.batch_size:
            item = self._outbox.popleft()
            max_age = item[1].max_age
            if max_age is not None and now - item[0] > max_age:
                self._count("dropped_too_old", 1)
                continue
            batch.append(item)
        return batch

    async def _queue_writes(
        self, pipe: Any, batch: list[tuple[float, SharedSignal, bytes, int]]
    ) -> None:
        """Pub/sub messages one PUBLISH each; durable ones one script call
        per run of the same stream, so the stream keeps the send order."""
        run: list[Any] = []
        for index, (_, shared, data, number) in enumerate(batch):
            if not shared.durable:
                pipe.publish(self.channel, data)
                continue
            run += [number, data]
            following = batch[index + 1][1] if index + 1 < len(batch) else None
            if following is not shared:
                await self._queue_script(pipe, shared, run)
                run = []

    async def _queue_script(
        self, pipe: Any, shared: SharedSignal, run: list[Any]
    ) -> None:
        min_id = 0
        if shared.retention_seconds is not None:
            min_id = int((time.time() - shared.retention_seconds) * 1000)
        keys = [shared.stream, f"{shared.stream}:meta", f"{shared.stream}:q:{self.id}"]
        # The last-sequence key outlives any outage the outbox can bridge.
        # Queued on the pipeline (redis-py's async Script wants an await).
        await self._script(keys, [shared.retention, min_id, 86_400, *run], client=pipe)

    def _put_back(self, batch: list[tuple[float, SharedSignal, bytes, int]]) -> int:
        """Return the durable messages of a failed batch to the outbox's
        front, in order; how many were pub/sub ones (those are dropped)."""
        durable = [item for item in batch if item[1].durable]
        self._outbox.extendleft(reversed(durable))
        while len(self._outbox) > self.outbox_size:
            self._drop_oldest()
        return len(batch) - len(durable)

    async def _publish_batch(self) -> bool:
        """Publish up to ``batch_size`` messages; whether Redis took them."""
        batch = self._take_batch()
        if not batch:
            return True
        try:
            async with (
                asyncio.timeout(self.publish_timeout),
                self._client.pipeline(transaction=False) as pipe,
            ):
                await self._queue_writes(pipe, batch)
                await pipe.execute()
        except Exception as exc:  # Redis down, slow, or refusing: never raised
            _reraise_cancel()
            dropped = self._put_back(batch)
            if dropped:
                self._count("dropped_broker_down", dropped)
            if not self._publisher_down:
                self._publisher_down = True
                self.log.warning(
                    "Relay %s: cannot publish to Redis (%s); shared signals stay "
                    "local, pub/sub messages are dropped (and counted) and "
                    "durable ones wait in the outbox until it answers",
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
        health = f"{self.channel}:health:{self.id}"
        try:
            async with (
                asyncio.timeout(self.publish_timeout),
                self._client.pipeline(transaction=False) as pipe,
            ):
                pipe.hset(key, mapping=self.stats)
                pipe.expire(key, 10)
                pipe.set(health, json.dumps(self.health()), ex=10)
                await pipe.execute()
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
            self._pubsub = pubsub
            self._found()
            yield pubsub
        finally:
            self._subscribed = False
            self._pubsub = None
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
        # Anything arriving shows the subscription lives, even one that is
        # behind (a flood): only silence makes a relay deaf.
        self._heard_on(self.channel)
        try:
            arrival = self._read(data)
        except Exception as exc:  # whatever another process (or anyone) sent
            self._unreadable(exc)
            return
        if arrival is None:
            return  # our own, already delivered here, or a heartbeat
        self._enqueue(arrival)

    def _enqueue(self, arrival: _Arrival) -> None:
        inbox = self._inbox
        if len(inbox) >= self.inbox_size:
            inbox.popleft()
            self._count("dropped_inbox_full", 1)
        inbox.append(arrival)
        self._wake(self._inbox_ready)

    def _read(self, data: bytes) -> _Arrival | None:
        """A pub/sub message, checked (:meth:`_parse`); ``None`` for our own
        messages and for heartbeats (noted as heard)."""
        message = self._loads(data)
        if not isinstance(message, dict):
            raise ValueError("not a JSON object")
        sent_by = message.get("o")
        if not isinstance(sent_by, str):
            raise ValueError('"o" (the sending process) is not a string')
        if "hb" in message:
            self._heard_from(sent_by, self.channel)
            return None
        if sent_by == self.id:
            return None
        return self._parse(message, sent_by)

    def _parse(
        self, message: dict[str, Any], sent_by: str, entry_id: str | None = None
    ) -> _Arrival:
        """Check every field a delivery reads, once, here: a message that
        passes cannot fail the dispatcher.

        :raises ValueError: what is wrong with it (or whatever ``loads``
            raises on text that is not JSON).
        """
        self._heard[sent_by] = time.time()
        name = message.get("s")
        if not isinstance(name, str):
            raise ValueError('"s" (the signal) is not a string')
        if name not in self.shared:
            raise ValueError(f"unknown signal {name[:100]!r}")
        number = None if entry_id is None else _sequence(message.get("q"))
        return _Arrival(
            sent_by,
            name,
            _sent_at(message.get("t")),
            self._sender(message.get("from")),
            _keywords(message.get("kw")),
            entry_id,
            number,
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
        age = time.time() - arrival.sent_at
        if shared.max_age is not None and age > shared.max_age:
            self._count("dropped_too_old", 1)
            return
        self._latencies.append(age)
        sender, kwargs = arrival.sender, arrival.kwargs
        token = origin.set(arrival.origin)
        id_token = message_id.set(arrival.id)
        sequence_token = sequence.set(arrival.sequence)
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
            sequence.reset(sequence_token)
            message_id.reset(id_token)
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

    # -- durable signals: the stream reader ----------------------------------

    def _durable(self) -> list[SharedSignal]:
        return [shared for shared in self.shared.values() if shared.durable]

    async def _read_streams_forever(self) -> None:
        backoff = 0.05
        while True:
            _reraise_cancel()
            try:
                await self._read_streams()
                backoff = 0.05
            except asyncio.CancelledError:
                raise
            except Exception as exc:  # any error: read again from the last id
                _reraise_cancel()
                self._streams_lost(exc)
                await asyncio.sleep(backoff)
                backoff = min(backoff * 2, self.max_backoff)

    async def _read_streams(self) -> None:
        """Read every durable stream (and the heartbeats) from the last id
        seen, until the set of durable signals changes."""
        keys = self._stream_keys()
        if not keys:
            await asyncio.sleep(self.read_block)  # nothing durable (yet)
            return
        for key in keys:
            if key not in self._positions:
                self._positions[key] = await self._stream_end(key)
        self._streams_found()
        while keys == self._stream_keys():
            _reraise_cancel()
            cut = ":cut" if self._cut_streams else ""
            reply = await self._reader.xread(
                {key + cut: self._positions[key] for key in keys},
                count=self.read_count,
                block=int(self.read_block * 1000),
            )
            for key, entries in reply or ():
                stream = key.decode()
                for entry_id, fields in entries:
                    await self._stream_entry(stream, entry_id.decode(), fields)

    def _stream_keys(self) -> list[str]:
        durable = [shared.stream for shared in self._durable()]
        return [*durable, self.heartbeats] if durable else []

    _streams_down = False

    def _streams_lost(self, exc: BaseException) -> None:
        if not self._streams_down:
            self._streams_down = True
            self.log.warning(
                "Relay %s: cannot read its streams (%s); reading again from the "
                "last id seen when Redis answers",
                self.channel,
                exc or type(exc).__name__,
            )

    def _streams_found(self) -> None:
        if self._streams_down:
            self._streams_down = False
            self.log.warning("Relay %s: reading its streams again", self.channel)

    async def _stream_end(self, key: str) -> str:
        """The id a new reader starts after: the stream's last (``0-0``
        when it has none yet)."""
        last = await self._reader.xrevrange(key, count=1)
        return str(last[0][0].decode()) if last else "0-0"

    async def _stream_entry(
        self, stream: str, entry_id: str, fields: dict[bytes, bytes]
    ) -> None:
        before = self._positions.get(stream, "0-0")
        self._positions[stream] = entry_id
        self._heard_on(self.heartbeats)
        if stream == self.heartbeats:
            self._heard_from(fields.get(b"o", b"").decode(), stream)
            return
        trimmed = await self._check_ordinal(stream, before, entry_id)
        try:
            arrival = self._stream_arrival(entry_id, fields)
        except Exception as exc:
            self._unreadable(exc)
            return
        # Our own holes were reported when the outbox made them.
        report = not trimmed and arrival.origin != self.id
        if not await self._in_sequence(arrival, report=report):
            return
        if self._followers.get(stream):
            message = self._message(arrival)
            for follower in list(self._followers[stream]):
                follower.push(message)
        if arrival.origin != self.id:
            self._enqueue(arrival)

    def _stream_arrival(self, entry_id: str, fields: dict[bytes, bytes]) -> _Arrival:
        message = self._loads(fields[b"d"])
        if not isinstance(message, dict):
            raise ValueError("not a JSON object")
        sent_by = message.get("o")
        if not isinstance(sent_by, str):
            raise ValueError('"o" (the sending process) is not a string')
        return self._parse(message, sent_by, entry_id)

    def _unreadable(self, exc: Exception) -> None:
        self._count("dropped_unreadable", 1)
        if self._warn_now("unreadable"):
            self.log.warning(
                "Relay %s: dropped a message it cannot read (%s: %.200s); "
                "counted in dropped_unreadable, logged at most once a minute",
                self.channel,
                type(exc).__name__,
                exc,
            )

    async def _check_ordinal(self, stream: str, before: str, entry_id: str) -> bool:
        """Entries are numbered 1, 2, ... in their id: a jump past the one
        read before means retention trimmed the ones between unread.
        Whether it did."""
        last, now = parse_id(before)[1], parse_id(entry_id)[1]
        if not last or now <= last + 1:
            return False
        name = stream.rsplit(":stream:", 1)[1]
        self._count("gap_trimmed", now - last - 1)
        await self._gap(name, "trimmed", now - last - 1, None)
        return True

    async def _in_sequence(self, arrival: _Arrival, report: bool = True) -> bool:
        """Whether ``arrival`` is new from its origin (not a second copy);
        reports the sequence numbers it skipped (unless they were just
        reported as trimmed)."""
        assert arrival.sequence is not None
        key = (arrival.name, arrival.origin)
        last = self._last_sequence.get(key)
        if last is not None and arrival.sequence <= last:
            self._count("duplicates_dropped", 1)
            return False
        self._last_sequence[key] = arrival.sequence
        if report and last is not None and arrival.sequence > last + 1:
            missed = arrival.sequence - last - 1
            self._count("gap_sequence", missed)
            await self._gap(arrival.name, "sequence", missed, arrival.origin)
        return True

    def _message(self, arrival: _Arrival) -> Message:
        assert arrival.id is not None and arrival.sequence is not None
        return Message(
            arrival.id,
            arrival.name,
            arrival.origin,
            arrival.sequence,
            arrival.sent_at,
            arrival.sender,
            arrival.kwargs,
        )

    async def _gap(
        self, name: str, reason: str, missed: int, sent_by: str | None
    ) -> None:
        if self._warn_now(f"gap:{reason}"):
            self.log.warning(
                "Relay %s: %d message(s) of %r will not be delivered here (%s); "
                "sent as relay_gap, logged at most once a minute",
                self.channel,
                missed,
                name,
                reason,
            )
        sender = self if self.local_sender is None else self.local_sender
        for receiver, outcome in await relay_gap.send_async_robust(
            sender,
            relay=self,
            signal=name,
            reason=reason,
            missed=missed,
            origin=sent_by,
        ):
            if outcome.error is not None:
                self.log.error(
                    "Relay: relay_gap receiver %r failed",
                    receiver,
                    exc_info=outcome.error,
                )

    # -- replay -----------------------------------------------------------------

    def follow(
        self,
        signal: NamedSignal | str,
        *,
        after: str | None = None,
        max_queue: int = 1_000,
    ) -> Follower:
        """The messages of a durable shared signal after the id ``after``
        (``"0"``: every one retained; ``None``: from now on), then the live
        ones, with no duplicate and no gap between the two.

        ``async with relay.follow(said, after=last_id) as messages: async for
        message in messages: ...`` -- each a :class:`Message`, this
        process's own sends included.

        :raises TypeError: the signal is not shared durably here.
        :raises ValueError: ``after`` is not a stream id.
        :raises RuntimeError: the relay is not started.
        """
        shared = self._shared_durably(signal)
        if after is not None:
            parse_id(after)
        return Follower(self, shared, after, max_queue)

    async def newest_id(self, signal: NamedSignal | str) -> str | None:
        """The id of the newest message of a durable shared signal that
        Redis holds (``"0-0"`` when it holds none), or ``None`` when Redis
        cannot be asked now (one try, within ``publish_timeout``).

        Hand it to a client that has heard nothing yet (a page as it is
        rendered): should it come back with it as ``after``, it gets every
        message sent since, where ``after=None`` would have been live only.

        :raises TypeError: the signal is not shared durably here.
        :raises RuntimeError: the relay is not started.
        """
        shared = self._shared_durably(signal)
        try:
            async with asyncio.timeout(self.publish_timeout):
                entries = await self._client.xrevrange(shared.stream, "+", "-", 1)
        except Exception:
            _reraise_cancel()
            return None
        if not entries:
            return "0-0"
        newest: bytes = entries[0][0]
        return newest.decode()

    def _shared_durably(self, signal: NamedSignal | str) -> SharedSignal:
        """The sharing of ``signal``, which must be durable, by a started relay."""
        name = signal if isinstance(signal, str) else signal.name
        shared = self.shared.get(name)
        if shared is None or not shared.durable:
            raise TypeError(
                f"signal {name!r} is not shared durably by this relay: share it "
                "with relay.share(signal, durable=True) (app.share_signal(signal, "
                "durable=True)) to replay it"
            )
        if not self._tasks:
            raise RuntimeError("the relay is not started: await relay.start() first")
        return shared

    async def _history(
        self, shared: SharedSignal, start: str, count: int
    ) -> list[Message]:
        """Up to ``count`` retained messages from ``start`` (XRANGE syntax);
        waits out an outage (a follower just waits)."""
        backoff = 0.05
        while True:
            try:
                entries = await self._reader.xrange(shared.stream, start, "+", count)
                break
            except Exception:
                _reraise_cancel()
                await asyncio.sleep(backoff)
                backoff = min(backoff * 2, self.max_backoff)
        messages = []
        for entry_id, fields in entries:
            try:
                arrival = self._stream_arrival(entry_id.decode(), fields)
            except Exception as exc:
                self._unreadable(exc)
                continue
            messages.append(self._message(arrival))
        return messages

    # -- heartbeats, deafness and health -----------------------------------------

    def _heard_on(self, channel: str) -> None:
        self._unheard_since.pop(channel, None)
        self._unheard_beats.pop(channel, None)

    def _heard_from(self, relay_id: str, channel: str) -> None:
        self._heard[relay_id] = time.time()

    def _channels(self) -> list[str]:
        return [self.channel, self.heartbeats] if self._durable() else [self.channel]

    async def _watch_forever(self) -> None:
        while True:
            _reraise_cancel()  # a cancel redis-py swallowed mid-command
            await asyncio.sleep(self.heartbeat_interval)
            written = await self._beat()
            now = time.monotonic()
            for channel in self._channels():
                if not written:
                    # An outage, not deafness: the errors say so already.
                    self._heard_on(channel)
                    continue
                since = self._unheard_since.setdefault(channel, now)
                self._unheard_beats[channel] = self._unheard_beats.get(channel, 0) + 1
                # Three heartbeats unheard, not just time: an event loop
                # stalled for a second by other work is not deafness.
                if now - since > self.deaf_after and self._unheard_beats[channel] > 3:
                    await self._deaf(channel, now - since)

    async def _beat(self) -> bool:
        """Write a heartbeat on the channel and the heartbeat stream;
        whether Redis took both."""
        beat = json.dumps({"v": 1, "o": self.id, "hb": 1, "t": time.time()})
        try:
            async with (
                asyncio.timeout(self.publish_timeout),
                self._client.pipeline(transaction=False) as pipe,
            ):
                pipe.publish(self.channel, beat)
                if self._durable():
                    pipe.xadd(self.heartbeats, {"o": self.id}, maxlen=1_000)
                await pipe.execute()
        except Exception:
            _reraise_cancel()
            return False
        return True

    async def _deaf(self, channel: str, silent_for: float) -> None:
        self._count("deaf", 1)
        self._heard_on(channel)  # counting again from the resubscription
        self.log.warning(
            "Relay %s: has not heard its own heartbeat on %s for %.1f s while "
            "Redis answers; resubscribing (counted in deaf)",
            self.channel,
            channel,
            silent_for,
        )
        if channel == self.channel:
            await self._restart_task("subscriber")
        else:
            self._cut_streams = False
            await self._restart_task("streams")
        sender = self if self.local_sender is None else self.local_sender
        await relay_deaf.send_async_robust(
            sender, relay=self, channel=channel, silent_for=silent_for
        )

    async def cut_subscription_for_test(self) -> None:
        """A test hook: silently stop hearing, as a deaf worker does (the
        pub/sub subscription is dropped on Redis's side behind the relay's
        back, and the stream reader reads keys nobody writes). No error
        reaches the relay: only its heartbeats can tell."""
        self._cut_streams = True
        pubsub = self._pubsub
        if pubsub is not None:
            await pubsub.execute_command("UNSUBSCRIBE", self.channel)

    def health(self) -> dict[str, Any]:
        """This relay now: whether it listens, when it last heard each
        relay of its name (seconds ago, itself included), the publish to
        delivery latency of its last 1,000 remote deliveries, counters."""
        now = time.time()
        ordered = sorted(self._latencies)

        def percentile(share: float) -> float | None:
            if not ordered:
                return None
            return round(
                ordered[min(len(ordered) - 1, int(len(ordered) * share))] * 1e3, 2
            )

        return {
            "id": self.id,
            "subscribed": self._subscribed,
            "heard": {
                who: round(now - when, 3) for who, when in dict(self._heard).items()
            },
            "latency_ms": {"p50": percentile(0.5), "p99": percentile(0.99)},
            "stats": dict(self.stats),
        }
