"""The port of ``quart_chat.py``: its imports renamed, nothing else."""

from __future__ import annotations

import asyncio
from typing import Any

from app_framework import App, abort, render_template_string, websocket

PAGE = """<!doctype html>
<title>#{{ room }}</title>
<h1>#{{ room }}</h1>
<script>const url = {{ url_for("chat", room=room)|tojson }};</script>
"""


class Broker:
    """Each room's listeners: one queue per connection."""

    def __init__(self) -> None:
        self.rooms: dict[str, set[asyncio.Queue[str]]] = {}

    def join(self, room: str) -> asyncio.Queue[str]:
        queue: asyncio.Queue[str] = asyncio.Queue()
        self.rooms.setdefault(room, set()).add(queue)
        return queue

    def leave(self, room: str, queue: asyncio.Queue[str]) -> None:
        listeners = self.rooms.get(room, set())
        listeners.discard(queue)
        if not listeners:
            self.rooms.pop(room, None)

    def publish(self, room: str, message: str) -> None:
        for queue in self.rooms.get(room, ()):
            queue.put_nowait(message)


def create_app() -> App:
    app = App(__name__)
    broker = Broker()
    app.extensions["broker"] = broker

    @app.get("/rooms/<room>")
    async def page(room: str) -> str:
        return await render_template_string(PAGE, room=room)

    @app.websocket("/ws/<room>")
    async def chat(room: str) -> None:
        name = websocket.args.get("name")
        if not name:
            abort(401)
        queue = broker.join(room)
        try:
            await websocket.send_json({"joined": room, "as": name})
            forward = asyncio.ensure_future(_forward(queue))
            try:
                while True:
                    data = await websocket.receive()
                    text = data if isinstance(data, str) else data.decode()
                    broker.publish(room, f"{name}: {text}")
            finally:
                forward.cancel()
        finally:
            broker.leave(room, queue)

    async def _forward(queue: asyncio.Queue[str]) -> Any:
        while True:
            await websocket.send(await queue.get())

    return app
