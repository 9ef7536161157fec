"""``import asignals as blinker``: code written for blinker 1.9 runs unchanged.

One scenario, written against blinker's public API only, runs on both
libraries; the transcripts must be equal. It avoids what blinker leaves
undefined (the order of several receivers) and what asignals deliberately
fixes (see the other tests), so equal transcripts mean a true drop-in.
"""

from __future__ import annotations

import asyncio
import gc
import types
from collections.abc import Callable
from typing import Any

import pytest

import asignals


def scenario(blinker: Any) -> list[Any]:
    log: list[Any] = []
    namespace = blinker.Namespace()
    saved: asignals.Signal = namespace.signal("model-saved", doc="A model was saved.")
    log.append(("same signal", namespace.signal("model-saved") is saved))
    log.append(("named", saved.__doc__, isinstance(saved, blinker.NamedSignal)))
    default = blinker.signal("compat")
    log.append(("default", default is blinker.default_namespace["compat"]))

    class App:
        pass

    app = App()

    @saved.connect
    def on_any(sender: Any, **kwargs: Any) -> str:
        log.append(("on_any", sender is app, kwargs))
        return "any"

    log.append(("results", [(r.__name__, v) for r, v in saved.send(app, x=1)]))
    saved.disconnect(on_any)

    @saved.connect_via(app)
    def on_app(sender: Any, **kwargs: Any) -> str:
        return "app"

    log.append(("via", [v for _, v in saved.send(app)], saved.send(App())))
    log.append(("has", saved.has_receivers_for(app), saved.has_receivers_for(App())))
    log.append(("receivers_for", [r.__name__ for r in saved.receivers_for(app)]))
    log.append(("receivers truthy", bool(saved.receivers)))
    saved.disconnect(on_app, sender=app)
    log.append(("after disconnect", saved.send(app)))

    temp_calls: list[Any] = []

    def temp(sender: Any, **kwargs: Any) -> None:
        temp_calls.append(sender)

    with saved.connected_to(temp, sender=app):
        saved.send(app)
    saved.send(app)
    log.append(("connected_to", len(temp_calls)))

    saved.connect(temp)
    with saved.muted():
        log.append(("muted", saved.is_muted, saved.send(app)))
    log.append(("unmuted", saved.is_muted, len(saved.send(app))))

    meta: list[Any] = []
    saved.receiver_connected.connect(
        lambda signal, **kw: meta.append(sorted(kw)), weak=False
    )
    saved.receiver_disconnected.connect(
        lambda signal, **kw: meta.append(sorted(kw)), weak=False
    )
    saved.connect(on_any, sender=app)
    saved.disconnect(on_any, sender=app)
    log.append(("meta", meta))

    class Handler:
        def method(self, sender: Any, **kwargs: Any) -> str:
            return "method"

    handler = Handler()
    weak_signal = blinker.Signal()
    weak_signal.connect(handler.method)
    log.append(("bound method", [v for _, v in weak_signal.send()]))
    del handler
    gc.collect()
    log.append(("bound method gone", weak_signal.send()))

    async def coro(sender: Any, **kwargs: Any) -> str:
        return f"awaited {kwargs['n']}"

    def sync(sender: Any, **kwargs: Any) -> str:
        return "sync"

    def to_async(func: Callable[..., Any]) -> Callable[..., Any]:
        async def call(*args: Any, **kwargs: Any) -> Any:
            return func(*args, **kwargs)

        return call

    def to_sync(func: Callable[..., Any]) -> Callable[..., Any]:
        return lambda *args, **kwargs: asyncio.run(func(*args, **kwargs))

    async_signal = blinker.Signal()
    async_signal.connect(coro)
    log.append(("send_async", asyncio.run(async_signal.send_async(n=1))[0][1]))
    log.append(("async wrapper", async_signal.send(_async_wrapper=to_sync, n=2)[0][1]))
    try:
        async_signal.send(n=3)
    except RuntimeError:
        log.append("send refuses coroutine")
    sync_signal = blinker.Signal()
    sync_signal.connect(sync)
    sent = asyncio.run(sync_signal.send_async(_sync_wrapper=to_async))
    log.append(("sync wrapper", [value for _, value in sent]))
    log.append(("ANY", blinker.Signal.ANY is blinker.ANY))
    return [
        [getattr(x, "__name__", x) for x in entry] if isinstance(entry, list) else entry
        for entry in log
    ]


NO_BLINKER = "blinker comes with the bench extra"


def test_blinker_code_runs_unchanged_on_asignals() -> None:
    blinker = pytest.importorskip("blinker", reason=NO_BLINKER)
    theirs = scenario(blinker)
    ours = scenario(asignals)
    for mine, blinkers in zip(ours, theirs, strict=True):
        assert mine == blinkers
    assert ("connected_to", 1) in ours


def test_the_public_names_of_blinker_exist() -> None:
    blinker = pytest.importorskip("blinker", reason=NO_BLINKER)
    assert set(blinker.__all__) <= set(asignals.__all__)
    for name in vars(blinker.Signal):
        if not name.startswith("_") and name != "set_class":
            assert hasattr(asignals.Signal, name), name
    assert isinstance(asignals, types.ModuleType)
