"""The app ``bench/relay_load.py`` serves on several workers: a room whose
messages cross workers through the signal relay, and a probe of what a
local send of a shared signal costs while Redis misbehaves."""

from __future__ import annotations

import os
import statistics
import time
from typing import Any

from app_framework import App, Websocket, WebsocketDisconnected, websocket
from asignals import Namespace

app = App("relay_bench")
app.config.from_prefixed_env()  # APP_SIGNAL_RELAY_URL
rooms: dict[str, set[Websocket]] = {}
said = Namespace().signal("said")
probe = Namespace().signal("probe")
# APP_RELAY_DURABLE=1: the room's messages go over a Redis Stream.
durable = os.environ.get("APP_RELAY_DURABLE") == "1"
app.share_signal(said, durable=durable)
app.share_signal(probe, durable=durable)


@said.connect_via(app)
async def broadcast(sender: App, room: str, text: str) -> None:
    for member in list(rooms.get(room, ())):
        try:
            await member.send(text)
        except WebsocketDisconnected:
            rooms.get(room, set()).discard(member)


@app.websocket("/ws/<room>")
async def chat(room: str) -> None:
    me = websocket._get_current_object()
    await websocket.send(f"pid:{os.getpid()}")
    rooms.setdefault(room, set()).add(me)
    try:
        while True:
            text = await websocket.receive()
            await said.send_async(app, room=room, text=str(text))
    finally:
        rooms.get(room, set()).discard(me)


@app.route("/ok")
async def ok() -> str:
    return "ok"


@app.route("/send-timing")
async def send_timing() -> dict[str, Any]:
    """Microseconds per local send_async of a shared signal (the relay's
    own receiver only), 2,000 of them, here and now."""
    times = []
    for number in range(2_000):
        start = time.perf_counter()
        await probe.send_async(app, n=number)
        times.append((time.perf_counter() - start) * 1e6)
    times.sort()
    return {
        "pid": os.getpid(),
        "p50_us": statistics.median(times),
        "p99_us": times[int(len(times) * 0.99)],
        "max_us": times[-1],
    }
