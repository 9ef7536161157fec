"""Event streams served by a real uvicorn: heartbeats while the source is
quiet, and a client leaving while it waits."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any

from app_framework import App, EventStream, ServerSentEvent, last_event_id, request

app = App(__name__)
log: list[list[str]] = []
released = asyncio.Event()
torn_down = asyncio.Event()


@app.teardown_request
def note_teardown(exc: BaseException | None) -> None:
    if request.path == "/quiet":
        log.append(["teardown", type(exc).__name__])
        torn_down.set()


@app.route("/quiet")
async def quiet() -> Any:
    """One event, then silence until /release (pinged every 50 ms)."""
    resumed_from = last_event_id() or "none"

    async def source() -> AsyncIterator[ServerSentEvent]:
        try:
            yield ServerSentEvent(f"after {resumed_from}", id="1")
            await released.wait()
            yield ServerSentEvent("released", id="2")
        finally:
            log.append(["source closed", str(released.is_set())])

    return EventStream(source(), ping=0.05, retry=1500)


@app.route("/release")
async def release() -> str:
    released.set()
    return "ok"


@app.route("/log")
async def show_log() -> dict[str, Any]:
    """The log once a /quiet request has been torn down (bounded wait)."""
    await asyncio.wait_for(torn_down.wait(), 10)
    return {"log": log}
