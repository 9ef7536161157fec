"""A Quart-style websocket app served by a real uvicorn in the tests."""

from __future__ import annotations

import asyncio
from typing import Any

from app_framework import App, abort, websocket

app = App(__name__)
members: set[Any] = set()
flood_ended = asyncio.Event()
events: list[Any] = []


@app.teardown_websocket
def record_teardown(exc: BaseException | None) -> None:
    events.append(["teardown", websocket.path, repr(exc)])


@app.websocket("/chat")
async def chat() -> None:  # Quart's spelling: no accept, receive()/send() of data
    me = websocket._get_current_object()
    members.add(me)
    try:
        while True:
            text = await websocket.receive()
            shown = text if isinstance(text, str) else text.decode()
            for member in list(members):
                await member.send(f"echo: {shown}")
    finally:
        members.discard(me)


@app.websocket("/flood")
async def flood() -> None:
    try:
        while True:
            await websocket.send("x" * 10_000)
    except asyncio.CancelledError:
        events.append(["flood cancelled"])
        raise
    finally:
        flood_ended.set()


@app.websocket("/private")
async def private() -> None:
    abort(401, "log in first")


@app.route("/flood-ended")
async def wait_for_flood() -> dict[str, Any]:
    await asyncio.wait_for(flood_ended.wait(), 10)
    return {"events": events}
