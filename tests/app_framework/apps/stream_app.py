"""Streamed responses whose clients leave, served by a real uvicorn."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Iterator
from typing import Any

from app_framework import App, request, stream_with_context

app = App(__name__)
events: list[list[str]] = []
torn_down = asyncio.Event()


@app.teardown_request
def record_teardown(exc: BaseException | None) -> None:
    if request.path != "/events-seen":
        events.append(["teardown", request.path, type(exc).__name__])
        torn_down.set()


@app.route("/sse")
async def sse() -> Any:
    async def stream() -> AsyncIterator[str]:
        n = 0
        try:
            while True:
                n += 1
                yield f"id: {n}\ndata: tick {n}\n\n"
                await asyncio.sleep(0.01)  # the app's own pacing
        finally:
            events.append(["sse closed", str(n > 0)])

    return app.response_class(stream(), mimetype="text/event-stream")


@app.route("/busy")
async def busy() -> Any:
    async def stream() -> AsyncIterator[bytes]:
        chunk = b"x" * 65536
        try:
            while True:  # never awaits: only the framework can yield
                yield chunk
        finally:
            events.append(["busy closed"])

    return app.response_class(stream(), mimetype="application/octet-stream")


@app.route("/report")
def report() -> Any:
    """Flask's spelling: a sync view and a sync generator."""

    @stream_with_context
    def lines() -> Iterator[str]:
        row = 0
        try:
            while True:
                row += 1
                yield f"{request.args.get('prefix', 'row')} {row:08d}\n" * 64
        finally:
            events.append(["report closed", request.path])

    return lines()


@app.route("/health")
async def health() -> str:
    return "ok"


@app.route("/events-seen")
async def events_seen() -> dict[str, Any]:
    """The events once a teardown has happened (waits for one, bounded)."""
    await asyncio.wait_for(torn_down.wait(), 10)
    return {"events": events}
