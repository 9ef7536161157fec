"""A chat room: websockets, background tasks and their signals.

Start: ``uvicorn examples.chat:app`` (or ``.venv/bin/python -m app_framework run
examples.chat:app``), then open http://127.0.0.1:8000/chat/lobby in two browser
tabs. Every message is broadcast to the room; a background task archives it
after the send. The log shows the websocket, background and serving signals.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any

from starlette.websockets import WebSocketDisconnect

from app_framework import App, Websocket, g, signals, websocket

logging.basicConfig(level=logging.INFO, format="%(levelname)-7s %(name)s: %(message)s")
log = logging.getLogger("chat")

app = App(__name__)
app.config["SECRET_KEY"] = "chat-demo-secret-change-me-in-production-0123456789"

rooms: dict[str, set[Websocket]] = {}
archive: list[tuple[str, str]] = []

for _name in (
    "websocket_started",
    "websocket_received",
    "websocket_finished",
    "got_websocket_exception",
    "websocket_tearing_down",
    "got_background_exception",
    "serving_started",
    "serving_stopping",
):

    def _logger(sender: App, _name: str = _name, **kwargs: Any) -> None:
        log.info("signal %-24s %s", _name, kwargs)

    getattr(signals, _name).connect(_logger, sender=app, weak=False)


PAGE = """<!doctype html><meta charset="utf-8"><title>#{room}</title>
<h1>#{room}</h1><ul id="log"></ul>
<form id="f"><input id="m" autocomplete="off" autofocus><button>Send</button></form>
<script>
const ws = new WebSocket(`ws://${{location.host}}/ws/{room}`);
ws.onmessage = e => {{ const li = document.createElement("li");
  li.textContent = e.data; document.getElementById("log").append(li); }};
document.getElementById("f").onsubmit = e => {{ e.preventDefault();
  const m = document.getElementById("m"); ws.send(m.value); m.value = ""; }};
</script>"""


@app.route("/chat/<room>")
async def page(room: str) -> str:
    return PAGE.format(room=room)


@app.route("/archive")
async def show_archive() -> list[list[str]]:
    return [list(entry) for entry in archive]


async def archive_message(room: str, text: str) -> None:
    """Runs after the broadcast, in its own app context (not the websocket's)."""
    await asyncio.sleep(0)  # stands for a database write
    g.archived = True
    archive.append((room, text))


@app.websocket("/ws/<room>")
async def chat(room: str) -> None:
    await websocket.accept()
    members = rooms.setdefault(room, set())
    connection = websocket._get_current_object()  # the object, not the proxy
    members.add(connection)
    try:
        while True:
            text = await websocket.receive_data()
            line = text if isinstance(text, str) else text.decode(errors="replace")
            for member in list(members):
                await member.send_data(f"[{room}] {line}")
            app.add_background_task(archive_message, room, line)
    except WebSocketDisconnect:
        pass
    finally:
        members.discard(connection)
