"""Requests cut by cancellation: teardown runs every step once, to its end,
whoever cancels (AnyIO, Task.cancel, asyncio.timeout), is told why (exc),
and gives up after TEARDOWN_TIMEOUT rather than hang a shutdown."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import MutableMapping
from typing import Any

import anyio
import pytest

from app_framework import App, signals, websocket
from app_framework._test_requests import make_scope


def http_scope(path: str) -> dict[str, Any]:
    scope = make_scope("http", path, "", {"host": "localhost"})
    scope["method"] = "GET"
    return scope


async def receive() -> dict[str, Any]:
    return {"type": "http.request", "body": b"", "more_body": False}


async def send(message: MutableMapping[str, Any]) -> None:
    return None


class Teardown:
    """Records each teardown step and the exc it was given; the request
    teardown hook waits on ``release`` so a second cancel can land there."""

    def __init__(self, app: App) -> None:
        self.steps: list[tuple[str, str]] = []
        self.waiting = asyncio.Event()
        self.release = asyncio.Event()

        @app.teardown_request
        async def hook(exc: BaseException | None) -> None:
            self.waiting.set()
            await self.release.wait()
            self.steps.append(("teardown_request", type(exc).__name__))

        @app.teardown_appcontext
        async def app_hook(exc: BaseException | None) -> None:
            await asyncio.sleep(0)
            self.steps.append(("teardown_appcontext", type(exc).__name__))

        def on(name: str) -> Any:
            def receiver(sender: App, exc: BaseException | None) -> None:
                self.steps.append((name, type(exc).__name__))

            return receiver

        self._kept = [on("request_tearing_down"), on("appcontext_tearing_down")]
        signals.request_tearing_down.connect(self._kept[0], app)
        signals.appcontext_tearing_down.connect(self._kept[1], app)

    def all_ran_with(self, exc_name: str) -> bool:
        return self.steps == [
            ("teardown_request", exc_name),
            ("request_tearing_down", exc_name),
            ("teardown_appcontext", exc_name),
            ("appcontext_tearing_down", exc_name),
        ]


@pytest.fixture
def slow_app(app: App) -> App:
    app.started = asyncio.Event()  # type: ignore[attr-defined]

    @app.route("/slow")
    async def slow() -> str:
        app.started.set()  # type: ignore[attr-defined]
        await asyncio.Event().wait()
        return "never"

    return app


async def test_task_cancel_twice_cannot_cut_teardown_short(slow_app: App) -> None:
    teardown = Teardown(slow_app)
    task = asyncio.create_task(slow_app(http_scope("/slow"), receive, send))
    await slow_app.started.wait()  # type: ignore[attr-defined]
    task.cancel()  # in the view
    await teardown.waiting.wait()
    task.cancel()  # again, while a teardown hook waits
    await asyncio.sleep(0)
    teardown.release.set()
    with pytest.raises(asyncio.CancelledError):
        await task
    assert teardown.all_ran_with("CancelledError")


async def test_asyncio_timeout_tears_down_then_times_out(slow_app: App) -> None:
    teardown = Teardown(slow_app)
    teardown.release.set()
    with pytest.raises(TimeoutError):
        async with asyncio.timeout(0.05):
            await slow_app(http_scope("/slow"), receive, send)
    assert teardown.all_ran_with("CancelledError")


async def test_anyio_cancellation_tells_teardown_too(slow_app: App) -> None:
    teardown = Teardown(slow_app)
    teardown.release.set()
    async with anyio.create_task_group() as group:
        group.start_soon(slow_app, http_scope("/slow"), receive, send)
        await slow_app.started.wait()  # type: ignore[attr-defined]
        group.cancel_scope.cancel()
    assert teardown.all_ran_with("CancelledError")


async def test_a_finished_request_still_tears_down_with_none(app: App) -> None:
    teardown = Teardown(app)
    teardown.release.set()
    app.add_url_rule("/ok", "ok", lambda: "ok")
    await app(http_scope("/ok"), receive, send)
    assert teardown.all_ran_with("NoneType")


async def test_a_hung_teardown_is_abandoned_after_teardown_timeout(
    slow_app: App, caplog: pytest.LogCaptureFixture
) -> None:
    slow_app.config["TEARDOWN_TIMEOUT"] = 0.05
    teardown = Teardown(slow_app)  # never released: the hook hangs
    task = asyncio.create_task(slow_app(http_scope("/slow"), receive, send))
    await slow_app.started.wait()  # type: ignore[attr-defined]
    task.cancel()
    with caplog.at_level(logging.ERROR), pytest.raises(asyncio.CancelledError):
        await task  # ends: the hung hook is closed, not waited for
    assert "Teardown of /slow abandoned after 0.05 s" in caplog.text
    # The hung hook was cancelled where it waited; the app context was still
    # popped (its teardown ran), so nothing is left bound.
    assert teardown.steps == [
        ("teardown_appcontext", "CancelledError"),
        ("appcontext_tearing_down", "CancelledError"),
    ]


async def test_a_websocket_cut_by_the_server_tells_teardown(app: App) -> None:
    seen: list[str] = []
    started = asyncio.Event()

    @app.websocket("/ws")
    async def view() -> None:
        await websocket.accept()
        started.set()
        await asyncio.Event().wait()

    @app.teardown_websocket
    def hook(exc: BaseException | None) -> None:
        seen.append(type(exc).__name__)

    inbox = [{"type": "websocket.connect"}]

    async def ws_receive() -> dict[str, Any]:
        if inbox:
            return inbox.pop()
        await asyncio.Event().wait()
        raise AssertionError("unreachable")

    scope = make_scope("websocket", "/ws", "", {"host": "localhost"})
    task = asyncio.create_task(app(scope, ws_receive, send))
    await started.wait()
    task.cancel()  # the server stops it
    with pytest.raises(asyncio.CancelledError):
        await task
    assert seen == ["CancelledError"]


async def test_after_serving_waits_for_teardowns_of_cancelled_requests(
    slow_app: App,
) -> None:
    """A server cancels the requests still running at shutdown and goes
    straight on to the lifespan shutdown (uvicorn does): after_serving must
    still come after their teardowns."""
    order: list[str] = []
    teardown = Teardown(slow_app)
    slow_app.after_serving(lambda: order.append("after_serving"))

    def torn_down(sender: App, exc: BaseException | None) -> None:
        order.append("request torn down")

    signals.request_tearing_down.connect(torn_down, slow_app)
    task = asyncio.create_task(slow_app(http_scope("/slow"), receive, send))
    await slow_app.started.wait()  # type: ignore[attr-defined]
    task.cancel()  # the server's graceful-shutdown timeout ran out
    shutdown = asyncio.create_task(slow_app.shutdown())  # and it goes on
    await teardown.waiting.wait()
    assert order == []  # after_serving waits for the teardown still going
    teardown.release.set()
    await shutdown
    assert order == ["request torn down", "after_serving"]
    with pytest.raises(asyncio.CancelledError):
        await task
