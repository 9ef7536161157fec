"""Durable shared signals (Redis Streams), against a real server: order and
identity, outages that lose nothing, gaps reported, replay, deaf relays."""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import AsyncIterator, Callable, Iterator
from typing import Any

import pytest
import redis.asyncio as aioredis

from asignals import NamedSignal, Namespace
from asignals.relay import (
    Message,
    Relay,
    message_id,
    origin,
    relay_deaf,
    relay_gap,
    sequence,
)
from tests.helpers.redis_server import RedisServer, redis_server


class Worker:
    """One process: its own signal object, app and relay, and what its
    receiver heard (kwargs, origin, stream id, sequence)."""

    def __init__(self, url: str, label: str, **options: Any) -> None:
        self.label = label
        self.news: NamedSignal = Namespace().signal("news")
        share = {
            key: options.pop(key)
            for key in ("retention", "retention_seconds")
            if key in options
        }
        self.relay = Relay(url, name="paper", local_sender=self, **options)
        self.relay.share(self.news, durable=True, **share)
        self.heard: list[tuple[dict[str, Any], str | None, str | None, int | None]] = []
        self.changed = asyncio.Event()
        self.news.connect(self.on_news, weak=False)

    def on_news(self, sender: Any, **kwargs: Any) -> None:
        self.heard.append((kwargs, origin.get(), message_id.get(), sequence.get()))
        self.changed.set()

    def remote(self) -> list[dict[str, Any]]:
        return [kwargs for kwargs, came_from, _, _ in self.heard if came_from]

    async def hears(self, count: int, within: float = 5.0) -> None:
        """Wait until it heard ``count`` remote messages."""
        async with asyncio.timeout(within):
            while len(self.remote()) < count:
                self.changed.clear()
                await self.changed.wait()


async def reading(worker: Worker) -> None:
    """Wait until the worker's relay reads its streams (it heard itself)."""
    relay = worker.relay
    await wait_until(lambda: relay.id in relay._heard and bool(relay._positions))


async def wait_until(check: Callable[[], bool], within: float = 5.0) -> None:
    """Poll ``check`` (state with no event to wait on) until it holds."""
    deadline = time.monotonic() + within
    while not check():
        if time.monotonic() > deadline:
            raise TimeoutError(f"still false after {within} s: {check}")
        await asyncio.sleep(0.02)


async def stored(server: RedisServer, stream: str) -> list[tuple[str, dict[str, Any]]]:
    """The stream's entries: (id, the message it holds)."""
    client: Any = aioredis.Redis.from_url(server.url)
    try:
        entries = await client.xrange(stream, "-", "+")
    finally:
        await client.aclose()
    return [(key.decode(), json.loads(fields[b"d"])) for key, fields in entries]


@pytest.fixture
def server() -> Iterator[RedisServer]:
    with redis_server() as running:
        yield running


@pytest.fixture
async def started() -> AsyncIterator[list[Worker]]:
    """Workers the test appends are stopped at its end."""
    workers: list[Worker] = []
    yield workers
    for worker in workers:
        await worker.relay.stop()


async def start(started: list[Worker], url: str, label: str, **options: Any) -> Worker:
    worker = Worker(url, label, **options)
    await worker.relay.start()
    started.append(worker)
    await reading(worker)
    return worker


async def test_every_worker_hears_the_streams_order_with_ids_and_sequences(
    server: RedisServer, started: list[Worker]
) -> None:
    a = await start(started, server.url, "a")
    b = await start(started, server.url, "b")
    c = await start(started, server.url, "c")
    for number in range(30):  # two origins interleaved
        await a.news.send_async(a, n=f"a{number}")
        await b.news.send_async(b, n=f"b{number}")
    await c.hears(60)
    await a.hears(30)
    await b.hears(30)
    stream_order = [kwargs["n"] for kwargs, _, _, _ in c.heard]
    # Each worker hears the others' messages in the stream's order.
    assert [k["n"] for k in a.remote()] == [n for n in stream_order if n[0] == "b"]
    assert [k["n"] for k in b.remote()] == [n for n in stream_order if n[0] == "a"]
    ids = [entry_id for _, _, entry_id, _ in c.heard]
    assert all(isinstance(i, str) for i in ids) and ids == sorted(
        ids, key=lambda i: tuple(map(int, str(i).split("-")))
    )
    from_a = [(came, seq) for k, came, _, seq in c.heard if k["n"][0] == "a"]
    assert from_a == [(a.relay.id, n) for n in range(1, 31)]
    # The sender's own receivers ran at once, as a local send: no id there.
    assert a.heard[0] == ({"n": "a0"}, None, None, None)


async def outage_run(
    server: RedisServer, started: list[Worker], fault: str
) -> tuple[Worker, Worker]:
    a = await start(started, server.url, "a")
    b = await start(started, server.url, "b")
    for number in range(10):
        await a.news.send_async(a, n=number)
    await b.hears(10)
    if fault == "killed":
        server.stop()
    else:
        server.pause()
    try:
        for number in range(10, 60):  # sent while Redis is away
            await a.news.send_async(a, n=number)
            await asyncio.sleep(0.01)
    finally:
        if fault == "killed":
            server.start()
        else:
            server.resume()
    for number in range(60, 70):
        await a.news.send_async(a, n=number)
    await b.hears(70, within=10)
    return a, b


async def test_redis_killed_and_restarted_loses_and_doubles_nothing(
    server: RedisServer, started: list[Worker]
) -> None:
    a, b = await outage_run(server, started, "killed")
    assert [k["n"] for k in b.remote()] == list(range(70))
    assert a.relay.stats["dropped_broker_down"] == 0


async def test_a_batch_written_twice_is_stored_once(
    server: RedisServer, started: list[Worker]
) -> None:
    a = Worker(server.url, "a")
    a.news.send(a, n="once")
    # As a retry after a timeout whose first try Redis did run late.
    a.relay._outbox.append(a.relay._outbox[0])
    await a.relay.start()
    started.append(a)
    await wait_until(lambda: a.relay.stats["published"] == 2)
    entries = await stored(server, a.relay.shared["news"].stream)
    assert [(m["kw"]["n"], m["q"]) for _, m in entries] == [("once", 1)]


async def test_a_redis_that_forgot_the_script_gets_it_again(
    server: RedisServer, started: list[Worker]
) -> None:
    a = await start(started, server.url, "a")
    b = await start(started, server.url, "b")
    await a.news.send_async(a, n=1)
    await b.hears(1)
    client: Any = aioredis.Redis.from_url(server.url)
    try:
        await client.script_flush()  # as a restarted Redis would have
    finally:
        await client.aclose()
    await a.news.send_async(a, n=2)
    await b.hears(2)
    assert [k["n"] for k in b.remote()] == [1, 2]


async def test_redis_frozen_loses_and_doubles_nothing(
    server: RedisServer, started: list[Worker]
) -> None:
    a, b = await outage_run(server, started, "frozen")
    await a.news.send_async(a, n="last")
    await b.hears(71)
    assert [k["n"] for k in b.remote()] == [*range(70), "last"]
    # Batches a frozen Redis took late were written once (the script), and
    # none reached the receivers twice.
    entries = await stored(server, a.relay.shared["news"].stream)
    numbers = [message["q"] for _, message in entries]
    assert numbers == list(range(1, 72))
    assert b.relay.stats["duplicates_dropped"] == 0


# -- replay: follow ------------------------------------------------------------


async def collect(follower: Any, count: int, within: float = 5.0) -> list[Message]:
    got: list[Message] = []
    async with asyncio.timeout(within):
        async for message in follower:
            got.append(message)
            if len(got) == count:
                break
    return got


async def test_follow_replays_after_an_id_then_goes_live_without_seam(
    server: RedisServer, started: list[Worker]
) -> None:
    a = await start(started, server.url, "a")
    b = await start(started, server.url, "b")
    for number in range(40):
        await a.news.send_async(a, n=number)
    await b.hears(40)
    resume_after = b.heard[19][2]  # the client had seen up to n=19
    assert resume_after is not None

    async with b.relay.follow(b.news, after=resume_after) as follower:
        # Sent after the follower registered, heard live before it reads the
        # history: each of these is both in the history and in its queue.
        for number in range(40, 80):
            await a.news.send_async(a, n=number)
        await b.hears(80)
        got = await collect(follower, 60)
        await a.news.send_async(a, n=80)  # and then live
        got += await collect(follower, 1)
        assert follower.missed == 0
    assert [m.kwargs["n"] for m in got] == list(range(20, 81))
    assert [m.sequence for m in got] == list(range(21, 82))
    assert all(m.origin == a.relay.id and m.sender is b for m in got)
    assert not b.relay._followers["asignals:paper:stream:news"]  # closed


async def test_follow_includes_this_processes_own_sends_and_live_only_by_default(
    server: RedisServer, started: list[Worker]
) -> None:
    a = await start(started, server.url, "a")
    await a.news.send_async(a, n="before")
    stream = a.relay.shared["news"].stream
    await wait_until(lambda: a.relay._positions[stream] != "0-0")  # read back
    async with a.relay.follow("news") as follower:
        await a.news.send_async(a, n="after")
        got = await collect(follower, 1)
    assert [m.kwargs for m in got] == [{"n": "after"}]
    assert got[0].sender is a  # the app crosses back as this relay's own


async def test_the_newest_id_lets_a_client_that_heard_nothing_miss_nothing(
    server: RedisServer, started: list[Worker]
) -> None:
    a = await start(started, server.url, "a")
    b = await start(started, server.url, "b")
    assert await b.relay.newest_id(b.news) == "0-0"  # nothing stored yet
    await a.news.send_async(a, n="before")
    await b.hears(1)
    newest = await b.relay.newest_id("news")
    assert newest == b.heard[0][2]  # the id of the one message stored
    # A client given that id hears nothing, leaves, and comes back with it.
    for number in range(3):
        await a.news.send_async(a, n=number)
    await b.hears(4)
    async with b.relay.follow(b.news, after=newest) as follower:
        got = await collect(follower, 3)
    assert [m.kwargs["n"] for m in got] == [0, 1, 2]
    async with b.relay.follow(b.news, after="0-0") as follower:
        everything = await collect(follower, 4)
    assert [m.kwargs["n"] for m in everything] == ["before", 0, 1, 2]

    with pytest.raises(TypeError, match="share it with relay.share"):
        await b.relay.newest_id(Namespace().signal("plain"))
    server.stop()  # Redis gone: no id, at once, and the client starts live
    async with asyncio.timeout(b.relay.publish_timeout * 5):
        assert await b.relay.newest_id(b.news) is None


async def test_follow_after_trimmed_messages_counts_them_and_sends_relay_gap(
    server: RedisServer, started: list[Worker]
) -> None:
    a = await start(started, server.url, "a", retention=10)
    for number in range(500):
        a.news.send(a, n=number)
    stream = a.relay.shared["news"].stream
    await wait_until(lambda: a.relay.stats["published"] == 500)
    first_id, first = (await stored(server, stream))[0]
    oldest = first["kw"]["n"]
    assert oldest > 0  # retention trimmed the first ones
    gaps: list[dict[str, Any]] = []
    with relay_gap.connected_to(lambda sender, **kw: gaps.append(kw), a):
        follower = a.relay.follow(a.news, after=f"{first_id.split('-')[0]}-1")
        async with follower:
            got = await collect(follower, 500 - oldest)
    assert [m.kwargs["n"] for m in got] == list(range(oldest, 500))
    assert follower.missed == oldest - 1  # entry 1 was seen: 2..oldest are gone
    assert [(g["reason"], g["missed"]) for g in gaps] == [("replay", oldest - 1)]


async def test_follow_refuses_what_it_cannot_replay(
    server: RedisServer, started: list[Worker]
) -> None:
    a = await start(started, server.url, "a")
    plain = Namespace().signal("plain")
    a.relay.share(plain)
    with pytest.raises(TypeError, match="share it with relay.share"):
        a.relay.follow(plain)
    with pytest.raises(ValueError, match="is not a stream id"):
        a.relay.follow(a.news, after="yesterday")
    idle = Relay(server.url, name="paper")
    idle.share(Namespace().signal("news"), durable=True)
    with pytest.raises(RuntimeError, match="not started"):
        idle.follow("news")


# -- gaps are signals ----------------------------------------------------------


def gaps_of(worker: Worker) -> list[dict[str, Any]]:
    """What ``relay_gap`` tells the worker's app (connected for the test)."""
    seen: list[dict[str, Any]] = []
    relay_gap.connect(lambda sender, **kw: seen.append(kw), worker, weak=False)
    return seen


async def test_a_worker_behind_the_retention_reports_what_was_trimmed(
    server: RedisServer, started: list[Worker]
) -> None:
    a = await start(started, server.url, "a", retention=10)
    b = await start(started, server.url, "b", retention=10, deaf_after=60)
    gaps = gaps_of(b)
    await a.news.send_async(a, n=0)
    await b.hears(1)
    await b.relay.cut_subscription_for_test()  # b hears nothing for a while
    for number in range(1, 400):
        a.news.send(a, n=number)
    await wait_until(lambda: a.relay.stats["published"] == 400)
    b.relay._cut_streams = False  # b's reader comes back (as after a pause)
    await a.news.send_async(a, n=400)
    await b.hears(2, within=5)
    await wait_until(lambda: b.remote()[-1]["n"] == 400)
    heard = [k["n"] for k in b.remote()]
    missed = sum(g["missed"] for g in gaps)
    assert len(heard) + missed == 401  # every message heard or reported
    assert heard == sorted(heard) and missed > 300
    assert {(g["reason"], g["origin"]) for g in gaps} == {("trimmed", None)}
    assert b.relay.stats["gap_trimmed"] == missed
    assert b.relay.stats["gap_sequence"] == 0  # the same hole, reported once


async def test_an_origin_whose_outbox_overflowed_leaves_a_reported_hole(
    server: RedisServer, started: list[Worker]
) -> None:
    a = await start(started, server.url, "a", outbox_size=5)
    b = await start(started, server.url, "b")
    at_a, at_b = gaps_of(a), gaps_of(b)
    await a.news.send_async(a, n=0)
    await b.hears(1)
    server.stop()
    for number in range(1, 21):  # 20 sent, the outbox keeps the last 5
        await a.news.send_async(a, n=number)
    server.start()
    await b.hears(6, within=10)
    assert [k["n"] for k in b.remote()] == [0, 16, 17, 18, 19, 20]
    assert a.relay.stats["dropped_outbox_full"] == 15
    await wait_until(lambda: bool(at_a))
    assert [(g["reason"], g["missed"]) for g in at_a] == [("outbox_full", 15)]
    assert [(g["reason"], g["missed"], g["origin"]) for g in at_b] == [
        ("sequence", 15, a.relay.id)
    ]


async def test_a_second_copy_in_the_stream_is_delivered_once(
    server: RedisServer, started: list[Worker]
) -> None:
    a = await start(started, server.url, "a")
    b = await start(started, server.url, "b")
    await a.news.send_async(a, n=1)
    await b.hears(1)
    stream = a.relay.shared["news"].stream
    ((_, first),) = await stored(server, stream)
    client: Any = aioredis.Redis.from_url(server.url)
    try:  # as a retry into a Redis that lost the script's memory would
        await client.xadd(stream, {"d": json.dumps(first)})
    finally:
        await client.aclose()
    await a.news.send_async(a, n=2)
    await wait_until(lambda: b.relay.stats["duplicates_dropped"] == 1)
    await b.hears(2)
    assert [k["n"] for k in b.remote()] == [1, 2]


# -- deaf relays ---------------------------------------------------------------


@pytest.mark.parametrize("durable", [True, False], ids=["stream", "pubsub"])
async def test_a_deaf_relay_notices_within_2_s_and_hears_again(
    server: RedisServer, durable: bool
) -> None:
    said = [Namespace().signal("said") for _ in range(2)]
    relays = [Relay(server.url, name="deaf") for _ in range(2)]
    heard: list[Any] = []
    for relay, signal in zip(relays, said, strict=True):
        relay.share(signal, durable=durable)
        await relay.start()
    said[1].connect(lambda sender, **kw: heard.append(kw["n"]), weak=False)
    deaf = asyncio.Event()
    found: list[dict[str, Any]] = []

    def on_deaf(sender: Any, **kw: Any) -> None:
        found.append(kw)
        deaf.set()

    try:
        await wait_until(lambda: relays[1].id in relays[1]._heard)
        with relay_deaf.connected_to(on_deaf, relays[1]):
            await relays[1].cut_subscription_for_test()
            cut_at = time.monotonic()
            await asyncio.wait_for(deaf.wait(), 5)
            noticed = time.monotonic() - cut_at
        assert noticed < 2.0, noticed
        assert relays[1].stats["deaf"] >= 1 and found[0]["relay"] is relays[1]
        # Healed: a message sent now arrives.
        async with asyncio.timeout(2):
            while not heard:
                await said[0].send_async(None, n="after")
                await asyncio.sleep(0.05)
        assert heard[0] == "after"
        assert time.monotonic() - cut_at < 2.5
    finally:
        for relay in relays:
            await relay.stop()


async def test_health_names_who_was_heard_and_the_latency(
    server: RedisServer, started: list[Worker]
) -> None:
    a = await start(started, server.url, "a")
    b = await start(started, server.url, "b")
    for number in range(20):
        await a.news.send_async(a, n=number)
    await b.hears(20)
    await wait_until(lambda: a.relay.id in b.relay._heard)
    health = b.relay.health()
    assert health["id"] == b.relay.id and health["subscribed"] is True
    assert set(health["heard"]) >= {a.relay.id, b.relay.id}
    assert all(0 <= ago < 2 for ago in health["heard"].values())
    latency = health["latency_ms"]
    assert 0 < latency["p50"] <= latency["p99"] < 2_000
    assert health["stats"]["delivered"] == 20
