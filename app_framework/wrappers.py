"""Request and Response: Starlette's, plus the names Flask users reach for."""

from __future__ import annotations

import json
from collections.abc import AsyncGenerator, Mapping
from typing import Any, Self

from starlette.background import BackgroundTask
from starlette.datastructures import QueryParams
from starlette.requests import HTTPConnection
from starlette.requests import Request as StarletteRequest
from starlette.responses import Response as StarletteResponse
from starlette.types import Receive, Scope, Send
from starlette.websockets import WebSocket as StarletteWebSocket

from .exceptions import HTTPException
from .signals import websocket_received, websocket_sent

__all__ = ["Connection", "Request", "Response", "Websocket"]


class Connection(HTTPConnection):
    """What requests and websockets share: Flask's names for the matched
    rule and the URL. ``view_args`` and ``endpoint`` are set by routing."""

    view_args: dict[str, Any]
    endpoint: str | None

    def _get_current_object(self) -> Self:
        """This object. Through the ``request``/``websocket`` proxies it gives
        the real object, to keep beyond the current context; defined here so
        that ``websocket._get_current_object()`` type-checks."""
        return self

    @property
    def path(self) -> str:
        """The path, without the query string."""
        path: str = self.scope["path"]
        return path

    @property
    def args(self) -> QueryParams:
        """The parsed query string (``.get(name)``, ``.getlist(name)``)."""
        return self.query_params

    @property
    def blueprint(self) -> str | None:
        """The name of the blueprint whose rule matched, if any."""
        if self.endpoint is None or "." not in self.endpoint:
            return None
        return self.endpoint.rpartition(".")[0]


class Websocket(Connection, StarletteWebSocket):
    """A websocket connection: Starlette's ``WebSocket`` (``accept``,
    ``close``, ``receive_text``...) plus ``receive``/``send`` of plain data
    that send ``websocket_received`` and ``websocket_sent`` when someone
    listens, and ``receive_json``/``send_json`` through them.
    """

    def __init__(self, scope: Scope, receive: Receive, send: Send, app: Any) -> None:
        super().__init__(scope, receive, send)
        self.view_args = {}
        self.endpoint = None
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
        if websocket_received in self._owner.listening:
            await websocket_received.send_async(self._owner, message=data)
        return data

    async def send_data(self, data: str | bytes) -> None:
        """Send a text (``str``) or binary (``bytes``) message."""
        if isinstance(data, str):
            await self.send({"type": "websocket.send", "text": data})
        else:
            await self.send({"type": "websocket.send", "bytes": bytes(data)})
        if websocket_sent in self._owner.listening:
            await websocket_sent.send_async(self._owner, data=data)

    async def receive_json(self, mode: str = "text") -> Any:
        """The next message, parsed as JSON."""
        return json.loads(await self.receive_data())

    async def send_json(self, data: Any, mode: str = "text") -> None:
        """Send ``data`` encoded as JSON text."""
        await self.send_data(json.dumps(data, separators=(",", ":")))


class Request(Connection, StarletteRequest):
    """The incoming request.

    Starlette's ``Request`` (``url``, ``headers``, ``cookies``,
    ``query_params``, ``await body()``, ``stream()``, ``await form()``...)
    with Flask's names on top: ``method``, ``path``, ``args``,
    ``view_args``, ``endpoint``, ``blueprint``, ``await get_data()`` and
    ``await get_json()``. Form data is read with ``await request.form()``.

    ``max_content_length`` (from ``MAX_CONTENT_LENGTH``) is enforced while
    the body streams in: a larger body is refused with 413 as soon as it is
    announced or exceeded, without reading the rest.
    """

    def __init__(
        self, scope: Scope, receive: Receive, max_content_length: int | None = None
    ) -> None:
        super().__init__(scope, receive)
        self.max_content_length = max_content_length
        self.view_args = {}
        self.endpoint = None

    @property
    def mimetype(self) -> str:
        """The content type without parameters, lower-cased."""
        return self.headers.get("content-type", "").split(";")[0].strip().lower()

    @property
    def is_json(self) -> bool:
        """Whether the body is declared as JSON (``application/json`` or ``+json``)."""
        mimetype = self.mimetype
        return mimetype == "application/json" or mimetype.endswith("+json")

    @property
    def content_length(self) -> int | None:
        """The declared body length, or None."""
        value = self.headers.get("content-length")
        return int(value) if value is not None and value.isdigit() else None

    async def stream(self) -> AsyncGenerator[bytes, None]:
        """Yield the body in chunks, refusing with 413 past ``max_content_length``."""
        limit = self.max_content_length
        if limit is None:
            async for chunk in super().stream():
                yield chunk
            return
        declared = self.content_length
        if declared is not None and declared > limit:
            raise _too_large(limit)
        received = 0
        async for chunk in super().stream():
            received += len(chunk)
            if received > limit:
                raise _too_large(limit)
            yield chunk

    async def get_data(self) -> bytes:
        """The whole body as bytes (cached; 413 past ``MAX_CONTENT_LENGTH``)."""
        return await self.body()

    async def get_json(self, force: bool = False, silent: bool = False) -> Any:
        """The body parsed as JSON.

        :param force: Parse whatever the content type says.
        :param silent: Return None instead of raising on a bad body or type.
        :raises HTTPException: 415 when the content type is not JSON and
            ``force`` is off; 400 when the body is not valid JSON.
        """
        if not (force or self.is_json):
            if silent:
                return None
            raise HTTPException(
                415,
                "Did not attempt to load JSON data because the request "
                "Content-Type was not 'application/json'.",
            )
        data = await self.get_data()
        try:
            return json.loads(data)
        except ValueError as exc:
            if silent:
                return None
            raise HTTPException(400, f"Failed to decode JSON object: {exc}") from None


def _too_large(limit: int) -> HTTPException:
    return HTTPException(
        413, f"The request body is larger than the limit of {limit} bytes."
    )


_HTML_TYPE = (b"content-type", b"text/html; charset=utf-8")


class Response(StarletteResponse):
    """An outgoing response: Starlette's, accepting Flask's argument names too.

    ``Response("hi", status=201, mimetype="text/plain")`` and
    ``Response("hi", status_code=201, media_type="text/plain")`` are the same.
    The default type is ``text/html`` as in Flask.
    """

    media_type = "text/html"

    def __init__(
        self,
        content: Any = None,
        status: int | None = None,
        headers: Mapping[str, str] | None = None,
        mimetype: str | None = None,
        *,
        status_code: int | None = None,
        media_type: str | None = None,
        background: BackgroundTask | None = None,
    ) -> None:
        super().__init__(
            content,
            status_code=status_code or status or 200,
            headers=headers,
            media_type=media_type or mimetype,
            background=background,
        )

    @property
    def data(self) -> bytes:
        """The body bytes."""
        return bytes(self.body)

    def get_json(self) -> Any:
        """The body parsed as JSON."""
        return json.loads(bytes(self.body))

    @property
    def mimetype(self) -> str | None:
        """The media type (without parameters)."""
        return self.media_type


def html_response(content: str | bytes | bytearray) -> Response:
    """``Response(content)`` (200, ``text/html``), made in a third of the
    time: what a view returning ``str`` or ``bytes`` gets on every request.
    A test compares the two objects attribute by attribute, so a change in
    how Starlette builds responses cannot go unnoticed."""
    response = Response.__new__(Response)
    body = content.encode() if isinstance(content, str) else bytes(content)
    response.status_code = 200
    response.background = None
    response.body = body
    response.raw_headers = [(b"content-length", str(len(body)).encode()), _HTML_TYPE]
    return response
