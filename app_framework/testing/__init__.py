"""The test client: an ``httpx.AsyncClient`` calling the app in-process,
speaking Flask's and Quart's test-client habits too.

Requests take httpx's arguments and Flask's (``data=`` dict with files,
``query_string=``, ``content_type=``) and Quart's (``form=``, ``files=``);
``json=`` goes through ``app.json``. Responses are httpx responses with
Flask's names on top (``data``, ``get_data()``, ``get_json()``, ``json``,
``status``, and werkzeug's header properties: ``location``, ``vary``,
``retry_after``, ``access_control_allow_origin``...), ``get_data()`` and
``get_json()`` also awaitable as in Quart. A repeated header reads as its
first value (``headers["Retry-After"]``), as werkzeug's does.

Requests are addressed as Flask's client addresses them (``base_url=``,
``subdomain=``, ``url_scheme=``, ``SERVER_NAME``, ``APPLICATION_ROOT``; see
``_test_requests``), with ``client.environ_base`` (the client address and
default headers) under each request's ``environ_base=``.

Inside ``async with client:`` the last request's contexts stay pushed after
the call, so ``request``, ``session`` and ``g`` can be inspected (Flask's
``with client:``), until the next request or the end of the block. The
block does not close the client: it can be entered again, and used after.
"""

from __future__ import annotations

import asyncio
import json as jsonlib
import weakref
from collections.abc import AsyncIterator, Callable, Mapping, Sequence
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from contextvars import ContextVar
from copy import copy
from dataclasses import dataclass, field
from http.cookiejar import CookieJar
from inspect import isawaitable
from types import TracebackType
from typing import TYPE_CHECKING, Any
from urllib.parse import quote

import anyio
import httpx
import werkzeug.test
from click.testing import CliRunner, Result
from starlette.types import Receive, Scope, Send
from werkzeug.datastructures import Authorization
from werkzeug.http import parse_options_header

from .._test_requests import (
    EnvironBuilder,
    Target,
    build_body,
    default_environ_base,
    environ_target,
    make_request,
    make_scope,
    make_test_body_with_headers,
    make_test_headers_path_and_query_string,
    make_test_scope,
    no_op_push,
    query_bytes,
    resolve_target,
    sentinel,
)
from .._values import ready
from ..ctx import preserved_contexts
from ..wrappers._headers import HeaderFields
from ._cookies import (
    LoopbackSecurePolicy,
    apply_cookie_rule,
    cookie_header,
    cookie_to_delete,
    cookie_to_set,
    find_cookie,
    store_cookie,
)
from ._websocket import (
    TestWebsocketConnection,
    WebsocketDisconnectError,
    WebsocketRejected,
    WebsocketResponseError,
    connect,
)

if TYPE_CHECKING:
    from ..app import App
    from ..ctx import RequestContext
    from ..sessions import Session

__all__ = [
    "AppCliRunner",
    "EnvironBuilder",
    "QuartClient",
    "TestApp",
    "TestClient",
    "TestResponse",
    "TestWebsocketConnection",
    "WebsocketDisconnectError",
    "WebsocketRejected",
    "WebsocketResponseError",
    "WebsocketSession",
    "make_request",
    "make_scope",
    "make_test_body_with_headers",
    "make_test_headers_path_and_query_string",
    "make_test_scope",
    "no_op_push",
    "sentinel",
]

WebsocketSession = TestWebsocketConnection
"""The name ``websocket_connect``'s connections had first."""


class _TestHeaders(httpx.Headers):
    """httpx's headers read as werkzeug's (Flask's and Quart's responses):
    ``headers[key]`` and ``get(key)`` give the first of repeated values, not
    httpx's comma-joined line; ``getlist``/``get_all``/``get_list`` give
    them all."""

    def __getitem__(self, key: str) -> str:
        values = self.get_list(key)
        if not values:
            raise KeyError(key)
        return values[0]

    def getlist(self, key: str) -> list[str]:
        """Every value of ``key`` (werkzeug's name for ``get_list``)."""
        return self.get_list(key)

    def get_all(self, key: str) -> list[str]:
        """Every value of ``key`` (werkzeug's older name for ``getlist``)."""
        return self.get_list(key)


class TestResponse(HeaderFields, httpx.Response):
    """An httpx response with Flask's names, werkzeug's header properties
    among them (``access_control_allow_origin``, ``retry_after``, ``vary``,
    ``cache_control``...); ``get_data()`` and ``get_json()`` may also be
    awaited (Quart's spelling)."""

    __test__ = False
    headers: _TestHeaders

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.headers = _TestHeaders(self.headers)

    @property
    def data(self) -> Any:
        """The body bytes (Flask's ``response.data``); awaitable too, for
        Quart's ``await response.data``."""
        return ready(self.content)

    def get_data(self, as_text: bool = False) -> Any:
        """The body as bytes (``as_text``: str)."""
        return ready(self.text if as_text else self.content)

    @property
    def mimetype(self) -> str | None:
        """The content type without parameters."""
        value = self.headers.get("content-type")
        return parse_options_header(value)[0].lower() if value else None

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
    def status(self) -> str:
        """``"200 OK"``."""
        return f"{self.status_code} {self.reason_phrase.upper()}"

    def close(self) -> None:
        """Close the response (werkzeug's ``close()``); the body was read
        already, so this also works on the in-process async stream."""
        if not self.is_closed:
            super().close()


# The scope values of the request the transport is sending (the ASGI scope
# httpx builds has no room for them); set around one request in its task.
_scope_extras: ContextVar[dict[str, Any] | None] = ContextVar(
    "_scope_extras", default=None
)
_SCOPE_EXTENSION = "app_framework.scope"


@dataclass
class _RequestExtras:
    """A request's arguments that Quart's ``_make_request`` step has no
    parameter for: they reach the step beside its arguments, so that an
    override written for Quart, passing on only those, keeps them."""

    base_url: str | None = None
    content_type: str | None = None
    environ_base: Mapping[str, Any] | None = None
    httpx: Mapping[str, Any] = field(default_factory=dict)


_request_extras: ContextVar[_RequestExtras | None] = ContextVar(
    "_request_extras", default=None
)


def _with_auth(
    headers: Mapping[str, str] | None, auth: Any, kwargs: dict[str, Any]
) -> Mapping[str, str] | None:
    """``headers`` with a werkzeug ``Authorization``'s header; any other
    ``auth`` (a user/password pair, an ``httpx.Auth``) goes to httpx."""
    if isinstance(auth, Authorization):
        return {**(headers or {}), "Authorization": auth.to_header()}
    if auth is not None:
        kwargs["auth"] = auth
    return headers


class _Transport(httpx.ASGITransport):
    """httpx's in-process transport, answering with :class:`TestResponse`,
    putting each request's mount point and client address in its scope, and
    the cookies the client's rule allows in its headers."""

    def __init__(self, app: App, jar: Callable[[], httpx.Cookies]) -> None:
        super().__init__(app=self._call)
        self.target = app
        self.jar = jar

    async def _call(self, scope: Scope, receive: Receive, send: Send) -> None:
        extras = _scope_extras.get()
        if extras:
            scope.update(extras)
        await self.target(scope, receive, send)

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        apply_cookie_rule(self.jar(), request)
        token = _scope_extras.set(request.extensions.get(_SCOPE_EXTENSION))
        try:
            response = await super().handle_async_request(request)
        finally:
            _scope_extras.reset(token)
        return TestResponse(
            response.status_code,
            headers=response.headers.raw,
            stream=response.stream,
            extensions=response.extensions,
        )


class _NoCookies(httpx.Cookies):
    """The jar of a client made with ``use_cookies=False``: it keeps nothing."""

    def extract_cookies(self, response: httpx.Response) -> None:
        """Keep no cookie from ``response``."""

    def set(self, name: str, value: str, domain: str = "", path: str = "/") -> None:
        """Keep no cookie."""


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
    """An ``httpx.AsyncClient`` calling the app in-process, keeping cookies
    (unless ``use_cookies=False``).

    ``async with app.test_client() as client:`` also runs the app's start-up
    and shutdown hooks around the block (unless the client was used before
    outside a block), and keeps each request's contexts readable after it
    (see the module docstring). Unhandled exceptions reach the test when
    ``TESTING`` (or ``PROPAGATE_EXCEPTIONS``) is on.

    A ``base_url=`` given here is httpx's (a prefix of every relative URL);
    without one, requests are addressed as Flask's client addresses them.
    """

    __test__ = False  # not a pytest test class

    def __init__(self, app: App, use_cookies: bool = True, **kwargs: Any) -> None:
        self._httpx_base = "base_url" in kwargs
        kwargs.setdefault("base_url", "http://localhost")
        super().__init__(transport=_Transport(app, lambda: self.cookies), **kwargs)
        if "user-agent" not in httpx.Headers(kwargs.get("headers")):
            del self.headers["user-agent"]  # environ_base's goes instead
        self.use_cookies = use_cookies
        if not use_cookies:
            self._cookies = _NoCookies()  # httpx's jar, read through .cookies
        # One cookie rule for requests, websockets and session transactions.
        self.cookies.jar.set_policy(LoopbackSecurePolicy())
        self.app = app
        self.environ_base: dict[str, Any] = default_environ_base()
        """Under every request's ``environ_base=`` (Flask's attribute)."""
        self._kept: list[RequestContext] = []
        # The tasks whose 'async with client:' blocks keep contexts, as a
        # stack. Per task, not per context: pytest-asyncio runs a fixture's
        # 'async with' in another task but the same context, and a fixture's
        # client must not keep contexts across the test. The task objects are
        # held (compared by identity): an id could be reused by a later task.
        self._blocks: list[object] = []
        self._lifespan = False
        self._used_outside = False

    async def __aenter__(self) -> TestClient:
        if not self._blocks:
            # A client already used without a block runs no lifespan around
            # one: the app was serving without its start-up before.
            # Inside 'async with app.test_app():' the app is serving already.
            self._lifespan = not self._used_outside and self.app not in _serving
            if self._lifespan:
                await self.app.startup()
        self._blocks.append(_current_task())
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None = None,
        exc: BaseException | None = None,
        tb: TracebackType | None = None,
    ) -> None:
        # The httpx client stays open: the in-process transport holds nothing
        # to release, and Flask's client is used again after its block.
        if not self._blocks:
            return
        self._blocks.pop()
        await self._release()
        if not self._blocks and self._lifespan:
            await self.app.shutdown()

    async def _release(self) -> None:
        """Pop the contexts the last request left pushed, newest first."""
        while self._kept:
            ctx = self._kept.pop()
            await ctx.pop(ctx.error)

    async def send(self, request: httpx.Request, **kwargs: Any) -> httpx.Response:
        """Send ``request``, after popping the previous request's contexts;
        inside this task's ``async with client:`` its contexts are kept."""
        await self._release()
        if not self._blocks:
            self._used_outside = True
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
        url: httpx.URL | str = "/",
        base_url: str | None = None,
        subdomain: str | None = None,
        url_scheme: str | None = None,
        *,
        data: Any = None,
        json: Any = sentinel,
        form: Any = None,
        files: Any = None,
        query_string: Any = None,
        content_type: str | None = None,
        headers: Mapping[str, str] | None = None,
        environ_base: Mapping[str, Any] | None = None,
        scope_base: Mapping[str, Any] | None = None,
        root_path: str = "",
        http_version: str = "1.1",
        auth: Any = None,
        buffered: bool = False,
        **kwargs: Any,
    ) -> TestResponse:
        """Make a request; Flask's, Quart's and httpx's arguments all work
        (see the module docstring). After the URL, ``base_url``,
        ``subdomain`` and ``url_scheme`` may be given by position, as
        Flask's ``client.get(path, base_url)`` gives them. ``scope_base``
        (Quart's) is merged into the ASGI scope last, e.g. ``{"client":
        ("10.0.0.7", 5000)}``; ``root_path`` and ``http_version`` (Quart's)
        go in the scope too. ``auth`` is a ``(user, password)`` pair, a
        werkzeug ``Authorization`` or an httpx auth. ``buffered`` is
        accepted for Flask's sake: the body is always read whole.

        The request goes through :meth:`_make_request` with Quart's
        arguments, so a subclass (an extension's mixin) may change them."""
        extras = _RequestExtras(base_url, content_type, environ_base, kwargs)
        token = _request_extras.set(extras)
        try:
            return await self._make_request(
                str(url),
                method,
                headers,
                data,
                form,
                files,
                query_string,
                json,
                url_scheme,
                root_path,
                http_version,
                scope_base,
                auth,
                subdomain,
            )
        finally:
            _request_extras.reset(token)

    async def _make_request(
        self,
        path: str,
        method: str,
        headers: Mapping[str, str] | None,
        data: Any,
        form: Any,
        files: Any,
        query_string: Any,
        json: Any,
        scheme: str | None,
        root_path: str,
        http_version: str,
        scope_base: Mapping[str, Any] | None,
        auth: Any = None,
        subdomain: str | None = None,
    ) -> TestResponse:
        """Send one request: the step Quart's client has under the same name
        and arguments, which extensions override to change what is sent
        (quart-schema turns models given as ``json=``/``form=`` into plain
        data, then calls ``super()._make_request``). ``scheme`` None is the
        app's ``PREFERRED_URL_SCHEME``. What Quart's step does not take
        (``base_url``, ``content_type``, ``environ_base``, httpx's own
        arguments) comes from :meth:`request` around it."""
        extras = _request_extras.get() or _RequestExtras()
        kwargs = dict(extras.httpx)
        body = build_body(
            self.app,
            data=data,
            json=json,
            form=form,
            files=files,
            content_type=extras.content_type,
        )
        if body.content is not None:
            kwargs["content"] = body.content
        environ = {**self.environ_base, **(extras.environ_base or {})}
        if self._httpx_base and not (extras.base_url or subdomain or scheme):
            target = resolve_target(self.app, environ_base=environ)
            target.url = path  # relative to the client's base_url
            if query_string is not None:
                kwargs["params"] = query_bytes(query_string).decode()
        else:
            target = resolve_target(
                self.app,
                path,
                base_url=extras.base_url,
                subdomain=subdomain,
                url_scheme=scheme,
                query_string=query_string,
                environ_base=environ,
            )
        if root_path:
            target.root_path = root_path
        target.scope["http_version"] = http_version
        target.scope.update(scope_base or {})
        headers = _with_auth(headers, auth, kwargs)
        return await self._send_to(method, target, body.headers, headers, **kwargs)

    async def _send_to(
        self,
        method: str,
        target: Target,
        body_headers: Mapping[str, str],
        headers: Mapping[str, str] | None,
        **kwargs: Any,
    ) -> TestResponse:
        """Send to ``target``: its default headers give way to the client's
        and the request's, its mount point and address go in the scope."""
        given = httpx.Headers(self.headers)
        given.update(headers or {})
        defaults = {k: v for k, v in target.headers.items() if k not in given}
        extras: dict[str, Any] = {"root_path": target.root_path}
        if target.client is not None:
            extras["client"] = target.client
        extras.update(target.scope)
        extensions = {**kwargs.pop("extensions", {}), _SCOPE_EXTENSION: extras}
        response = await super().request(
            method,
            target.url,
            headers={**defaults, **body_headers, **(headers or {})},
            extensions=extensions,
            **kwargs,
        )
        assert isinstance(response, TestResponse)
        return response

    async def open(
        self,
        path: str | werkzeug.test.EnvironBuilder | Mapping[str, Any] = "/",
        method: str = "GET",
        **kwargs: Any,
    ) -> TestResponse:
        """Flask's ``client.open(path, method=...)``; also sends a werkzeug
        ``EnvironBuilder`` or a WSGI environ dict, as Flask's does."""
        if isinstance(path, str):
            return await self.request(method, path, **kwargs)
        if isinstance(path, werkzeug.test.EnvironBuilder):
            builder = copy(path)
            builder.environ_base = {**self.environ_base, **(path.environ_base or {})}
        else:
            builder = EnvironBuilder.from_environ(
                dict(path), app=self.app, environ_base=dict(self.environ_base)
            )
        method, target, content = environ_target(builder.get_environ())
        target.scope.update(kwargs.pop("scope_base", None) or {})
        return await self._send_to(method, target, {}, None, content=content, **kwargs)

    async def get(
        self, url: httpx.URL | str = "/", *args: Any, **kwargs: Any
    ) -> TestResponse:
        """A GET request (to ``/`` without a URL, as Flask's)."""
        return await self.request("GET", url, *args, **kwargs)

    async def head(
        self, url: httpx.URL | str = "/", *args: Any, **kwargs: Any
    ) -> TestResponse:
        """A HEAD request."""
        return await self.request("HEAD", url, *args, **kwargs)

    async def options(
        self, url: httpx.URL | str = "/", *args: Any, **kwargs: Any
    ) -> TestResponse:
        """An OPTIONS request."""
        return await self.request("OPTIONS", url, *args, **kwargs)

    async def post(
        self, url: httpx.URL | str = "/", *args: Any, **kwargs: Any
    ) -> TestResponse:
        """A POST request."""
        return await self.request("POST", url, *args, **kwargs)

    async def put(
        self, url: httpx.URL | str = "/", *args: Any, **kwargs: Any
    ) -> TestResponse:
        """A PUT request."""
        return await self.request("PUT", url, *args, **kwargs)

    async def patch(
        self, url: httpx.URL | str = "/", *args: Any, **kwargs: Any
    ) -> TestResponse:
        """A PATCH request."""
        return await self.request("PATCH", url, *args, **kwargs)

    async def delete(
        self, url: httpx.URL | str = "/", *args: Any, **kwargs: Any
    ) -> TestResponse:
        """A DELETE request."""
        return await self.request("DELETE", url, *args, **kwargs)

    @asynccontextmanager
    async def session_transaction(
        self, *args: Any, **kwargs: Any
    ) -> AsyncIterator[Session]:
        """Read and change the session between requests, as the next request
        will see it: ``async with client.session_transaction() as sess:``.
        Takes ``app.test_request_context``'s arguments (the session is the
        one that request would send). As Flask's, no context is pushed
        during the block: ``request`` is still whatever it was.

        :raises TypeError: the client was made with ``use_cookies=False``.
        :raises RuntimeError: the app cannot keep a session (no ``SECRET_KEY``).
        """
        self._require_cookies()
        app = self.app
        ctx = app.test_request_context(*args, **kwargs)
        url = self._add_cookies(ctx.request.scope)
        async with ctx:
            session = ctx.session
        if app.session_interface.is_null_session(session):
            raise RuntimeError(
                "Session backend did not open a session: set "
                "app.config['SECRET_KEY'] (the session cookie is signed with it)."
            )
        yield session
        response = app.response_class()
        async with ctx:
            saved = app.session_interface.save_session(app, session, response)
            if isawaitable(saved):
                await saved
        reply = httpx.Response(
            200, headers=response.raw_headers, request=httpx.Request("GET", url)
        )
        self.cookies.extract_cookies(reply)

    def _add_cookies(self, scope: Scope) -> httpx.URL:
        """Give a made-up request's scope the cookies the jar holds for its
        URL (before its headers are read); return the URL."""
        headers: list[tuple[bytes, bytes]] = scope["headers"]
        host = dict(headers).get(b"host", b"localhost").decode("latin-1")
        url = httpx.URL(
            f"{scope['scheme']}://{host}{quote(scope['path'])}",
            query=scope["query_string"],
        )
        cookie = cookie_header(self.cookies, str(url))
        if cookie is not None:
            headers.append((b"cookie", cookie.encode("latin-1")))
        return url

    @property
    def cookie_jar(self) -> CookieJar | None:
        """The jar the cookies are kept in (Quart's attribute: iterating gives
        ``http.cookiejar.Cookie`` objects); None with ``use_cookies=False``."""
        return self.cookies.jar if self.use_cookies else None

    def _cookie_host(self) -> str:
        """The host a cookie set without one is for: where requests go."""
        if self._httpx_base:
            return str(self.base_url.host)
        return str(self.app.config["SERVER_NAME"] or "localhost")

    def _require_cookies(self) -> None:
        if not self.use_cookies:
            raise TypeError(
                "Cookies are disabled. Create a client with 'use_cookies=True'."
            )

    def set_cookie(self, *args: Any, **kwargs: Any) -> None:
        """Put a cookie in the jar, for the next requests to send. Quart's
        ``set_cookie(server_name, key, value="", max_age=None, expires=None,
        path="/", domain=None, secure=False, httponly=False, samesite=None)``
        and Flask's ``set_cookie(key, value="", *, domain=..., origin_only=True,
        path="/", **dump_cookie_options)`` both work; a ``server_name`` or
        ``domain`` of None means the host requests go to. Two positional
        arguments are Quart's ``(server_name, key)`` when the first is plainly
        a host (``localhost``, a dotted name); Flask's ``(key, value)`` is
        refused with what to write instead.

        :raises TypeError: the client was made with ``use_cookies=False``, or
            the arguments fit neither spelling.
        """
        self._require_cookies()
        store_cookie(self.cookies, cookie_to_set(args, kwargs, self._cookie_host()))

    def delete_cookie(self, *args: Any, **kwargs: Any) -> None:
        """Remove a cookie from the jar: Quart's ``delete_cookie(server_name,
        key, path="/", domain=None)`` or Flask's ``delete_cookie(key, *,
        domain=..., path="/")``.

        :raises TypeError: the client was made with ``use_cookies=False``, or
            the arguments fit neither spelling.
        """
        self._require_cookies()
        store_cookie(self.cookies, cookie_to_delete(args, kwargs, self._cookie_host()))

    def get_cookie(
        self, key: str, domain: str | None = None, path: str = "/"
    ) -> werkzeug.test.Cookie | None:
        """The cookie ``key`` the jar holds for ``domain`` (default: the host
        requests go to) and ``path``, as Flask's ``client.get_cookie`` gives
        it (``.value``, ``.expires``, ``.secure``...); None if there is none.

        :raises TypeError: the client was made with ``use_cookies=False``.
        """
        self._require_cookies()
        return find_cookie(self.cookies, key, domain or self._cookie_host(), path)

    def websocket(
        self,
        path: str,
        *,
        headers: Mapping[str, str] | None = None,
        subprotocols: Sequence[str] | None = None,
        scope_base: Mapping[str, Any] | None = None,
    ) -> AbstractAsyncContextManager[TestWebsocketConnection]:
        """Connect to a websocket route in-process (Quart's spelling):
        ``async with client.websocket("/ws/room") as ws:``, to the host
        requests go to. The cookies a request to that URL would send go
        with it (the same rule: domain, path, Secure). ``scope_base``
        (Quart's) is merged into the ASGI scope last.

        :raises WebsocketResponseError: the app refused with an HTTP response.
        :raises WebsocketRejected: the app refused by closing.
        """
        all_headers = {k.lower(): v for k, v in (headers or {}).items()}
        host = all_headers.setdefault("host", self._cookie_host())
        cookie = cookie_header(self.cookies, f"ws://{host}{path}")
        if cookie is not None:
            all_headers.setdefault("cookie", cookie)
        return connect(self.app, path, all_headers, subprotocols, scope_base)

    def websocket_connect(
        self, path: str, headers: Mapping[str, str] | None = None
    ) -> AbstractAsyncContextManager[TestWebsocketConnection]:
        """:meth:`websocket` (the name this client had first)."""
        return self.websocket(path, headers=headers)


# The apps inside an 'async with app.test_app():' block: they are serving,
# so a test client's block must not start them again.
_serving: weakref.WeakSet[App] = weakref.WeakSet()


QuartClient = TestClient
"""Quart's name for the test client class (``app.test_client_class``)."""


class TestApp:
    """The app serving for the length of a test, as Quart's ``TestApp``:
    ``async with app.test_app() as test_app:`` runs the start-up
    (``before_serving`` hooks, ``serving_started``) on entry and the
    shutdown (``after_serving``...) on exit, even when the block fails; a
    failing hook's exception is raised as it is. Clients made inside the
    block (``test_app.test_client()`` or ``app.test_client()``) run no
    lifespan of their own.

    :param startup_timeout: seconds the start-up may take (TimeoutError).
    :param shutdown_timeout: seconds the shutdown may take (TimeoutError).
    """

    __test__ = False

    def __init__(
        self, app: App, startup_timeout: float = 6, shutdown_timeout: float = 6
    ) -> None:
        self.app = app
        self.startup_timeout = startup_timeout
        self.shutdown_timeout = shutdown_timeout

    def test_client(self, use_cookies: bool = True, **kwargs: Any) -> TestClient:
        """The app's test client (``app.test_client()``)."""
        return self.app.test_client(use_cookies=use_cookies, **kwargs)

    async def startup(self) -> None:
        """Start the app serving, as a server's lifespan start-up does."""
        with anyio.fail_after(self.startup_timeout):
            await self.app.startup()
        _serving.add(self.app)

    async def shutdown(self) -> None:
        """Stop the app serving, as a server's lifespan shutdown does."""
        _serving.discard(self.app)
        with anyio.fail_after(self.shutdown_timeout):
            await self.app.shutdown()

    async def __aenter__(self) -> TestApp:
        await self.startup()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None = None,
        exc: BaseException | None = None,
        tb: TracebackType | None = None,
    ) -> None:
        await self.shutdown()


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
        from ..cli import ScriptInfo, in_app_context

        if cli is None:
            cli = in_app_context(self.app.cli)
        kwargs.setdefault("obj", ScriptInfo(create_app=lambda: self.app))
        return super().invoke(cli, args, **kwargs)
