"""The test client: an ``httpx.AsyncClient`` calling the app in-process,
speaking Flask's and Quart's test-client habits too.

Requests take httpx's arguments and Flask's (``data=`` dict with files,
``query_string=``, ``content_type=``) and Quart's (``form=``, ``files=``);
``json=`` goes through ``app.json``. Responses are httpx responses with
Flask's names on top (``data``, ``get_data()``, ``get_json()``, ``json``,
``location``, ``status``), each also awaitable as in Quart.

Inside ``async with client:`` the last request's contexts stay pushed after
the call, so ``request``, ``session`` and ``g`` can be inspected (Flask's
``with client:``), until the next request or the end of the block.
"""

from __future__ import annotations

import asyncio
import json as jsonlib
from collections.abc import AsyncIterator, Mapping, Sequence
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from types import TracebackType
from typing import TYPE_CHECKING, Any

import httpx
from click.testing import CliRunner, Result
from werkzeug.http import parse_options_header

from ._test_requests import build_body, make_request, make_scope, query_bytes
from ._testing_ws import (
    TestWebsocketConnection,
    WebsocketDisconnectError,
    WebsocketRejected,
    WebsocketResponseError,
    connect,
)
from ._values import ready
from .ctx import preserved_contexts
from .wrappers import Response

if TYPE_CHECKING:
    from .app import App
    from .ctx import RequestContext
    from .sessions import Session

__all__ = [
    "AppCliRunner",
    "TestClient",
    "TestResponse",
    "TestWebsocketConnection",
    "WebsocketDisconnectError",
    "WebsocketRejected",
    "WebsocketResponseError",
    "WebsocketSession",
    "make_request",
    "make_scope",
]

WebsocketSession = TestWebsocketConnection
"""The name ``websocket_connect``'s connections had first."""


class _TestHeaders(httpx.Headers):
    """httpx's headers plus werkzeug's ``getlist``."""

    def getlist(self, key: str) -> list[str]:
        """Every value of ``key`` (werkzeug's name for ``get_list``)."""
        return self.get_list(key)


class TestResponse(httpx.Response):
    """An httpx response with Flask's names; ``get_data()`` and
    ``get_json()`` may also be awaited (Quart's spelling)."""

    __test__ = False
    headers: _TestHeaders

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.headers = _TestHeaders(self.headers)

    @property
    def data(self) -> bytes:
        """The body bytes."""
        return self.content

    def get_data(self, as_text: bool = False) -> Any:
        """The body as bytes (``as_text``: str)."""
        return ready(self.text if as_text else self.content)

    @property
    def mimetype(self) -> str | None:
        """The content type without parameters."""
        value = self.headers.get("content-type")
        return parse_options_header(value)[0].lower() if value else None

    @property
    def content_type(self) -> str | None:
        """The ``Content-Type`` header."""
        value: str | None = self.headers.get("content-type")
        return value

    @property
    def is_json(self) -> bool:
        """Whether the mimetype is JSON."""
        mimetype = self.mimetype or ""
        return mimetype == "application/json" or mimetype.endswith("+json")

    def get_json(self, force: bool = False, silent: bool = False) -> Any:
        """The body parsed as JSON; None when the mimetype is not JSON (unless
        ``force``), as Flask's."""
        if not (force or self.is_json):
            return ready(None)
        try:
            return ready(jsonlib.loads(self.content))
        except ValueError:
            if silent:
                return ready(None)
            raise

    @property
    def json(self) -> Any:
        """The parsed JSON body: ``response.json`` (Flask) and
        ``response.json()`` (httpx) both work. A body that is not JSON gives
        None when its mimetype is not JSON either."""
        if self.is_json:
            return ready(jsonlib.loads(self.content))
        try:
            return ready(jsonlib.loads(self.content))
        except ValueError:
            return ready(None)

    @property
    def location(self) -> str | None:
        """The ``Location`` header."""
        value: str | None = self.headers.get("location")
        return value

    @property
    def status(self) -> str:
        """``"200 OK"``."""
        return f"{self.status_code} {self.reason_phrase.upper()}"


class _Transport(httpx.ASGITransport):
    """httpx's in-process transport, answering with :class:`TestResponse`."""

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        response = await super().handle_async_request(request)
        return TestResponse(
            response.status_code,
            headers=response.headers.raw,
            stream=response.stream,
            extensions=response.extensions,
        )


def _current_task() -> object:
    """The running task object (asyncio's or trio's)."""
    try:
        task = asyncio.current_task()
    except RuntimeError:
        task = None
    if task is not None:
        return task
    import trio

    return trio.lowlevel.current_task()


class TestClient(httpx.AsyncClient):
    """An ``httpx.AsyncClient`` calling the app in-process, keeping cookies.

    ``async with app.test_client() as client:`` also runs the app's start-up
    and shutdown hooks around the block, and keeps each request's contexts
    readable after it (see the module docstring). Unhandled exceptions
    reach the test when ``TESTING`` (or ``PROPAGATE_EXCEPTIONS``) is on.
    """

    __test__ = False  # not a pytest test class

    def __init__(self, app: App, **kwargs: Any) -> None:
        kwargs.setdefault("base_url", "http://localhost")
        super().__init__(transport=_Transport(app=app), **kwargs)
        self.app = app
        self._kept: list[RequestContext] = []
        # The tasks whose 'async with client:' blocks keep contexts, as a
        # stack. Per task, not per context: pytest-asyncio runs a fixture's
        # 'async with' in another task but the same context, and a fixture's
        # client must not keep contexts across the test. The task objects are
        # held (compared by identity): an id could be reused by a later task.
        self._blocks: list[object] = []
        self._lifespan = False

    async def __aenter__(self) -> TestClient:
        if not self._blocks:
            try:
                await super().__aenter__()
            except RuntimeError:
                # Already used without a block (httpx opened it then): keep
                # it open after the block, and run no lifespan around it.
                self._lifespan = False
            else:
                self._lifespan = True
                await self.app.startup()
        self._blocks.append(_current_task())
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None = None,
        exc: BaseException | None = None,
        tb: TracebackType | None = None,
    ) -> None:
        if not self._blocks:  # closed without being entered: nothing ran
            await super().__aexit__(exc_type, exc, tb)
            return
        self._blocks.pop()
        try:
            await self._release()
            if not self._blocks and self._lifespan:
                await self.app.shutdown()
        finally:
            if not self._blocks and self._lifespan:
                await super().__aexit__(exc_type, exc, tb)

    async def _release(self) -> None:
        """Pop the contexts the last request left pushed, newest first."""
        while self._kept:
            ctx = self._kept.pop()
            await ctx.pop(ctx.error)

    async def send(self, request: httpx.Request, **kwargs: Any) -> httpx.Response:
        """Send ``request``, after popping the previous request's contexts;
        inside this task's ``async with client:`` its contexts are kept."""
        await self._release()
        task = _current_task()
        if not any(block is task for block in self._blocks):
            return await super().send(request, **kwargs)
        token = preserved_contexts.set(self._kept)
        try:
            return await super().send(request, **kwargs)
        finally:
            preserved_contexts.reset(token)

    async def request(  # type: ignore[override]
        self,
        method: str,
        url: httpx.URL | str,
        *,
        data: Any = None,
        json: Any = None,
        form: Any = None,
        files: Any = None,
        query_string: Any = None,
        content_type: str | None = None,
        headers: Mapping[str, str] | None = None,
        **kwargs: Any,
    ) -> TestResponse:
        """Make a request; Flask's, Quart's and httpx's arguments all work
        (see the module docstring)."""
        body = build_body(
            self.app,
            data=data,
            json=json,
            form=form,
            files=files,
            content_type=content_type,
        )
        all_headers = {**body.headers, **(headers or {})}
        if body.content is not None:
            kwargs["content"] = body.content
        if query_string is not None:
            url = f"{url}?{query_bytes(query_string).decode()}"
        response = await super().request(method, url, headers=all_headers, **kwargs)
        assert isinstance(response, TestResponse)
        return response

    async def open(self, path: str, method: str = "GET", **kwargs: Any) -> TestResponse:
        """Flask's ``client.open(path, method=...)``."""
        return await self.request(method, path, **kwargs)

    async def get(self, url: httpx.URL | str, **kwargs: Any) -> TestResponse:
        """A GET request."""
        return await self.request("GET", url, **kwargs)

    async def head(self, url: httpx.URL | str, **kwargs: Any) -> TestResponse:
        """A HEAD request."""
        return await self.request("HEAD", url, **kwargs)

    async def options(self, url: httpx.URL | str, **kwargs: Any) -> TestResponse:
        """An OPTIONS request."""
        return await self.request("OPTIONS", url, **kwargs)

    async def post(self, url: httpx.URL | str, **kwargs: Any) -> TestResponse:
        """A POST request."""
        return await self.request("POST", url, **kwargs)

    async def put(self, url: httpx.URL | str, **kwargs: Any) -> TestResponse:
        """A PUT request."""
        return await self.request("PUT", url, **kwargs)

    async def patch(self, url: httpx.URL | str, **kwargs: Any) -> TestResponse:
        """A PATCH request."""
        return await self.request("PATCH", url, **kwargs)

    async def delete(self, url: httpx.URL | str, **kwargs: Any) -> TestResponse:
        """A DELETE request."""
        return await self.request("DELETE", url, **kwargs)

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

    def websocket(
        self,
        path: str,
        *,
        headers: Mapping[str, str] | None = None,
        subprotocols: Sequence[str] | None = None,
    ) -> AbstractAsyncContextManager[TestWebsocketConnection]:
        """Connect to a websocket route in-process (Quart's spelling):
        ``async with client.websocket("/ws/room") as ws:``. The client's
        cookies go with it.

        :raises WebsocketResponseError: the app refused with an HTTP response.
        :raises WebsocketRejected: the app refused by closing.
        """
        all_headers = dict(headers or {})
        cookie = "; ".join(f"{name}={value}" for name, value in self.cookies.items())
        if cookie:
            all_headers.setdefault("cookie", cookie)
        return connect(self.app, path, all_headers, subprotocols)

    def websocket_connect(
        self, path: str, headers: Mapping[str, str] | None = None
    ) -> AbstractAsyncContextManager[TestWebsocketConnection]:
        """:meth:`websocket` (the name this client had first)."""
        return self.websocket(path, headers=headers)


class AppCliRunner(CliRunner):
    """A click ``CliRunner`` for the app's commands:
    ``app.test_cli_runner().invoke(args=["init-db"])``."""

    __test__ = False

    def __init__(self, app: App, **kwargs: Any) -> None:
        self.app = app
        super().__init__(**kwargs)

    def invoke(  # type: ignore[override]
        self, cli: Any = None, args: Any = None, **kwargs: Any
    ) -> Result:
        """Invoke ``cli`` (default: ``app.cli``) with ``args``; commands
        find this app (and run in its app context)."""
        from .cli import ScriptInfo, in_app_context

        if cli is None:
            cli = in_app_context(self.app.cli)
        kwargs.setdefault("obj", ScriptInfo(create_app=lambda: self.app))
        return super().invoke(cli, args, **kwargs)
