"""The test client (httpx.AsyncClient on ASGITransport) and made-up requests."""

from __future__ import annotations

import json as jsonlib
from collections.abc import AsyncIterator, Mapping
from contextlib import asynccontextmanager
from types import TracebackType
from typing import TYPE_CHECKING, Any
from urllib.parse import quote

import httpx
from starlette.types import Message

from .wrappers import Response

if TYPE_CHECKING:
    from .app import App
    from .sessions import Session
    from .wrappers import Request

__all__ = ["TestClient"]


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
    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": method.upper(),
        "scheme": "http",
        "server": ("localhost", 80),
        "client": ("127.0.0.1", 12345),
        "root_path": "",
        "path": path,
        "raw_path": quote(path).encode(),
        "query_string": (query_string or query).encode(),
        "headers": [(k.lower().encode(), v.encode()) for k, v in all_headers.items()],
    }
    sent = False

    async def receive() -> Message:
        nonlocal sent
        if sent:
            return {"type": "http.disconnect"}
        sent = True
        return {"type": "http.request", "body": body, "more_body": False}

    return app.request_class(scope, receive, app.config["MAX_CONTENT_LENGTH"])
