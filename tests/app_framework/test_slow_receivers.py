"""The opt-in slow-receiver warning (SIGNAL_SLOW_RECEIVER_MS): one line
naming the signal, the receiver and the time, rate-limited; nothing at all
installed when the key is unset."""

from __future__ import annotations

import logging
import time
from typing import Any

import anyio
import pytest

from app_framework import App, _slow_receivers, signals
from app_framework.inspector import Inspector
from app_framework.testing import TestClient

RECEIVER = f"{__name__}.blocks"
SLOW = 0.03  # seconds the slow receivers take: over the 10 ms threshold


def blocks(sender: App, **kwargs: Any) -> None:
    time.sleep(SLOW)  # the blocking call being measured


def quick(sender: App, **kwargs: Any) -> None:
    pass


@pytest.fixture
def slow_app(app: App) -> App:
    app.config["SIGNAL_SLOW_RECEIVER_MS"] = 10

    @app.route("/")
    async def index() -> str:
        return "ok"

    return app


def warnings_in(caplog: pytest.LogCaptureFixture) -> list[str]:
    return [
        r.getMessage()
        for r in caplog.records
        if r.levelno == logging.WARNING and "Slow signal receiver" in r.getMessage()
    ]


async def test_a_slow_sync_receiver_logs_one_line_naming_signal_receiver_and_time(
    slow_app: App, caplog: pytest.LogCaptureFixture
) -> None:
    signals.request_started.connect(blocks, sender=slow_app)
    signals.request_finished.connect(quick, sender=slow_app)
    async with slow_app.test_client() as client:
        with caplog.at_level(logging.WARNING):
            assert (await client.get("/")).text == "ok"
    (line,) = warnings_in(caplog)
    prefix = f"Slow signal receiver: request_started receiver {RECEIVER} took "
    assert line.startswith(prefix)
    ms = float(line[len(prefix) :].split(" ms")[0])
    assert ms >= SLOW * 1000
    assert line.endswith(" ms (SIGNAL_SLOW_RECEIVER_MS is 10)")


async def test_the_same_receiver_is_logged_once_an_interval_with_a_count(
    slow_app: App, caplog: pytest.LogCaptureFixture, monkeypatch: pytest.MonkeyPatch
) -> None:
    signals.request_started.connect(blocks, sender=slow_app)
    now = [1000.0]
    monkeypatch.setattr(_slow_receivers, "_clock", lambda: now[0])
    async with slow_app.test_client() as client:
        with caplog.at_level(logging.WARNING):
            for _ in range(3):
                await client.get("/")
            assert len(warnings_in(caplog)) == 1  # the 2nd and 3rd: within 10 s
            now[0] += _slow_receivers.INTERVAL
            await client.get("/")
    first, second = warnings_in(caplog)
    assert second.endswith(
        "; 2 more slow calls of it not logged since the last warning"
    )
    assert "more slow calls" not in first


async def test_a_receiver_under_the_threshold_logs_nothing(
    app: App, caplog: pytest.LogCaptureFixture
) -> None:
    app.config["SIGNAL_SLOW_RECEIVER_MS"] = 1000
    calls: list[str] = []

    def takes_a_little(sender: App, **kwargs: Any) -> None:
        time.sleep(0.005)
        calls.append("ran")

    signals.request_started.connect(takes_a_little, sender=app)
    async with app.test_client() as client:
        with caplog.at_level(logging.WARNING):
            await client.get("/")
    assert calls == ["ran"] and warnings_in(caplog) == []


async def test_an_async_receiver_is_timed_over_its_whole_await(
    slow_app: App, caplog: pytest.LogCaptureFixture
) -> None:
    async def awaits_io(sender: App, **kwargs: Any) -> None:
        await anyio.sleep(SLOW)  # the I/O it waits on counts

    signals.request_finished.connect(awaits_io, sender=slow_app)
    async with slow_app.test_client() as client:
        with caplog.at_level(logging.WARNING):
            await client.get("/")
    (line,) = warnings_in(caplog)
    assert "request_finished receiver " in line and ".awaits_io took " in line


async def test_signals_outside_requests_and_servers_without_lifespan_are_watched(
    slow_app: App, caplog: pytest.LogCaptureFixture
) -> None:
    signals.serving_started.connect(blocks, sender=slow_app)
    signals.appcontext_pushed.connect(blocks, sender=slow_app)
    client = slow_app.test_client()  # no `async with`: no lifespan
    with caplog.at_level(logging.WARNING):
        await client.get("/")  # installed at the first ASGI call
        await slow_app.startup()  # not wrapped twice: one line for it
        await slow_app.shutdown()
    await client.aclose()
    assert [line.split(" took ")[0] for line in warnings_in(caplog)] == [
        f"Slow signal receiver: appcontext_pushed receiver {RECEIVER}",
        f"Slow signal receiver: serving_started receiver {RECEIVER}",
    ]  # (the start-up's appcontext_pushed: within the interval, counted)


async def test_unset_nothing_is_installed(
    app: App, client: TestClient, caplog: pytest.LogCaptureFixture
) -> None:
    channels = app.signal_channels
    signals.request_started.connect(blocks, sender=app)
    with caplog.at_level(logging.WARNING):
        await client.get("/")
    assert app.signal_channels is channels  # the request path's own channels
    assert warnings_in(caplog) == []


@pytest.mark.parametrize("inspector_first", [True, False])
async def test_it_works_with_the_inspector_whichever_wraps_the_other(
    slow_app: App, caplog: pytest.LogCaptureFixture, inspector_first: bool
) -> None:
    slow_app.config["DEBUG"] = True
    signals.request_started.connect(blocks, sender=slow_app)
    inspector = Inspector(slow_app) if inspector_first else None
    async with slow_app.test_client() as client:  # startup: the warning installed
        inspector = inspector or Inspector(slow_app)
        with caplog.at_level(logging.WARNING), inspector.recording() as rec:
            await client.get("/")
    (line,) = warnings_in(caplog)
    assert f"request_started receiver {RECEIVER} took " in line
    (call,) = rec.signal("request_started").receivers
    assert call.name == RECEIVER and call.ms >= SLOW * 1000


class _Tracer:
    """An observer an extension adds at import time and drops later."""

    def start(self, call: object) -> None:
        return None

    def end(self, call: object, token: object, error: object) -> None:
        return None


async def test_the_warning_stays_when_an_earlier_observer_is_removed(
    slow_app: App, caplog: pytest.LogCaptureFixture
) -> None:
    signals.request_finished.connect(blocks, sender=slow_app)
    tracer = _Tracer()
    slow_app.instrumentation.add(tracer)  # before serving starts
    async with slow_app.test_client() as client:  # startup: the warning installed
        slow_app.instrumentation.remove(tracer)
        with caplog.at_level(logging.WARNING):
            await client.get("/")
    (line,) = warnings_in(caplog)
    assert f"request_finished receiver {RECEIVER} took " in line


async def test_only_receivers_are_observed_for_the_warning(slow_app: App) -> None:
    @slow_app.before_request
    def nothing_to_time() -> None:
        return None

    async with slow_app.test_client() as client:
        await client.get("/")
        assert slow_app.instrumentation.observing("receiver")
        assert slow_app.instrumentation.observing("before_request") == ()


@pytest.mark.parametrize(
    ("value", "error"),
    [("100", TypeError), (True, TypeError), (0, ValueError), (-5, ValueError)],
)
async def test_a_wrong_value_says_what_to_write(
    app: App, value: object, error: type[Exception]
) -> None:
    app.config["SIGNAL_SLOW_RECEIVER_MS"] = value
    with pytest.raises(error, match=r"SIGNAL_SLOW_RECEIVER_MS .*e\.g\. .*100"):
        await app.startup()


async def test_a_failing_receiver_is_still_logged_by_its_own_name(
    slow_app: App, caplog: pytest.LogCaptureFixture
) -> None:
    def faulty(sender: App, **kwargs: Any) -> None:
        raise RuntimeError("teardown bug")

    signals.appcontext_tearing_down.connect(faulty, sender=slow_app)
    async with slow_app.test_client() as client:
        with caplog.at_level(logging.ERROR):
            assert (await client.get("/")).text == "ok"
    assert "'appcontext-tearing-down'> receiver <function test_" in caplog.text
    assert "<locals>.faulty at 0x" in caplog.text  # not the timing wrapper
