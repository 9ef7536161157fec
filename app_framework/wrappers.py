"""Request, Response and Websocket: the objects views work with.

(Their code lives in ``_request``, ``_response`` and ``_websocket``; this
module is where Flask code looks for them.)
"""

from __future__ import annotations

from ._request import Body, Connection, NotLoadedError, Request, route_path
from ._response import Response, ResponseHeaders, html_response
from ._websocket import Websocket

__all__ = [
    "Body",
    "Connection",
    "NotLoadedError",
    "Request",
    "Response",
    "ResponseHeaders",
    "Websocket",
    "html_response",
    "route_path",
]
