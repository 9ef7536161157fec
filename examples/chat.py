"""A chat room, written as the example to copy: websockets in Quart's
spelling, members who come back after a lost connection and see what they
missed, and every signal of a connection logged in one line.

Start: ``uvicorn examples.chat:app`` (or ``app-framework --app
examples.chat:app run``), then open http://127.0.0.1:8000/chat/lobby in two
browser tabs. A background task archives each message where it was said;
``/archive`` lists them. ``make run-scaled`` runs it on 4 workers, ``make
relay-machines`` on two "machines", sharing one Redis.

What makes it safe to copy:

* the page is a Jinja template (autoescaped), and the room name reaches the
  page's script as JSON, so a room called ``<script>...`` is only text;
* each member follows the room on its own (``follow``): a dead member's
  sending ends alone, never the sender's own connection;
* a tab that lost its connection reconnects with the id of the last
  message it showed and gets each message it missed once, then the new
  ones (from the Redis stream with the relay on: on any worker or machine);
* a member's following ends in a ``finally`` block (``async with``), so a
  view cancelled because its client left (or because the server stops)
  cannot leak.
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import AsyncIterator, Callable
from typing import Any

from app_framework import (
    App,
    Blueprint,
    EventStream,
    ServerSentEvent,
    Websocket,
    WebsocketDisconnected,
    current_app,
    g,
    has_websocket_context,
    last_event_id,
    render_template,
    signals,
    websocket,
)
from app_framework.resume import FollowedMessage, Following, follow, newest_id
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

archive: list[tuple[str, str]] = []


@chat.route("/chat/<room>")
async def page(room: str) -> str:
    # The newest message's id as the page is made: the tab connects with it
    # and so gets everything said from now on, even if it drops before it
    # has heard a message of its own to come back with.
    return await render_template("chat.html", room=room, last_id=await newest_id(said))


@chat.route("/archive")
async def show_archive() -> list[list[str]]:
    return [list(entry) for entry in archive]


async def archive_message(room: str, text: str) -> None:
    """Runs after the send, in its own app context (not the websocket's)."""
    await asyncio.sleep(0)  # stands for a database write
    g.archived = True
    archive.append((room, text))


said = Namespace().signal("chat-said")
"""A message said in a room (kwargs: room, text). Shared durably with the
app's other workers when APP_SIGNAL_RELAY_URL is set: every worker of every
machine reads it from one Redis stream, which also keeps it for members
who come back."""


@said.connect
def archive_once(sender: App, room: str, text: str) -> None:
    """Archive in the worker where the message was said, not in all."""
    if not is_remote():
        sender.add_background_task(archive_message, room, text)


def in_room(room: str) -> Callable[[FollowedMessage], bool]:
    return lambda message: message.kwargs.get("room") == room


def frame(message: FollowedMessage) -> str:
    """What a member receives: the text, and the id to come back with."""
    kwargs = message.kwargs
    return json.dumps(
        {"id": message.id, "room": kwargs["room"], "text": kwargs["text"]}
    )


async def send_each(member: Websocket, messages: Following) -> None:
    """Send the room's messages to one member until it is gone."""
    try:
        async for message in messages:
            await member.send(frame(message))
    except WebsocketDisconnected:
        pass  # its own view is being cancelled: the room goes on


@chat.websocket("/ws/<room>")
async def socket(room: str) -> None:
    """A member: what it missed since ``?last_id=`` (the page passes the id
    of the last message it showed when it reconnects), then every message
    of the room as it is said, each once, in the same order everywhere."""
    # Before accepting: an id that is not one refuses the handshake (400).
    messages = follow(said, after=last_event_id("last_id"), match=in_room(room))
    await websocket.accept()
    me = websocket._get_current_object()  # the connection, not the proxy
    # Leaving the block (the client left and the view is cancelled wherever
    # it waits, or the server stops) stops the sending and the following;
    # should the sending fail, the view fails with it (1011), not silently.
    async with messages, asyncio.TaskGroup() as tasks:
        tasks.create_task(send_each(me, messages))
        while True:
            data = await websocket.receive()
            text = data if isinstance(data, str) else data.decode(errors="replace")
            await said.send_async(
                current_app._get_current_object(), room=room, text=text
            )


@chat.route("/chat/<room>/events")
async def events(room: str) -> EventStream:
    """The room as Server-Sent Events, for clients without websockets: an
    ``EventSource`` that reconnects sends ``Last-Event-ID`` by itself and
    gets what it missed."""
    messages = follow(said, after=last_event_id(), match=in_room(room))

    async def stream() -> AsyncIterator[ServerSentEvent]:
        async with messages:
            async for message in messages:
                yield ServerSentEvent(frame(message), id=message.id)

    return EventStream(stream())


app = App(__name__)
app.config["SECRET_KEY"] = "chat-demo-secret-change-me-in-production-0123456789"
app.config.from_prefixed_env()  # APP_SIGNAL_RELAY_URL: share rooms across workers
app.register_blueprint(chat)
app.context_processor(navigation)  # the header of the shared layout
app.share_signal(said, max_bytes=16_384, durable=True)

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
