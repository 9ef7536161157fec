"""A chat room, written as the example to copy: websockets in Quart's
spelling, a broadcast that survives dead connections, and every signal of a
connection logged in one line.

Start: ``uvicorn examples.chat:app`` (or ``app-framework --app
examples.chat:app run``), then open http://127.0.0.1:8000/chat/lobby in two
browser tabs. A background task archives each message after the broadcast;
``/archive`` lists them.

What makes it safe to copy:

* the page is a Jinja template (autoescaped), and the room name reaches the
  page's script as JSON, so a room called ``<script>...`` is only text;
* the broadcast drops a member whose connection is dead
  (``WebsocketDisconnected``) and goes on: one dead member never ends the
  sender's own connection;
* a member leaves the room in a ``finally`` block, so a view cancelled
  because its client left (or because the server stops) cannot leak.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any

from app_framework import (
    App,
    Blueprint,
    Websocket,
    WebsocketDisconnected,
    current_app,
    g,
    has_websocket_context,
    render_template,
    signals,
    websocket,
)
from asignals import Namespace
from asignals.relay import is_remote
from examples.site import navigation

log = logging.getLogger("chat")
if not log.handlers:  # its own lines, whoever else imports this module
    _handler = logging.StreamHandler()
    _handler.setFormatter(
        logging.Formatter("%(asctime)s chat: %(message)s", "%H:%M:%S")
    )
    log.addHandler(_handler)
    log.setLevel(logging.INFO)

chat = Blueprint("chat", __name__)
"""The room's pages and websocket: registered on this module's ``app`` and
on the tour's (``make run``)."""

rooms: dict[str, set[Websocket]] = {}
"""The members of each room (a room with no members is removed)."""
archive: list[tuple[str, str]] = []


@chat.route("/chat/<room>")
async def page(room: str) -> str:
    return await render_template("chat.html", room=room)


@chat.route("/archive")
async def show_archive() -> list[list[str]]:
    return [list(entry) for entry in archive]


async def archive_message(room: str, text: str) -> None:
    """Runs after the broadcast, in its own app context (not the websocket's)."""
    await asyncio.sleep(0)  # stands for a database write
    g.archived = True
    archive.append((room, text))


said = Namespace().signal("chat-said")
"""A message said in a room (kwargs: room, text). Shared with the app's
other workers when APP_SIGNAL_RELAY_URL is set, so everyone hears it."""


@said.connect  # from any app: the one the blueprint serves
async def broadcast(sender: App, room: str, text: str) -> None:
    """Send ``text`` to this worker's members of ``room``; drop the dead ones.
    Runs in every worker: here for a local send, through the relay for one
    made in another worker."""
    members = rooms.get(room, set())
    for member in list(members):
        try:
            await member.send(f"[{room}] {text}")
        except WebsocketDisconnected:
            members.discard(member)  # its own view is being cancelled


@said.connect
def archive_once(sender: App, room: str, text: str) -> None:
    """Archive in the worker where the message was said, not in all."""
    if not is_remote():
        sender.add_background_task(archive_message, room, text)


@chat.websocket("/ws/<room>")
async def socket(room: str) -> None:
    me = websocket._get_current_object()  # the connection, not the proxy
    rooms.setdefault(room, set()).add(me)
    try:
        while True:
            data = await websocket.receive()
            text = data if isinstance(data, str) else data.decode(errors="replace")
            await said.send_async(
                current_app._get_current_object(), room=room, text=text
            )
    finally:
        # Also when the client leaves (the view is cancelled wherever it
        # waits) or the server stops: the room never keeps a dead member.
        members = rooms.get(room, set())
        members.discard(me)
        if not members:
            rooms.pop(room, None)


app = App(__name__)
app.config["SECRET_KEY"] = "chat-demo-secret-change-me-in-production-0123456789"
app.config.from_prefixed_env()  # APP_SIGNAL_RELAY_URL: share rooms across workers
app.register_blueprint(chat)
app.context_processor(navigation)  # the header of the shared layout
app.share_signal(said, max_bytes=16_384, max_age=5.0)

LOGGED = (
    "websocket_started",
    "websocket_received",
    "websocket_finished",
    "got_websocket_exception",
    "websocket_tearing_down",
    "got_background_exception",
    "serving_started",
    "serving_stopping",
)


def _summary(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


def _log_signal(name: str) -> None:
    def receiver(sender: App, **kwargs: Any) -> None:
        details = " ".join(f"{key}={_summary(value)}" for key, value in kwargs.items())
        where = websocket.path if has_websocket_context() else "-"
        log.info("%-24s %s %s", name, where, details)

    getattr(signals, name).connect(receiver, sender=app, weak=False)


for _name in LOGGED:
    _log_signal(_name)
