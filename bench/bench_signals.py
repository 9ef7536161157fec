"""Dispatch cost: asignals vs blinker 1.9 vs calling the receivers by hand.

Run: ``make bench`` (or ``.venv/bin/python bench/bench_signals.py``).

Every contender calls the same receivers with the same sender and keyword
argument. Contenders are interleaved round by round in one process and the
median of the rounds is reported, so drift of the machine hits them alike.
Receivers are connected as users connect them: weakly (the default), kept
alive by the benchmark. The "plain loop" is the floor: a hand-written
dispatcher with the same call shape as ``send``, ``def plain_send(sender, /,
**kwargs): for r in receivers: r(sender, **kwargs)`` (``await r(...)`` for
async), with no bookkeeping, no results and no weak references at all.
"""

from __future__ import annotations

import asyncio
import statistics
import sys
import time
from collections.abc import Awaitable, Callable
from typing import Any

import blinker

import asignals

ROUNDS = 15


class App:
    """Stands for an application object: the sender Flask-style code uses."""


SENDER = App()
Timer = Callable[[int], float]


def sync_receivers(count: int) -> list[Callable[..., Any]]:
    def make() -> Callable[..., Any]:
        def receiver(sender: Any, **kwargs: Any) -> None:
            return None

        return receiver

    return [make() for _ in range(count)]


def async_receivers(count: int) -> list[Callable[..., Awaitable[Any]]]:
    def make() -> Callable[..., Awaitable[Any]]:
        async def receiver(sender: Any, **kwargs: Any) -> None:
            return None

        return receiver

    return [make() for _ in range(count)]


def sync_timers(
    receivers: list[Callable[..., Any]], specific: bool
) -> dict[str, Timer]:
    ours, theirs = asignals.Signal(), blinker.Signal()
    for receiver in receivers:
        ours.connect(receiver, SENDER if specific else asignals.ANY)
        theirs.connect(receiver, SENDER if specific else blinker.ANY)

    def plain_send(sender: Any, /, **kwargs: Any) -> None:
        for receiver in receivers:
            receiver(sender, **kwargs)

    def timed(send: Callable[..., Any]) -> Timer:
        def run(n: int) -> float:
            start = time.perf_counter()
            for _ in range(n):
                send(SENDER, value=1)
            return time.perf_counter() - start

        return run

    return {
        "asignals": timed(ours.send),
        "blinker": timed(theirs.send),
        "plain": timed(plain_send),
    }


def async_timers(receivers: list[Callable[..., Awaitable[Any]]]) -> dict[str, Timer]:
    ours, theirs = asignals.Signal(), blinker.Signal()
    for receiver in receivers:
        ours.connect(receiver)
        theirs.connect(receiver)
    loop = asyncio.new_event_loop()

    async def plain_send(sender: Any, /, **kwargs: Any) -> None:
        for receiver in receivers:
            await receiver(sender, **kwargs)

    def timed(send: Callable[..., Awaitable[Any]]) -> Timer:
        async def go(n: int) -> float:
            start = time.perf_counter()
            for _ in range(n):
                await send(SENDER, value=1)
            return time.perf_counter() - start

        return lambda n: loop.run_until_complete(go(n))

    return {
        "asignals": timed(ours.send_async),
        "blinker": timed(theirs.send_async),
        "plain": timed(plain_send),
    }


def measure(timers: dict[str, Timer], budget: float = 0.02) -> dict[str, float]:
    """Median nanoseconds per send for each contender, interleaved."""
    calls = {name: calibrate(timer, budget) for name, timer in timers.items()}
    samples: dict[str, list[float]] = {name: [] for name in timers}
    for _ in range(ROUNDS):
        for name, timer in timers.items():
            samples[name].append(timer(calls[name]) / calls[name] * 1e9)
    return {name: statistics.median(values) for name, values in samples.items()}


def calibrate(timer: Timer, budget: float) -> int:
    n = 100
    while timer(n) < budget:
        n *= 2
    return n


def scenarios() -> list[tuple[str, dict[str, Timer]]]:
    return [
        ("send, 0 receivers", sync_timers([], specific=False)),
        ("send, 1 receiver (ANY)", sync_timers(sync_receivers(1), specific=False)),
        ("send, 10 receivers (ANY)", sync_timers(sync_receivers(10), specific=False)),
        ("send, 1 receiver (sender)", sync_timers(sync_receivers(1), specific=True)),
        ("send, 10 receivers (sender)", sync_timers(sync_receivers(10), specific=True)),
        ("send_async, 1 async receiver", async_timers(async_receivers(1))),
        ("send_async, 10 async receivers", async_timers(async_receivers(10))),
    ]


TARGETS = {
    "send, 0 receivers": "vs blinker >= 1.0x",
    "send, 10 receivers (ANY)": "vs plain <= 1.2x",
    "send_async, 10 async receivers": "vs blinker >= 3.0x",
}


def observation_timers() -> dict[str, Timer]:
    """One send to 1 receiver: nobody observing, an observer on another
    signal (what every unobserved signal of an observed app pays), and
    this signal observed by an observer that does nothing."""
    [receiver] = sync_receivers(1)
    plain, beside, watched, other = (asignals.Signal() for _ in range(4))
    for signal in (plain, beside, watched, other):
        signal.connect(receiver)

    def timed(signal: asignals.Signal) -> Timer:
        def run(n: int) -> float:
            start = time.perf_counter()
            for _ in range(n):
                signal.send(SENDER, value=1)
            return time.perf_counter() - start

        run.keep = receiver  # type: ignore[attr-defined]
        return run

    asignals.observe(asignals.ReceiverObserver(), on=other)
    asignals.observe(asignals.ReceiverObserver(), on=watched)
    return {
        "unobserved": timed(plain),
        "another signal observed": timed(beside),
        "observed": timed(watched),
    }


def connect_pair_timers(connected: int) -> dict[str, Timer]:
    """A connect + disconnect pair with ``connected`` receivers already
    connected (to ANY, weakly, as blinker's users connect them)."""

    def timed(signal: Any) -> Timer:
        keep = sync_receivers(connected)
        for receiver in keep:
            signal.connect(receiver)
        [extra] = sync_receivers(1)

        def run(n: int) -> float:
            start = time.perf_counter()
            for _ in range(n):
                signal.connect(extra)
                signal.disconnect(extra)
            return time.perf_counter() - start

        run.keep = keep  # type: ignore[attr-defined]
        return run

    return {"asignals": timed(asignals.Signal()), "blinker": timed(blinker.Signal())}


def bytes_per_receiver(make_signal: Callable[[], Any], count: int = 10_000) -> float:
    """Memory a weakly connected receiver costs (after a send has run, so
    whatever a send builds is counted), in bytes."""
    import gc
    import tracemalloc

    receivers = sync_receivers(count)
    signal = make_signal()
    gc.collect()
    tracemalloc.start()
    before = tracemalloc.get_traced_memory()[0]
    for receiver in receivers:
        signal.connect(receiver)
    signal.send(SENDER)
    gc.collect()
    after = tracemalloc.get_traced_memory()[0]
    tracemalloc.stop()
    return (after - before) / count


def main() -> None:
    print(f"Python {sys.version.split()[0]}, blinker {blinker_version()}; ns per send")
    print()
    header = (
        "| case | asignals | blinker 1.9 | plain loop | vs blinker | vs plain "
        "| target |"
    )
    print(header)
    print("|---|---:|---:|---:|---:|---:|---|")
    for label, timers in scenarios():
        ns = measure(timers)
        ours, theirs, plain = ns["asignals"], ns["blinker"], ns["plain"]
        print(
            f"| {label} | {ours:,.0f} | {theirs:,.0f} | {plain:,.0f} "
            f"| {theirs / ours:.1f}x faster | {ours / plain:.2f}x "
            f"| {TARGETS.get(label, '')} |"
        )
    print()
    print("asignals.observe: send to 1 receiver, ns (target: unobserved = no cost)")
    print()
    ns = measure(observation_timers())
    print("| nobody observes | another signal observed | this signal observed |")
    print("|---:|---:|---:|")
    print(
        f"| {ns['unobserved']:,.0f} | {ns['another signal observed']:,.0f} "
        f"| {ns['observed']:,.0f} |"
    )
    print()
    print("connect + disconnect pair, µs, with N receivers already connected")
    print()
    print("| N | asignals | blinker 1.9 | target |")
    print("|---:|---:|---:|---|")
    for connected in (10, 1_000, 10_000):
        us = {k: v / 1000 for k, v in measure(connect_pair_timers(connected)).items()}
        target = "<= 5 µs" if connected == 10_000 else ""
        print(
            f"| {connected:,} | {us['asignals']:.2f} | {us['blinker']:.2f} | {target} |"
        )
    print()
    ours_bytes = bytes_per_receiver(asignals.Signal)
    theirs_bytes = bytes_per_receiver(blinker.Signal)
    print("memory per weakly connected receiver (10,000 connected, one send)")
    print()
    print("| asignals | blinker 1.9 | target |")
    print("|---:|---:|---|")
    print(f"| {ours_bytes:,.0f} B | {theirs_bytes:,.0f} B | <= blinker |")


def blinker_version() -> str:
    from importlib.metadata import version

    return version("blinker")


if __name__ == "__main__":
    main()
