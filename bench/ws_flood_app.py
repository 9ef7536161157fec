"""The app ``bench/ws_flood.py`` floods: a websocket view that takes 10 ms
a message, so a fast client's messages pile up ahead of it."""

from __future__ import annotations

import asyncio

from app_framework import App, websocket

app = App(__name__)


@app.websocket("/slow")
async def slow() -> None:
    while True:
        data = await websocket.receive()
        await asyncio.sleep(0.01)  # the slow part: a database write, say
        await websocket.send(str(len(data)))
