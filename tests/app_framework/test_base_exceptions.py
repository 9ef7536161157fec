"""SystemExit and KeyboardInterrupt raised by app code fail that piece of
work and are logged; they never stop the server, and never let it serve
with start-up unfinished. Only cancellation passes through."""

from __future__ import annotations

import asyncio
import logging
import subprocess
import sys
import threading

import pytest

from app_framework import App, signals

from .test_app import run_lifespan

FATAL = [SystemExit("bye"), KeyboardInterrupt()]


@pytest.mark.parametrize("error", FATAL, ids=["SystemExit", "KeyboardInterrupt"])
async def test_a_start_up_hook_raising_it_fails_start_up(
    app: App, error: BaseException
) -> None:
    reported: list[BaseException] = []

    @app.before_serving
    def hook() -> None:
        raise error

    def on_error(sender: App, exception: BaseException) -> None:
        reported.append(exception)

    with signals.got_serving_exception.connected_to(on_error, app):
        sent = await run_lifespan(app)
    assert [m["type"] for m in sent] == ["lifespan.startup.failed"]
    assert type(error).__name__ in sent[0]["message"]
    assert reported == [error]


def test_uvicorn_refuses_to_serve_when_start_up_calls_sys_exit() -> None:
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "uvicorn",
            "tests.app_framework.apps.failing_start:app",
            "--host",
            "127.0.0.1",
            "--port",
            "0",
        ],  # fmt: skip
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode != 0
    assert "the database is not configured" in result.stderr
    assert "Application startup failed" in result.stderr
    assert "Uvicorn running" not in result.stderr


@pytest.mark.parametrize("sync", [False, True], ids=["async", "sync"])
async def test_a_background_task_raising_it_is_logged_and_contained(
    app: App, caplog: pytest.LogCaptureFixture, sync: bool
) -> None:
    seen: list[BaseException] = []
    done = asyncio.Event()

    def on_error(sender: App, exception: BaseException) -> None:
        seen.append(exception)
        done.set()

    def sync_job() -> None:
        raise SystemExit("from a thread")

    async def async_job() -> None:
        raise SystemExit("from a task")

    app.add_url_rule("/ok", "ok", lambda: "still serving")
    with signals.got_background_exception.connected_to(on_error, app):
        async with app.test_client() as client:
            app.add_background_task(sync_job if sync else async_job)
            await done.wait()
            assert (await client.get("/ok")).text == "still serving"
    assert [type(e) for e in seen] == [SystemExit]
    job = "sync_job" if sync else "async_job"
    test_name = "test_a_background_task_raising_it_is_logged_and_contained"
    assert f"Background task {test_name}.<locals>.{job} failed" in caplog.text


async def test_a_receiver_raising_it_is_logged_and_contained(
    app: App, caplog: pytest.LogCaptureFixture
) -> None:
    done = asyncio.Event()

    async def job() -> None:
        raise ValueError("the task's own error")

    def exits(sender: App, exception: BaseException) -> None:
        raise SystemExit("from a receiver")

    def after(sender: App, exception: BaseException) -> None:
        done.set()  # connected after the faulty one: still called

    app.add_url_rule("/ok", "ok", lambda: "still serving")
    with (
        signals.got_background_exception.connected_to(exits, app),
        signals.got_background_exception.connected_to(after, app),
        caplog.at_level(logging.ERROR),
    ):
        async with app.test_client() as client:
            app.add_background_task(job)
            await done.wait()
            assert (await client.get("/ok")).text == "still serving"
    assert "Error in" in caplog.text and "from a receiver" in caplog.text


async def test_a_teardown_hook_raising_it_is_logged_and_the_rest_runs(
    app: App, caplog: pytest.LogCaptureFixture
) -> None:
    ran: list[str] = []

    @app.teardown_request
    def first(exc: BaseException | None) -> None:
        raise KeyboardInterrupt

    @app.teardown_request
    def second(exc: BaseException | None) -> None:
        ran.append("second")

    app.add_url_rule("/ok", "ok", lambda: "ok")
    async with app.test_client() as client:
        assert (await client.get("/ok")).text == "ok"
    assert ran == ["second"]
    assert "Error in teardown function" in caplog.text


async def test_shutdown_waits_for_a_sync_task_and_says_it_still_runs(
    app: App, caplog: pytest.LogCaptureFixture
) -> None:
    app.config["BACKGROUND_TASK_SHUTDOWN_TIMEOUT"] = 0.05
    order: list[str] = []
    release = threading.Event()
    started = threading.Event()

    def blocking_job() -> None:
        started.set()
        release.wait(30)

    class Recorder(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            if "blocking_job" in record.getMessage():
                order.append(record.getMessage())

    app.after_serving(lambda: order.append("after_serving"))
    handler = Recorder()
    app.logger.addHandler(handler)
    try:
        async with app.test_client():
            app.add_background_task(blocking_job)
            await asyncio.to_thread(started.wait, 30)
    finally:
        app.logger.removeHandler(handler)
        release.set()
    assert len(order) == 2 and order[1] == "after_serving"
    assert "still running at shutdown after 0.05 s" in order[0]
    assert "Cancelling" not in caplog.text
