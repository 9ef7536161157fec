"""The signal relay under load and faults, on real processes and a real Redis.

Run: ``make relay-load`` (``.venv/bin/python bench/relay_load.py``).

Starts a Redis-protocol server and ``uvicorn bench.relay_app:app
--workers 4`` with the relay on, all on 127.0.0.1, then:

1. **Steady**: 200 websocket clients in one room; 20 of them send 10
   messages a second for 5 s. Every client should get every message, in
   order per sender; latency is from send to receipt.
2. **Redis killed for 3 s** mid-run, then restarted on the same port, while
   an HTTP client keeps asking: failed HTTP requests, messages lost between
   clients of the same worker (must be 0: local delivery never goes through
   Redis), and how soon after the restart messages cross workers again.
3. **Redis frozen (SIGSTOP) for 3 s**: what a local ``send_async`` of a
   shared signal costs meanwhile, measured inside each worker.
4. **A receiver that takes 1 s per message** (in this process, two relays):
   the inbox stays bounded, drops are counted, the subscriber stays on.
5. **Overhead**: ``send_async`` of a shared signal with the relay
   connected, beside the same signal unshared (in this process).

Then the same app with ``APP_RELAY_DURABLE=1`` (the room's signal shared
with ``durable=True``, over a Redis Stream), 4 workers, 200 clients:

6. **Durable, steady**: publish-to-delivery latency in normal running.
7. **Durable, Redis killed for 3 s** and restarted while 20 senders go on:
   every client must get every message exactly once, in order per sender
   (lost, duplicated, out of order are counted); the latency of the
   messages sent during the outage (catch-up) is printed apart.
8. **Durable, Redis frozen (SIGSTOP) for 3 s**: the same, then what a local
   send costs while frozen.

``--mode pubsub`` or ``--mode durable`` runs one half only.
Bounded in time and connections; every process is stopped by its pid.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import statistics
import sys
import time
import tracemalloc
from typing import Any

import httpx
import redis as sync_redis
import redis.asyncio as aioredis
from websockets.asyncio.client import connect

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from tests.helpers.redis_server import RedisServer, redis_server
from tests.helpers.servers import Server, uvicorn

CLIENTS = 200
SENDERS = 20
RATE = 10  # messages per second per sender
SECONDS = 5.0
WORKERS = 4


def wait_for_relays(server: RedisServer, count: int) -> None:
    store = sync_redis.Redis.from_url(server.url)
    try:
        deadline = time.monotonic() + 60
        while store.pubsub_numsub("app_framework:relay_bench")[0][1] < count:
            if time.monotonic() > deadline:
                raise TimeoutError("the workers' relays did not subscribe")
            time.sleep(0.05)
    finally:
        store.close()


class Client:
    """One websocket member of the room."""

    def __init__(self, index: int) -> None:
        self.index = index
        self.pid = ""
        self.got: dict[int, list[int]] = {}  # sender -> sequence numbers
        self.latencies: list[float] = []
        self.sent_at: list[float] = []
        self.socket: Any = None

    async def join(self, url: str) -> None:
        self.socket = await connect(url, open_timeout=30, max_queue=None)
        self.pid = str(await self.socket.recv())

    async def listen(self, until: float) -> None:
        while time.monotonic() < until:
            try:
                async with asyncio.timeout(until - time.monotonic()):
                    text = await self.socket.recv()
            except TimeoutError:
                return
            message = json.loads(text)
            self.got.setdefault(message["s"], []).append(message["n"])
            self.latencies.append(time.time() - message["t"])
            self.sent_at.append(message["t"])


Sent = list[tuple[int, int, float]]


async def send_for(client: Client, seconds: float, sent: Sent) -> None:
    interval = 1 / RATE
    start = time.monotonic()
    number = 0
    while time.monotonic() - start < seconds:
        now = time.time()
        await client.socket.send(json.dumps({"s": client.index, "n": number, "t": now}))
        sent.append((client.index, number, now))
        number += 1
        await asyncio.sleep(max(0.0, start + number * interval - time.monotonic()))


async def room(url: str) -> list[Client]:
    clients = [Client(n) for n in range(CLIENTS)]
    for batch in range(0, CLIENTS, 20):
        await asyncio.gather(*(c.join(url) for c in clients[batch : batch + 20]))
    return clients


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(len(ordered) * share))] if ordered else 0.0


async def steady(running: Server) -> dict[str, Any]:
    clients = await room(f"{running.ws_url}/ws/bench")
    sent: Sent = []
    until = time.monotonic() + SECONDS + 10
    listeners = [asyncio.create_task(c.listen(until)) for c in clients]
    await asyncio.gather(*(send_for(c, SECONDS, sent) for c in clients[:SENDERS]))
    expected = len(sent)
    while sum(sum(map(len, c.got.values())) for c in clients) < expected * CLIENTS:
        if time.monotonic() > until:
            break
        await asyncio.sleep(0.05)
    for task in listeners:
        task.cancel()
    await asyncio.gather(*listeners, return_exceptions=True)
    received = sum(sum(map(len, c.got.values())) for c in clients)
    in_order = all(seq == sorted(seq) for c in clients for seq in c.got.values())
    latencies = [x for c in clients for x in c.latencies]
    for c in clients:
        await c.socket.close()
    return {
        "messages sent": expected,
        "deliveries made / expected": f"{received:,} / {expected * CLIENTS:,}",
        "order kept per sender": in_order,
        "latency p50 / p99 (ms)": (
            f"{percentile(latencies, 0.5) * 1e3:.1f} / "
            f"{percentile(latencies, 0.99) * 1e3:.1f}"
        ),
        "workers holding clients": len({c.pid for c in clients}),
    }


async def outage(running: Server, redis: RedisServer) -> dict[str, Any]:
    clients = await room(f"{running.ws_url}/ws/outage")
    sent: Sent = []
    until = time.monotonic() + 30
    listeners = [asyncio.create_task(c.listen(until)) for c in clients]
    http_failures = http_done = 0
    stop_http = asyncio.Event()

    async def http_load() -> None:
        nonlocal http_failures, http_done
        async with httpx.AsyncClient(base_url=running.url, timeout=5) as web:
            while not stop_http.is_set():
                try:
                    failed = (await web.get("/ok")).status_code != 200
                except httpx.HTTPError:
                    failed = True
                http_failures += failed
                http_done += 1

    http_task = asyncio.create_task(http_load())
    senders = asyncio.gather(*(send_for(c, 8.0, sent) for c in clients[:SENDERS]))
    await asyncio.sleep(2.0)
    redis.stop()
    await asyncio.sleep(3.0)
    restarted = time.time()
    redis.start()
    await senders
    await asyncio.sleep(3.0)  # let the last messages arrive
    stop_http.set()
    await http_task
    for task in listeners:
        task.cancel()
    await asyncio.gather(*listeners, return_exceptions=True)
    pid_of = {c.index: c.pid for c in clients}
    same_worker_lost = 0
    first_cross: float | None = None
    for sender, number, when in sent:
        for c in clients:
            heard = number in c.got.get(sender, ())
            if c.pid == pid_of[sender] and not heard:
                same_worker_lost += 1
            if c.pid != pid_of[sender] and heard and when > restarted:
                first_cross = when if first_cross is None else min(first_cross, when)
    for c in clients:
        await c.socket.close()
    back = "never" if first_cross is None else f"{first_cross - restarted:.2f} s"
    return {
        "HTTP requests (failed)": f"{http_done:,} ({http_failures})",
        "same-worker messages lost": same_worker_lost,
        "cross-worker delivery again after restart": back,
    }


def delivery_report(
    clients: list[Client], sent: Sent, window: tuple[float, float] | None = None
) -> dict[str, Any]:
    """Every client against every message sent: lost, doubled, out of
    order; latency overall and (``window``: sent then) during catch-up."""
    expected: dict[int, list[int]] = {}
    for sender, number, _ in sent:
        expected.setdefault(sender, []).append(number)
    lost = doubled = disordered = 0
    for client in clients:
        for sender, numbers in expected.items():
            got = client.got.get(sender, [])
            lost += len(set(numbers) - set(got))
            doubled += len(got) - len(set(got))
            disordered += got != sorted(got)
    rows: dict[str, Any] = {
        "messages sent": len(sent),
        "deliveries expected": f"{len(sent) * len(clients):,}",
        "lost / duplicated / clients out of order": (
            f"{lost} / {doubled} / {disordered}"
        ),
    }
    latencies = [x for c in clients for x in c.latencies]
    rows["latency p50 / p99, all (ms)"] = (
        f"{percentile(latencies, 0.5) * 1e3:.1f} / "
        f"{percentile(latencies, 0.99) * 1e3:.1f}"
    )
    if window is not None:
        catch_up = [
            x
            for c in clients
            for x, t in zip(c.latencies, c.sent_at, strict=True)
            if window[0] <= t <= window[1]
        ]
        rows["latency p50 / p99, sent during the fault (ms)"] = (
            f"{percentile(catch_up, 0.5) * 1e3:.0f} / "
            f"{percentile(catch_up, 0.99) * 1e3:.0f} ({len(catch_up):,} deliveries)"
        )
    return rows


async def durable_fault(
    running: Server, redis: RedisServer, fault: str | None
) -> dict[str, Any]:
    """Senders for 8 s; ``fault`` ("killed", "frozen" or None) for 3 s after
    the first 2; then wait until every client has every message (30 s at
    most) and report."""
    clients = await room(f"{running.ws_url}/ws/durable-{fault}")
    sent: Sent = []
    until = time.monotonic() + 45
    listeners = [asyncio.create_task(c.listen(until)) for c in clients]
    senders = asyncio.gather(*(send_for(c, 8.0, sent) for c in clients[:SENDERS]))
    await asyncio.sleep(2.0)
    began = time.time()
    if fault == "killed":
        redis.stop()
    elif fault == "frozen":
        redis.pause()
    await asyncio.sleep(3.0)
    ended = time.time()
    if fault == "killed":
        redis.start()
    elif fault == "frozen":
        redis.resume()
    await senders
    expected = len(sent) * CLIENTS
    deadline = time.monotonic() + 30
    while sum(sum(map(len, c.got.values())) for c in clients) < expected:
        if time.monotonic() > deadline:
            break
        await asyncio.sleep(0.1)
    await asyncio.sleep(0.5)  # a second copy would arrive now
    for task in listeners:
        task.cancel()
    await asyncio.gather(*listeners, return_exceptions=True)
    for c in clients:
        await c.socket.close()
    return delivery_report(clients, sent, (began, ended) if fault else None)


async def relay_counters(redis: RedisServer) -> str:
    """The workers' relay counters that matter here, summed."""
    client: Any = aioredis.Redis.from_url(redis.url)
    totals: dict[str, int] = {}
    try:
        async for key in client.scan_iter(match="app_framework:relay_bench:stats:*"):
            for name, value in (await client.hgetall(key)).items():
                totals[name.decode()] = totals.get(name.decode(), 0) + int(value)
    finally:
        await client.aclose()
    shown = ("delivered", "duplicates_dropped", "gap_trimmed", "gap_sequence",
             "dropped_outbox_full", "deaf", "reconnects")  # fmt: skip
    return ", ".join(f"{name} {totals.get(name, 0)}" for name in shown)


async def frozen(running: Server, redis: RedisServer) -> dict[str, Any]:
    """A local send of a shared signal timed in each worker, with Redis up
    and then frozen: the two rows should match (the caller never waits on
    Redis); what both cost is the message's encoding."""
    # A new connection per request, so the requests spread over workers.
    no_keepalive = httpx.Limits(max_keepalive_connections=0)
    async with httpx.AsyncClient(
        base_url=running.url, timeout=10, limits=no_keepalive
    ) as web:

        async def timings() -> list[dict[str, Any]]:
            return [(await web.get("/send-timing")).json() for _ in range(4 * WORKERS)]

        up = await timings()
        redis.pause()
        try:
            replies = await timings()
        finally:
            redis.resume()
    return {
        "local send_async p50 / p99 / max, Redis up (µs)": _send_figures(up),
        "local send_async p50 / p99 / max while frozen (µs)": _send_figures(replies),
        "workers measured": len({r["pid"] for r in replies}),
    }


def _send_figures(replies: list[dict[str, Any]]) -> str:
    """The worst worker's p50, p99 and maximum."""
    return (
        f"{max(r['p50_us'] for r in replies):.1f} / "
        f"{max(r['p99_us'] for r in replies):.1f} / "
        f"{max(r['max_us'] for r in replies):.0f}"
    )


async def slow_receiver(redis: RedisServer) -> dict[str, Any]:
    from asignals import Namespace
    from asignals.relay import Relay

    sender_signal = Namespace().signal("said")
    slow_signal = Namespace().signal("said")
    first = Relay(redis.url, name="slow")
    second = Relay(redis.url, name="slow", inbox_size=1_000)
    first.share(sender_signal)
    second.share(slow_signal)

    async def slow(sender: Any, **kwargs: Any) -> None:
        await asyncio.sleep(1.0)

    slow_signal.connect(slow, weak=False)
    await first.start()
    await second.start()
    await asyncio.sleep(0.5)
    tracemalloc.start()
    before = tracemalloc.get_traced_memory()[0]
    for number in range(20_000):
        await sender_signal.send_async(None, n=number, pad="x" * 200)
        if number % 500 == 0:
            await asyncio.sleep(0)
    await asyncio.sleep(3.0)
    grown = tracemalloc.get_traced_memory()[0] - before
    tracemalloc.stop()
    result = {
        "messages published": first.stats["published"],
        "inbox length (bound)": f"{len(second._inbox)} ({second.inbox_size})",
        "dropped, inbox full": second.stats["dropped_inbox_full"],
        "memory grown in 3 s": f"{grown / 1e6:.1f} MB",
        "still subscribed": second.is_subscribed,
    }
    await first.stop()
    await second.stop()
    return result


async def overhead(redis: RedisServer) -> dict[str, Any]:
    from asignals import Namespace
    from asignals.relay import Relay

    class App:
        pass

    app = App()
    shared = Namespace().signal("shared")
    local = Namespace().signal("local")
    for signal in (shared, local):
        signal.connect(lambda sender, **kwargs: None, weak=False)
    relay = Relay(redis.url, name="overhead", local_sender=app)
    relay.share(shared)
    await relay.start()
    await asyncio.sleep(0.3)
    samples: dict[str, list[float]] = {"shared": [], "local": []}
    for _ in range(15):
        for name, signal in (("shared", shared), ("local", local)):
            start = time.perf_counter()
            for number in range(2_000):
                await signal.send_async(app, n=number)
            samples[name].append((time.perf_counter() - start) / 2_000 * 1e6)
            await asyncio.sleep(0.05)  # let the publisher drain
    await relay.stop()
    shared_us = statistics.median(samples["shared"])
    local_us = statistics.median(samples["local"])
    return {
        "send_async, shared (relay connected) µs": f"{shared_us:.2f}",
        "send_async, same signal unshared µs": f"{local_us:.2f}",
        "cost of sharing per send µs": f"{shared_us - local_us:.2f}",
    }


def table(title: str, rows: dict[str, Any]) -> None:
    print(f"**{title}**")
    print()
    print("| measure | result |")
    print("|---|---|")
    for key, value in rows.items():
        print(f"| {key} | {value} |")
    print()


def wait_for_readers(server: RedisServer, count: int) -> None:
    """Durable relays: wait until ``count`` of them have written a
    heartbeat (each reads its streams from then on)."""
    store: Any = sync_redis.Redis.from_url(server.url)
    try:
        deadline = time.monotonic() + 60
        while True:
            beats = store.xrange("app_framework:relay_bench:heartbeats", "-", "+")
            if len({fields[b"o"] for _, fields in beats}) >= count:
                return
            if time.monotonic() > deadline:
                raise TimeoutError("the workers' relays did not start")
            time.sleep(0.1)
    finally:
        store.close()


async def durable_main() -> None:
    with redis_server() as redis:
        env = {"APP_SIGNAL_RELAY_URL": redis.url, "APP_RELAY_DURABLE": "1"}
        args = ("--workers", str(WORKERS), "--no-access-log")
        with uvicorn("bench.relay_app:app", *args, env=env, timeout=60) as running:
            await asyncio.to_thread(wait_for_readers, redis, WORKERS)
            table(
                f"6. Durable, steady: {CLIENTS} clients, {SENDERS} senders × "
                f"{RATE}/s for 8 s, {WORKERS} workers",
                await durable_fault(running, redis, None),
            )
            table(
                "7. Durable, Redis killed for 3 s, then restarted",
                await durable_fault(running, redis, "killed"),
            )
            await asyncio.to_thread(wait_for_relays, redis, WORKERS)
            table(
                "8. Durable, Redis frozen (SIGSTOP) for 3 s",
                await durable_fault(running, redis, "frozen"),
            )
            table(
                "8b. Durable, local send while Redis is frozen",
                await frozen(running, redis),
            )
            print(f"Relay counters, 4 workers summed: {await relay_counters(redis)}")
            print()


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--mode", choices=["both", "pubsub", "durable"], default="both")
    mode = parser.parse_args().mode
    print(f"Load average before the run: {os.getloadavg()}")
    print()
    if mode in ("both", "pubsub"):
        await pubsub_main()
    if mode in ("both", "durable"):
        await durable_main()
    print(f"Load average after the run: {os.getloadavg()}")


async def pubsub_main() -> None:
    with redis_server() as redis:
        env = {"APP_SIGNAL_RELAY_URL": redis.url}
        args = ("--workers", str(WORKERS), "--no-access-log")
        with uvicorn("bench.relay_app:app", *args, env=env, timeout=60) as running:
            await asyncio.to_thread(wait_for_relays, redis, WORKERS)
            table(
                f"1. Steady: {CLIENTS} clients, {SENDERS} senders × {RATE}/s for "
                f"{SECONDS:g} s, {WORKERS} workers",
                await steady(running),
            )
            table(
                "2. Redis killed for 3 s, then restarted", await outage(running, redis)
            )
            await asyncio.to_thread(wait_for_relays, redis, WORKERS)
            table("3. Redis frozen (SIGSTOP) for 3 s", await frozen(running, redis))
        table("4. A receiver taking 1 s per message", await slow_receiver(redis))
        table("5. What sharing costs a send", await overhead(redis))


if __name__ == "__main__":
    asyncio.run(main())
