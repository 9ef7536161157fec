"""The test client (httpx.AsyncClient on ASGITransport) and made-up requests."""

from __future__ import annotations

import json as jsonlib
from collections.abc import AsyncIterator, Mapping
from contextlib import asynccontextmanager
from types import TracebackType
from typing import TYPE_CHECKING, Any
from urllib.parse import quote

import anyio
import httpx
from anyio.streams.memory import MemoryObjectReceiveStream, MemoryObjectSendStream
from starlette.types import Message
from starlette.websockets import WebSocketDisconnect

from .wrappers import Response

if TYPE_CHECKING:
    from .app import App
    from .sessions import Session
    from .wrappers import Request

__all__ = ["TestClient", "WebsocketRejected", "WebsocketSession"]


class WebsocketRejected(Exception):
    """The app closed the websocket before accepting it (a refused handshake)."""

    def __init__(self, code: int, reason: str) -> None:
        super().__init__(f"websocket refused with code {code}: {reason}")
        self.code = code
        self.reason = reason


class WebsocketSession:
    """The client end of an in-process websocket (see ``websocket_connect``)."""

    def __init__(
        self,
        to_app: MemoryObjectSendStream[Message],
        from_app: MemoryObjectReceiveStream[Message],
    ) -> None:
        self._to_app = to_app
        self._from_app = from_app
        self.close_code: int | None = None
        """The code the app closed with, once it has."""

    async def send(self, data: str | bytes) -> None:
        """Send a text or binary message to the app."""
        key = "text" if isinstance(data, str) else "bytes"
        await self._to_app.send({"type": "websocket.receive", key: data})

    async def send_json(self, data: Any) -> None:
        """Send ``data`` as JSON text."""
        await self.send(jsonlib.dumps(data))

    async def receive(self) -> str | bytes:
        """The app's next message.

        :raises WebSocketDisconnect: the app closed the socket (``.code``).
        """
        message = await self._from_app.receive()
        if message["type"] == "websocket.close":
            self.close_code = message.get("code", 1000)
            raise WebSocketDisconnect(self.close_code, message.get("reason") or "")
        text: str | None = message.get("text")
        if text is not None:
            return text
        data: bytes = message["bytes"]
        return data

    async def receive_json(self) -> Any:
        """The app's next message, parsed as JSON."""
        return jsonlib.loads(await self.receive())

    async def close(self, code: int = 1000) -> None:
        """Leave, as a client does."""
        await self._to_app.send({"type": "websocket.disconnect", "code": code})

    async def leave(self) -> None:
        """Leave unless the app is already done (it may have closed unread)."""
        try:
            await self.close()
        except (anyio.BrokenResourceError, anyio.ClosedResourceError):
            pass


class TestClient(httpx.AsyncClient):
    """An ``httpx.AsyncClient`` calling the app in-process, keeping cookies.

    ``async with app.test_client() as client:`` also runs the app's
    start-up and shutdown hooks around the block. Unhandled exceptions reach
    the test when ``TESTING`` (or ``PROPAGATE_EXCEPTIONS``) is on.
    """

    __test__ = False  # not a pytest test class

    def __init__(self, app: App, **kwargs: Any) -> None:
        kwargs.setdefault("base_url", "http://localhost")
        super().__init__(transport=httpx.ASGITransport(app=app), **kwargs)
        self.app = app
        self._serving = False

    async def __aenter__(self) -> TestClient:
        await super().__aenter__()
        await self.app.startup()
        self._serving = True
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None = None,
        exc: BaseException | None = None,
        tb: TracebackType | None = None,
    ) -> None:
        try:
            if self._serving:
                self._serving = False
                await self.app.shutdown()
        finally:
            await super().__aexit__(exc_type, exc, tb)

    @asynccontextmanager
    async def session_transaction(self, path: str = "/") -> AsyncIterator[Session]:
        """Read and change the session between requests, as the next request
        will see it: ``async with client.session_transaction() as sess:``.

        :raises RuntimeError: the app cannot keep a session (no ``SECRET_KEY``).
        """
        app = self.app
        cookie = "; ".join(f"{name}={value}" for name, value in self.cookies.items())
        headers = {"cookie": cookie} if cookie else {}
        async with app.test_request_context(path, headers=headers) as ctx:
            session = ctx.session
            if app.session_interface.is_null_session(session):
                raise RuntimeError(
                    "The session is unavailable: set app.config['SECRET_KEY']."
                )
            yield session
            response = Response()
            await app.session_interface.save_session(app, session, response)
        reply = httpx.Response(
            200,
            headers=response.raw_headers,
            request=httpx.Request("GET", self.base_url.join(path)),
        )
        self.cookies.extract_cookies(reply)

    @asynccontextmanager
    async def websocket_connect(
        self, path: str, headers: Mapping[str, str] | None = None
    ) -> AsyncIterator[WebsocketSession]:
        """Connect to a websocket route in-process:
        ``async with client.websocket_connect("/ws/room") as ws:``.

        The app runs in a task of its own until the block ends (the client
        then leaves with 1000, unless the app already closed).

        :raises WebsocketRejected: the app refused the connection.
        """
        path, _, query = path.partition("?")
        all_headers = {"host": "localhost", **(headers or {})}
        cookie = "; ".join(f"{name}={value}" for name, value in self.cookies.items())
        if cookie:
            all_headers.setdefault("cookie", cookie)
        scope = make_scope("websocket", path, query, all_headers)
        scope["subprotocols"] = []
        to_app, app_inbox = anyio.create_memory_object_stream[Message](100)
        app_outbox, from_app = anyio.create_memory_object_stream[Message](100)
        refused: WebsocketRejected | None = None
        async with anyio.create_task_group() as group, to_app, from_app:
            group.start_soon(self._run_websocket, scope, app_inbox, app_outbox)
            await to_app.send({"type": "websocket.connect"})
            first = await from_app.receive()
            if first["type"] == "websocket.close":
                # Raised once the app's task has finished, not inside the group.
                code, reason = first.get("code", 1000), first.get("reason") or ""
                refused = WebsocketRejected(code, reason)
            else:
                session = WebsocketSession(to_app, from_app)
                try:
                    yield session
                finally:
                    if session.close_code is None:
                        await session.leave()
        if refused is not None:
            raise refused

    async def _run_websocket(
        self,
        scope: dict[str, Any],
        inbox: MemoryObjectReceiveStream[Message],
        outbox: MemoryObjectSendStream[Message],
    ) -> None:
        async with inbox, outbox:

            async def receive() -> Message:
                try:
                    return await inbox.receive()
                except anyio.EndOfStream:
                    return {"type": "websocket.disconnect", "code": 1000}

            async def send(message: Message) -> None:
                try:
                    await outbox.send(message)
                except (anyio.BrokenResourceError, anyio.ClosedResourceError):
                    raise OSError("the test client left") from None

            await self.app(scope, receive, send)


def make_scope(
    kind: str, path: str, query: str, headers: Mapping[str, str]
) -> dict[str, Any]:
    """An ASGI scope as a server would build it for ``path`` (decoded)."""
    return {
        "type": kind,
        "asgi": {"version": "3.0", "spec_version": "2.4"},
        "http_version": "1.1",
        "scheme": "ws" if kind == "websocket" else "http",
        "server": ("localhost", 80),
        "client": ("127.0.0.1", 12345),
        "root_path": "",
        "path": path,
        "raw_path": quote(path).encode(),
        "query_string": query.encode(),
        "headers": [(k.lower().encode(), v.encode()) for k, v in headers.items()],
    }


def make_request(
    app: App,
    path: str,
    method: str,
    headers: Mapping[str, str] | None,
    query_string: str,
    data: bytes | str,
    json: Any,
) -> Request:
    """A request object for ``app.test_request_context``."""
    path, _, query = path.partition("?")
    body = data.encode() if isinstance(data, str) else data
    all_headers = {"host": "localhost", **(headers or {})}
    if json is not None:
        body = jsonlib.dumps(json).encode()
        all_headers.setdefault("content-type", "application/json")
    if body:
        all_headers["content-length"] = str(len(body))
    scope = make_scope("http", path, query_string or query, all_headers)
    scope["method"] = method.upper()
    sent = False

    async def receive() -> Message:
        nonlocal sent
        if sent:
            return {"type": "http.disconnect"}
        sent = True
        return {"type": "http.request", "body": body, "more_body": False}

    return app.request_class(scope, receive, app.config["MAX_CONTENT_LENGTH"])
