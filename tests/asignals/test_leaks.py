"""Nothing accumulates: bookkeeping empties and memory stays flat."""

from __future__ import annotations

import gc
import tracemalloc
from typing import Any

from asignals import Signal

from .test_registry import assert_empty


class Sender:
    pass


class Listener:
    def __init__(self) -> None:
        self.calls = 0

    def on_signal(self, sender: Any, **kwargs: Any) -> None:
        self.calls += 1


def cycle(signal: Signal) -> None:
    """Connect a short-lived weak receiver to a short-lived weak sender, send."""
    sender, listener = Sender(), Listener()
    signal.connect(listener.on_signal, sender=sender)
    signal.connect(listener.on_signal)
    signal.send(sender)
    if listener.calls != 1:
        raise AssertionError(f"called {listener.calls} times")


def test_100k_connect_send_cycles_leave_nothing() -> None:
    signal = Signal()
    for _ in range(5_000):  # warm caches and allocator pools first
        cycle(signal)
    gc.collect()
    tracemalloc.start()
    try:
        before = tracemalloc.get_traced_memory()[0]
        for _ in range(95_000):
            cycle(signal)
        gc.collect()
        growth = tracemalloc.get_traced_memory()[0] - before
    finally:
        tracemalloc.stop()
    assert_empty(signal)
    # A leak of even 8 bytes a cycle would show as 760 kB.
    assert growth < 100_000, f"memory grew by {growth} bytes"
