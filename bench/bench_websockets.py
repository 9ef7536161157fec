"""A 1,000-message websocket echo, in-process: microseconds per message.

Run: ``.venv/bin/python bench/bench_websockets.py`` (part of ``make bench``).

The app echoes each text message back; the "client" is the ASGI server's
side, written with plain asyncio queues (as servers do), so the figure is
the framework's cost per message: receiving, the view, sending. Rounds are
repeated and the median is printed, with Starlette's own WebSocket
endpoint and Quart beside it (each round runs every contender in turn).
"""

from __future__ import annotations

import asyncio
import statistics
import time
from collections.abc import Awaitable, Callable
from typing import Any

from starlette.applications import Starlette
from starlette.routing import WebSocketRoute
from starlette.websockets import WebSocket, WebSocketDisconnect

import app_framework
from app_framework import websocket

ASGI = Callable[..., Awaitable[None]]
MESSAGES = 1_000
ROUNDS = 15

SCOPE: dict[str, Any] = {
    "type": "websocket",
    "asgi": {"version": "3.0", "spec_version": "2.4"},
    "http_version": "1.1",
    "scheme": "ws",
    "server": ("127.0.0.1", 8000),
    "client": ("127.0.0.1", 50000),
    "root_path": "",
    "path": "/echo",
    "raw_path": b"/echo",
    "query_string": b"",
    "headers": [(b"host", b"127.0.0.1:8000")],
    "subprotocols": [],
}


def framework_app() -> ASGI:
    app = app_framework.App("bench_ws")

    @app.websocket("/echo")
    async def echo() -> None:
        while True:
            await websocket.send(await websocket.receive())

    return app


def quart_app() -> ASGI:
    import quart

    app = quart.Quart("bench_ws_quart")

    @app.websocket("/echo")
    async def echo() -> None:
        while True:
            await quart.websocket.send(await quart.websocket.receive())

    return app


def starlette_app() -> ASGI:
    async def echo(ws: WebSocket) -> None:
        await ws.accept()
        try:
            while True:
                await ws.send_text(await ws.receive_text())
        except WebSocketDisconnect:
            pass

    return Starlette(routes=[WebSocketRoute("/echo", echo)])


async def one_round(app: ASGI) -> float:
    """Microseconds per message for ``MESSAGES`` echoes on one connection."""
    to_app: asyncio.Queue[dict[str, Any]] = asyncio.Queue()
    from_app: asyncio.Queue[dict[str, Any]] = asyncio.Queue()
    await to_app.put({"type": "websocket.connect"})

    async def serve() -> None:
        await app(dict(SCOPE), to_app.get, from_app.put)

    task = asyncio.create_task(serve())
    accepted = await from_app.get()
    assert accepted["type"] == "websocket.accept", accepted
    start = time.perf_counter()
    for number in range(MESSAGES):
        await to_app.put({"type": "websocket.receive", "text": str(number)})
        reply = await from_app.get()
        assert reply.get("text") == str(number), reply
    elapsed = time.perf_counter() - start
    await to_app.put({"type": "websocket.disconnect", "code": 1000})
    await asyncio.wait_for(task, 5)
    return elapsed / MESSAGES * 1e6


async def main() -> None:
    apps = {
        "Starlette WebSocket": starlette_app(),
        "Quart": quart_app(),
        "app_framework": framework_app(),
    }
    samples: dict[str, list[float]] = {name: [] for name in apps}
    for app in apps.values():
        await one_round(app)  # warm up
    for _ in range(ROUNDS):
        for name, app in apps.items():
            samples[name].append(await one_round(app))
    print(f"Websocket echo, {MESSAGES:,} messages, median microseconds per message")
    print()
    print("| contender | µs/message |")
    print("|---|---:|")
    for name, values in samples.items():
        print(f"| {name} | {statistics.median(values):.1f} |")


if __name__ == "__main__":
    asyncio.run(main())
