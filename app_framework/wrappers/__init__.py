"""Request, Response and Websocket: the objects views work with.

``app_framework.wrappers`` is where Flask code looks for them;
``wrappers.request``, ``wrappers.response`` and ``wrappers.websocket`` are
Quart's paths. (Their code lives in ``_request``, ``_response`` and
``_websocket``.)
"""

from __future__ import annotations

from ._connection import Connection, route_path
from .request import Body, NotLoadedError, Request
from .response import Response, ResponseHeaders, html_response
from .websocket import Websocket, WebsocketDisconnected

__all__ = [
    "Body",
    "Connection",
    "NotLoadedError",
    "Request",
    "Response",
    "ResponseHeaders",
    "Websocket",
    "WebsocketDisconnected",
    "html_response",
    "route_path",
]
