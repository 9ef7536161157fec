"""The app ``make chaos`` (bench/chaos.py) serves and attacks.

Counts every teardown as it starts (the first ``teardown_request`` hook)
and as it completes (``appcontext_popped``, the last step), for requests
and websockets, and writes the counts to ``$CHAOS_STATS`` at shutdown
(``after_serving``), so the driver can check that every teardown that
started finished.
"""

from __future__ import annotations

import asyncio
import json
import os
import random
import time
from typing import Any

from app_framework import App, abort, request, signals, websocket

app = App(__name__)
app.config.update(
    SECRET_KEY="chaos-secret-key-0123456789abcdef-0123456789",
    TRUSTED_HOSTS=["127.0.0.1", "localhost"],
)
counts = {
    "teardowns_started": 0,
    "teardowns_completed": 0,
    "app_contexts_pushed": 0,
    "app_contexts_popped": 0,
    "background_done": 0,
    "endless_streams_started": 0,
    "endless_streams_closed": 0,
}


@app.after_serving
def _write_stats() -> None:
    # The last thing the server runs (uvicorn then ends the process with
    # the signal it got, so atexit would not run): a teardown still going
    # now would show as started but not completed.
    path = os.environ.get("CHAOS_STATS")
    if path:
        with open(path, "w") as out:
            json.dump(counts, out)


@app.teardown_request
async def _awaits_in_teardown(exc: BaseException | None) -> None:
    await asyncio.sleep(0.001)  # a teardown that waits, as a DB rollback does


def _started(exc: BaseException | None) -> None:
    counts["teardowns_started"] += 1


# Teardown functions run last-registered first: this one starts teardown.
app.teardown_request(_started)
app.teardown_websocket(_started)


def _completed(sender: App, **kwargs: Any) -> None:
    counts["teardowns_completed"] += 1  # after every teardown function


def _pushed(sender: App, **kwargs: Any) -> None:
    counts["app_contexts_pushed"] += 1


def _popped(sender: App, **kwargs: Any) -> None:
    counts["app_contexts_popped"] += 1  # the very last step


signals.request_tearing_down.connect(_completed, app, weak=False)
signals.websocket_tearing_down.connect(_completed, app, weak=False)
signals.appcontext_pushed.connect(_pushed, app, weak=False)
signals.appcontext_popped.connect(_popped, app, weak=False)


@app.errorhandler(TimeoutError)
async def _timed_out(error: TimeoutError) -> tuple[str, int]:
    return "timed out", 504


@app.route("/hello")
async def hello() -> str:
    return "hello"


@app.route("/json", methods=["POST"])
async def echo_json() -> dict[str, int]:
    data = await request.get_json()
    return {"items": len(data) if isinstance(data, list | dict) else 1}


@app.route("/stream")
async def stream() -> Any:
    async def chunks() -> Any:
        for number in range(50):
            await asyncio.sleep(0.001)
            yield f"chunk {number}\n"

    return chunks()


@app.route("/events")
async def events() -> Any:
    """An event stream with no end: only its client leaving stops it."""

    async def ticks() -> Any:
        counts["endless_streams_started"] += 1
        try:
            number = 0
            while True:
                number += 1
                yield f"id: {number}\ndata: tick\n\n"
                await asyncio.sleep(0.005)
        finally:
            counts["endless_streams_closed"] += 1

    return app.response_class(ticks(), mimetype="text/event-stream")


@app.route("/busy-stream")
async def busy_stream() -> Any:
    """A stream with no end whose generator never awaits."""

    async def blocks() -> Any:
        counts["endless_streams_started"] += 1
        try:
            while True:
                yield b"x" * 16384
        finally:
            counts["endless_streams_closed"] += 1

    return blocks()


@app.route("/slow")
async def slow() -> str:
    async with asyncio.timeout(0.05):
        await asyncio.sleep(random.uniform(0, 0.1))
    return "in time"


def _sync_job() -> None:
    time.sleep(0.01)
    counts["background_done"] += 1


async def _async_job() -> None:
    await asyncio.sleep(0.01)
    counts["background_done"] += 1


@app.route("/background")
async def background() -> str:
    app.add_background_task(_async_job)
    app.add_background_task(_sync_job)
    return "queued"


@app.route("/hang")
async def hang() -> str:
    await asyncio.sleep(30)  # still running at SIGTERM: cancelled by uvicorn
    return "never"


@app.route("/boom")
async def boom() -> str:
    abort(418)


@app.websocket("/ws")
async def echo() -> None:
    while True:
        await websocket.send(await websocket.receive())
