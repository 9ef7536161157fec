"""The test client's websockets: Quart's ``client.websocket(path)``.

``async with client.websocket("/ws") as ws:`` runs the app's websocket in a
task of its own until the block ends (the client then leaves with 1000,
unless the app closed first). ``ws.send``, ``receive``, ``send_json``,
``receive_json`` and ``close`` talk to it.

A refused handshake is reported as Quart reports it: the block is entered,
and the first ``receive()`` raises (or, if none does, the end of the block):
:class:`WebsocketResponseError` for an HTTP response (its status, headers
and body, as the ASGI websocket denial response carries them),
:class:`WebsocketRejected` for a refusal by close code. So both
``try: async with ...`` around the block and ``pytest.raises`` around a
``receive()`` inside it work."""

from __future__ import annotations

import json as jsonlib
from collections.abc import AsyncIterator, Mapping, Sequence
from contextlib import asynccontextmanager
from typing import TYPE_CHECKING, Any

import anyio
from anyio.streams.memory import MemoryObjectReceiveStream, MemoryObjectSendStream
from starlette.types import Message
from starlette.websockets import WebSocketDisconnect

from .._test_requests import make_scope
from ..ctx import preserved_contexts

if TYPE_CHECKING:
    from ..app import App

__all__ = [
    "TestWebsocketConnection",
    "WebsocketDisconnectError",
    "WebsocketRejected",
    "WebsocketResponseError",
    "connect",
]

WebsocketDisconnectError = WebSocketDisconnect
"""Raised by ``receive()`` once the app has closed (``.code``, ``.reason``)."""


class WebsocketRejected(Exception):
    """The app closed the websocket before accepting it (a refused handshake
    with no HTTP response)."""

    def __init__(self, code: int, reason: str) -> None:
        super().__init__(f"websocket refused with code {code}: {reason}")
        self.code = code
        self.reason = reason


class WebsocketResponseError(Exception):
    """The app refused the handshake with an HTTP response (Quart's error of
    the same name): ``status_code``, ``headers``, ``data``/``text``."""

    def __init__(
        self, status_code: int, headers: list[tuple[bytes, bytes]], body: bytes
    ) -> None:
        super().__init__(f"websocket refused with HTTP {status_code}: {body[:200]!r}")
        self.status_code = status_code
        self.headers = {k.decode("latin-1"): v.decode("latin-1") for k, v in headers}
        self.data = body
        self.response = self  # Quart's spelling: error.response.status_code

    @property
    def text(self) -> str:
        """The body, decoded."""
        return self.data.decode("utf-8", "replace")


class TestWebsocketConnection:
    """The client end of an in-process websocket."""

    __test__ = False

    def __init__(
        self,
        to_app: MemoryObjectSendStream[Message],
        from_app: MemoryObjectReceiveStream[Message],
        reply: Message | WebsocketRejected | WebsocketResponseError,
    ) -> None:
        self._to_app = to_app
        self._from_app = from_app
        self.refusal: WebsocketRejected | WebsocketResponseError | None = None
        """How the app refused the handshake, if it did."""
        self._refusal_reported = False
        accepted: Message = {}
        if isinstance(reply, Exception):
            self.refusal = reply
        else:
            accepted = reply
        self.subprotocol: str | None = accepted.get("subprotocol")
        """The subprotocol the app accepted with."""
        self.accept_headers = {
            k.decode("latin-1"): v.decode("latin-1")
            for k, v in accepted.get("headers") or ()
        }
        """The headers the app accepted with."""
        self.close_code: int | None = None
        """The code the app closed with, once it has."""
        self.close_reason = ""

    async def send(self, data: str | bytes) -> None:
        """Send a text (``str``) or binary (``bytes``) message to the app
        (after a refused handshake, the message goes nowhere, as in Quart;
        ``receive()`` says why)."""
        if self.refusal is not None:
            return
        key = "text" if isinstance(data, str) else "bytes"
        await self._to_app.send({"type": "websocket.receive", key: data})

    async def send_json(self, data: Any) -> None:
        """Send ``data`` as JSON text."""
        await self.send(jsonlib.dumps(data))

    async def receive(self) -> str | bytes:
        """The app's next message: ``str`` (text) or ``bytes`` (binary).

        :raises WebsocketDisconnectError: the app closed (``.code``).
        :raises WebsocketResponseError: the app refused the handshake with
            an HTTP response.
        :raises WebsocketRejected: the app refused it with a close code.
        """
        if self.refusal is not None:
            self._refusal_reported = True
            raise self.refusal
        message = await self._from_app.receive()
        if message["type"] == "websocket.close":
            self.close_code = message.get("code", 1000)
            self.close_reason = message.get("reason") or ""
            raise WebSocketDisconnect(self.close_code, self.close_reason)
        text: str | None = message.get("text")
        if text is not None:
            return text
        data: bytes = message["bytes"]
        return data

    async def receive_json(self) -> Any:
        """The app's next message, parsed as JSON."""
        return jsonlib.loads(await self.receive())

    async def close(self, code: int = 1000) -> None:
        """Leave, as a client does (the app's view is cancelled)."""
        await self._to_app.send({"type": "websocket.disconnect", "code": code})

    async def abort(self) -> None:
        """Vanish without a close frame, as a client whose network died.

        Like a half-open TCP connection: the app's next send to this
        connection fails (the server raises ``OSError``), while its receive
        goes on waiting until the connection is closed.
        """
        await self._from_app.aclose()

    def unreported_refusal(self) -> Exception | None:
        """The refusal, if no ``receive()`` has raised it yet."""
        return None if self._refusal_reported else self.refusal

    async def leave(self) -> None:
        """Leave unless the app is already done."""
        if self.refusal is not None:
            return
        try:
            await self.close()
        except (anyio.BrokenResourceError, anyio.ClosedResourceError):
            pass


async def _first_reply(
    from_app: MemoryObjectReceiveStream[Message],
) -> Message | WebsocketRejected | WebsocketResponseError:
    first = await from_app.receive()
    kind = first["type"]
    if kind == "websocket.close":
        return WebsocketRejected(first.get("code", 1000), first.get("reason") or "")
    if kind == "websocket.http.response.start":
        body = b""
        async for message in from_app:
            body += message.get("body", b"")
            if not message.get("more_body", False):
                break
        return WebsocketResponseError(first["status"], first.get("headers") or [], body)
    return first


@asynccontextmanager
async def connect(
    app: App,
    path: str,
    headers: Mapping[str, str],
    subprotocols: Sequence[str] | None,
    scope_base: Mapping[str, Any] | None = None,
) -> AsyncIterator[TestWebsocketConnection]:
    """Connect to a websocket route of ``app`` in-process (see the module
    docstring); ``scope_base`` is merged into the scope last."""
    path, _, query = path.partition("?")
    scope = make_scope("websocket", path, query, {"host": "localhost", **headers})
    scope["subprotocols"] = list(subprotocols or ())
    scope["extensions"] = {"websocket.http.response": {}}
    scope.update(scope_base or {})
    to_app, app_inbox = anyio.create_memory_object_stream[Message](100)
    app_outbox, from_app = anyio.create_memory_object_stream[Message](100)
    try:
        async with anyio.create_task_group() as group, to_app, from_app:
            group.start_soon(_run_app, app, scope, app_inbox, app_outbox)
            await to_app.send({"type": "websocket.connect"})
            first = await _first_reply(from_app)
            connection = TestWebsocketConnection(to_app, from_app, first)
            try:
                yield connection
            finally:
                if connection.close_code is None:
                    await connection.leave()
    except BaseExceptionGroup as group:
        # One error (the app's, when testing propagates it): raise it as it
        # is, not wrapped in a group, as a request's error reaches a test.
        if len(group.exceptions) == 1:
            raise group.exceptions[0] from None
        raise
    refused = connection.unreported_refusal()
    if refused is not None:  # the block never asked: its end says it
        raise refused


async def _run_app(
    app: App,
    scope: dict[str, Any],
    inbox: MemoryObjectReceiveStream[Message],
    outbox: MemoryObjectSendStream[Message],
) -> None:
    async with inbox, outbox:

        async def receive() -> Message:
            try:
                return await inbox.receive()
            except anyio.EndOfStream:
                return {"type": "websocket.disconnect", "code": 1006}

        async def send(message: Message) -> None:
            try:
                await outbox.send(message)
            except (anyio.BrokenResourceError, anyio.ClosedResourceError):
                raise OSError("the test client left") from None

        token = preserved_contexts.set(None)  # websockets end in their task
        try:
            await app(scope, receive, send)
        finally:
            preserved_contexts.reset(token)
