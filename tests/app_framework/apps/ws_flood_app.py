"""A slow websocket view (10 ms a message) for the flood tests, served by a
real uvicorn. ``APP_MAX_WEBSOCKET_MESSAGE_SIZE`` in the environment sets
the message limit; the framework's log shows on stderr."""

from __future__ import annotations

import asyncio
import logging

from app_framework import App, websocket

app = App(__name__)
app.config.from_prefixed_env()
logging.getLogger("app_framework").addHandler(logging.StreamHandler())
logging.getLogger("app_framework").setLevel(logging.INFO)


@app.websocket("/slow")
async def slow() -> None:
    received = 0
    while True:
        await websocket.receive()
        received += 1
        await asyncio.sleep(0.01)  # the slow part: a database write, say
        await websocket.send(str(received))
