"""The Redis relay, against a real server: delivery across relays (each
stands for a process), sender identity, limits, and outages."""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import pickle
import time
from collections.abc import AsyncIterator, Iterator
from typing import Any

import pytest
import redis.asyncio as aioredis

from asignals import NamedSignal, Namespace, Signal
from asignals.relay import Relay, is_remote, origin
from tests.helpers.redis_server import RedisServer, redis_server


class App:
    """Stands for one process's application object."""

    def __init__(self, name: str) -> None:
        self.name = name

    def __repr__(self) -> str:
        return f"<App {self.name}>"


async def until(relay: Relay, counter: str, value: int) -> None:
    """Wait until ``relay.stats[counter]`` reaches ``value``."""
    reached = asyncio.Event()

    def check(sender: Relay, **kwargs: Any) -> None:
        if relay.stats[counter] >= value:
            reached.set()

    with relay.counted.connected_to(check):
        check(relay)
        await asyncio.wait_for(reached.wait(), 10)


@pytest.fixture
def server() -> Iterator[RedisServer]:
    with redis_server() as running:
        yield running


class Process:
    """One 'process': its own namespace (signal objects), app and relay."""

    def __init__(self, url: str, name: str, **options: Any) -> None:
        self.app = App(name)
        self.said: NamedSignal = Namespace().signal("said")
        self.heard: list[tuple[Any, dict[str, Any], bool]] = []
        self.arrived = asyncio.Event()
        self.relay = Relay(url, name="chat", local_sender=self.app, **options)
        self.relay.share(self.said)
        self.said.connect(self.on_said, weak=False)

    def on_said(self, sender: Any, **kwargs: Any) -> None:
        self.heard.append((sender, kwargs, is_remote()))
        self.arrived.set()

    async def heard_at_least(self, count: int) -> None:
        while len(self.heard) < count:
            self.arrived.clear()
            await asyncio.wait_for(self.arrived.wait(), 10)


@pytest.fixture
async def processes(server: RedisServer) -> AsyncIterator[list[Process]]:
    group = [Process(server.url, f"p{n}") for n in range(3)]
    subscribed = [asyncio.Event() for _ in group]
    for process, event in zip(group, subscribed, strict=True):
        process.relay.connected.connect(lambda relay, e=event: e.set(), weak=False)
        await process.relay.start()
    await asyncio.wait_for(asyncio.gather(*(e.wait() for e in subscribed)), 10)
    yield group
    for process in group:
        await process.relay.stop()


async def test_a_send_reaches_every_process_once_with_its_own_app(
    processes: list[Process],
) -> None:
    a, b, c = processes
    await a.said.send_async(a.app, text="hi")
    assert a.heard == [(a.app, {"text": "hi"}, False)]  # local, at once
    await b.heard_at_least(1)
    await c.heard_at_least(1)
    assert b.heard == [(b.app, {"text": "hi"}, True)]  # b's own app as sender
    assert c.heard == [(c.app, {"text": "hi"}, True)]
    # Nobody heard it twice; the remote deliveries were not published again.
    await a.said.send_async(a.app, text="sync")  # a second message flushes
    await b.heard_at_least(2)
    assert len(a.heard) == 2 and len(b.heard) == 2 and len(c.heard) == 2
    assert a.relay.stats["published"] == 2
    assert b.relay.stats["published"] == c.relay.stats["published"] == 0


async def test_order_is_kept_per_sending_process(processes: list[Process]) -> None:
    a, b, _ = processes
    for number in range(200):
        a.said.send(None, n=number)  # a plain sync send is shared too
    await b.heard_at_least(200)
    assert [kwargs["n"] for _, kwargs, _ in b.heard] == list(range(200))
    assert all(sender is None for sender, _, _ in b.heard)


async def test_the_origin_names_the_sending_process(processes: list[Process]) -> None:
    a, b, _ = processes
    seen: list[str | None] = []
    b.said.connect(lambda sender, **kw: seen.append(origin.get()), weak=False)
    await a.said.send_async("a str sender", text="x")
    await b.heard_at_least(1)
    assert seen == [a.relay.id] and b.heard[0][0] == "a str sender"


async def test_what_cannot_cross_is_refused_clearly(processes: list[Process]) -> None:
    a, _, _ = processes
    with pytest.raises(TypeError, match="must be the app"):
        await a.said.send_async(object(), text="x")
    with pytest.raises(TypeError, match="must be JSON"):
        await a.said.send_async(a.app, when=object())
    with pytest.raises(TypeError, match="only named signals"):
        a.relay.share(Signal())  # type: ignore[arg-type]


async def test_a_message_over_its_size_limit_stays_local(
    server: RedisServer, caplog: pytest.LogCaptureFixture
) -> None:
    process = Process(server.url, "p")
    process.relay.share(process.said, max_bytes=100)
    await process.said.send_async(process.app, text="x" * 200)
    assert process.heard  # local receivers still ran
    assert process.relay.stats["dropped_too_large"] == 1
    assert "over its max_bytes (100)" in caplog.text


async def test_a_local_send_never_waits_for_redis(server: RedisServer) -> None:
    process = Process(server.url, "p")
    await process.relay.start()
    try:
        server.pause()  # Redis frozen: connections open, nothing answers
        coroutine = process.said.send_async(process.app, text="x")
        with pytest.raises(StopIteration):
            coroutine.send(None)  # finished without suspending: never waited
        assert process.heard and len(process.relay._outbox) == 1
    finally:
        server.resume()
        await process.relay.stop()


async def test_an_outage_drops_and_counts_then_delivery_resumes(
    server: RedisServer, caplog: pytest.LogCaptureFixture
) -> None:
    a = Process(server.url, "a")
    b = Process(server.url, "b")
    back = asyncio.Event()
    lost = asyncio.Event()
    b.relay.connected.connect(lambda relay: back.set(), weak=False)
    b.relay.disconnected.connect(lambda relay: lost.set(), weak=False)
    await a.relay.start()
    await b.relay.start()
    try:
        await asyncio.wait_for(back.wait(), 10)
        back.clear()
        server.stop()  # killed: every connection drops
        await asyncio.wait_for(lost.wait(), 10)
        with caplog.at_level(logging.WARNING):
            for number in range(50):
                await a.said.send_async(a.app, n=number)  # never raises
            await until(a.relay, "dropped_broker_down", 1)
        assert len(a.heard) == 50  # local delivery went on
        outage_lines = [r for r in caplog.records if "cannot publish" in r.getMessage()]
        assert len(outage_lines) == 1  # one line per outage, not per message
        server.start()  # same port
        await asyncio.wait_for(back.wait(), 10)  # resubscribed by itself
        assert b.relay.stats["reconnects"] == 1
        await a.said.send_async(a.app, n="after")
        await b.heard_at_least(1)
        assert b.heard[-1][1] == {"n": "after"}
    finally:
        await a.relay.stop()
        await b.relay.stop()


async def test_a_slow_receiver_fills_a_bounded_inbox_not_memory(
    server: RedisServer,
) -> None:
    a = Process(server.url, "a")
    b = Process(server.url, "b", inbox_size=10)
    release = asyncio.Event()
    blocked = asyncio.Event()

    async def slow(sender: Any, **kwargs: Any) -> None:
        blocked.set()
        await release.wait()

    b.said.connect(slow, weak=False)
    subscribed = asyncio.Event()
    b.relay.connected.connect(lambda relay: subscribed.set(), weak=False)
    await a.relay.start()
    await b.relay.start()
    try:
        await asyncio.wait_for(subscribed.wait(), 10)
        for number in range(300):
            await a.said.send_async(a.app, n=number)
        await asyncio.wait_for(blocked.wait(), 10)
        await until(b.relay, "dropped_inbox_full", 300 - 10 - 1)
        assert len(b.relay._inbox) <= 10
        assert b.relay.is_subscribed  # Redis did not cut the subscriber off
        release.set()
        await a.said.send_async(a.app, n="last")
        delivered = b.relay.stats["delivered"]
        while not b.heard or b.heard[-1][1] != {"n": "last"}:
            delivered += 1
            await until(b.relay, "delivered", delivered)
    finally:
        release.set()
        await a.relay.stop()
        await b.relay.stop()


async def test_messages_older_than_max_age_are_dropped(server: RedisServer) -> None:
    process = Process(server.url, "p")
    process.relay.share(process.said, max_age=0.0)
    await process.said.send_async(process.app, n=1)  # queued before start
    await process.relay.start()
    try:
        await until(process.relay, "dropped_too_old", 1)
        assert process.relay.stats["published"] == 0
    finally:
        await process.relay.stop()


# -- malformed messages on the channel ---------------------------------------

_GONE = object()


def forged(**fields: Any) -> bytes:
    """A message as another process would publish it, with ``fields``
    changed (``_GONE``: left out)."""
    message: dict[str, Any] = {
        "v": 1,
        "o": "elsewhere",
        "s": "said",
        "t": time.time(),
        "from": {"app": True},
        "kw": {"n": "forged"},
    }
    message.update(fields)
    return json.dumps({k: v for k, v in message.items() if v is not _GONE}).encode()


MALFORMED: dict[str, bytes] = {
    "pickle": pickle.dumps({"o": "elsewhere", "s": "said", "kw": {}}),
    "not JSON": b'{"o": ',
    "not UTF-8": b"\xff\xfe\x00",
    "nested past the recursion limit": b"[" * 100_000,
    "a list": b"[1, 2]",
    "null": b"null",
    "no o": forged(o=_GONE),
    "o a number": forged(o=5),
    "no s": forged(s=_GONE),
    "s a list": forged(s=["said"]),
    "s unknown here": forged(s="other"),
    "no t": forged(t=_GONE),
    "t a string": forged(t="soon"),
    "t a bool": forged(t=True),
    "t NaN": forged(t=float("nan")),
    "t infinite": forged(t=float("-inf")),
    "t past float": forged(t=10**400),
    "from a string": forged(**{"from": "app"}),
    "from a list": forged(**{"from": [1]}),
    "from a list as sender": forged(**{"from": {"value": [1]}}),
    "from app not a bool": forged(**{"from": {"app": "yes"}}),
    "no kw": forged(kw=_GONE),
    "kw a list": forged(kw=[1]),
    "kw naming send_async_robust's _concurrent": forged(kw={"_concurrent": True}),
    "kw naming send_async_robust's _sync_wrapper": forged(kw={"_sync_wrapper": 1}),
}


@contextlib.asynccontextmanager
async def raw_client(server: RedisServer) -> AsyncIterator[Any]:
    client = aioredis.Redis.from_url(server.url)
    try:
        yield client
    finally:
        await client.aclose()


def cannot_read_lines(caplog: pytest.LogCaptureFixture) -> int:
    return sum("cannot read" in r.getMessage() for r in caplog.records)


async def test_each_malformed_message_is_counted_and_delivery_goes_on(
    processes: list[Process], server: RedisServer, caplog: pytest.LogCaptureFixture
) -> None:
    a, b, _ = processes
    async with raw_client(server) as client:
        for number, (shape, data) in enumerate(MALFORMED.items()):
            await client.publish(b.relay.channel, data)
            await a.said.send_async(a.app, n=number)  # then a good one
            await b.heard_at_least(number + 1)
            assert b.heard[-1] == (b.app, {"n": number}, True), shape
            assert b.relay.stats["dropped_unreadable"] == number + 1, shape
    assert b.relay.stats["delivered"] == len(MALFORMED)
    assert b.relay.stats["delivery_errors"] == 0
    # One line per relay (three of them heard it all), not one per message.
    assert cannot_read_lines(caplog) == len(processes)


# Ten times the inbox and more: enough to show nothing unreadable is queued
# (30,000 took 13 s under coverage on a busy machine, past a 5x margin).
FLOOD = 10_000


async def test_a_flood_of_unreadable_messages_stays_bounded_and_counted(
    server: RedisServer, caplog: pytest.LogCaptureFixture
) -> None:
    b = Process(server.url, "b", inbox_size=100)
    subscribed = asyncio.Event()
    b.relay.connected.connect(lambda relay: subscribed.set(), weak=False)
    await b.relay.start()
    # The small ones: thousands of messages of 100 kB would pass Redis's output
    # buffer limit for subscribers (it would cut any subscriber off).
    shapes = [data for data in MALFORMED.values() if len(data) < 1000]
    try:
        await asyncio.wait_for(subscribed.wait(), 10)
        async with raw_client(server) as client:
            pipe = client.pipeline(transaction=False)
            for number in range(FLOOD):
                pipe.publish(b.relay.channel, shapes[number % len(shapes)])
            pipe.publish(b.relay.channel, forged(kw={"n": "after"}))
            await pipe.execute()
        await b.heard_at_least(1)
        assert b.heard == [(b.app, {"n": "after"}, True)]
        assert b.relay.stats["dropped_unreadable"] == FLOOD
        assert b.relay.stats["dropped_inbox_full"] == 0  # never queued
        assert cannot_read_lines(caplog) == 1
    finally:
        await b.relay.stop()


async def test_a_failing_delivery_is_counted_and_the_dispatcher_goes_on(
    server: RedisServer, caplog: pytest.LogCaptureFixture
) -> None:
    failures = 3

    @contextlib.asynccontextmanager
    async def around() -> AsyncIterator[None]:
        nonlocal failures
        if failures:
            failures -= 1
            raise RuntimeError("no app context today")
        yield

    a = Process(server.url, "a")
    b = Process(server.url, "b", around_delivery=around)
    subscribed = asyncio.Event()
    b.relay.connected.connect(lambda relay: subscribed.set(), weak=False)
    await a.relay.start()
    await b.relay.start()
    try:
        await asyncio.wait_for(subscribed.wait(), 10)
        for number in range(4):
            await a.said.send_async(a.app, n=number)
        await b.heard_at_least(1)
        assert b.heard == [(b.app, {"n": 3}, True)]
        assert b.relay.stats["delivery_errors"] == 3
        failed = [r for r in caplog.records if "remote delivery of" in r.getMessage()]
        assert len(failed) == 1 and "no app context today" in caplog.text
    finally:
        await a.relay.stop()
        await b.relay.stop()


async def test_a_keyword_send_async_keeps_for_itself_cannot_cross(
    server: RedisServer,
) -> None:
    process = Process(server.url, "p")
    with pytest.raises(TypeError, match="cannot be named"):
        process.said.send(process.app, _concurrent=True)  # a receiver's kwarg here
    assert not process.relay._outbox
