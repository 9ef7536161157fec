"""The Redis relay, against a real server: delivery across relays (each
stands for a process), sender identity, limits, and outages."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Iterator
from typing import Any

import pytest

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
