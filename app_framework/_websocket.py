"""The websocket connection: Flask's request data plus websocket messages."""

from __future__ import annotations

import json
from typing import Any

from starlette.types import Receive, Scope, Send
from starlette.websockets import WebSocket as StarletteWebSocket

from ._request import Connection
from .signals import emit, websocket_received, websocket_sent

__all__ = ["Websocket"]


class Websocket(Connection, StarletteWebSocket):  # type: ignore[misc]
    """A websocket connection: the request data of :class:`Connection`
    (``args``, ``headers``, ``cookies``, ``path``...) and Starlette's
    ``WebSocket`` (``accept``, ``close``, ``receive_text``...), plus
    ``receive_data``/``send_data`` of plain data that send
    ``websocket_received`` and ``websocket_sent`` when someone listens, and
    ``receive_json``/``send_json`` through them.
    """

    def __init__(self, scope: Scope, receive: Receive, send: Send, app: Any) -> None:
        StarletteWebSocket.__init__(self, scope, receive, send)
        self._owner = app  # the sender of its signals

    async def receive_data(self) -> str | bytes:
        """The next message's text or bytes.

        :raises starlette.websockets.WebSocketDisconnect: the client left.
        """
        message = await self.receive()
        self._raise_on_disconnect(message)
        data: str | bytes = (
            message["text"] if message.get("text") is not None else message["bytes"]
        )
        await emit(self._owner, websocket_received, message=data)
        return data

    async def send_data(self, data: str | bytes) -> None:
        """Send a text (``str``) or binary (``bytes``) message."""
        if isinstance(data, str):
            await self.send({"type": "websocket.send", "text": data})
        else:
            await self.send({"type": "websocket.send", "bytes": bytes(data)})
        await emit(self._owner, websocket_sent, data=data)

    async def receive_json(self, mode: str = "text") -> Any:
        """The next message, parsed as JSON."""
        return json.loads(await self.receive_data())

    async def send_json(self, data: Any, mode: str = "text") -> None:
        """Send ``data`` encoded as JSON text."""
        await self.send_data(json.dumps(data, separators=(",", ":")))
