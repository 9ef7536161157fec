"""The websocket connection (Quart's ``quart.wrappers.websocket`` path)."""

from __future__ import annotations

from .._websocket import Websocket, WebsocketDisconnected

__all__ = ["Websocket", "WebsocketDisconnected"]
