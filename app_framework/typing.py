"""Type names for views, hooks and extensions (Quart's ``quart.typing``).

An extension written for Quart imports these names from ``quart.typing``;
after renaming the import it finds the same names here, describing what
this framework accepts: a view may also return a Starlette response or an
async iterable (a streamed body), and ``make_response`` turns each of
these into ``app.response_class``.

The aliases are real objects at run time (not strings), so an extension
may build its own unions from them, as ``quart-schema`` does.
"""

from __future__ import annotations

import os
from collections.abc import (
    AsyncIterable,
    Awaitable,
    Callable,
    Iterator,
    Mapping,
    Sequence,
)
from contextlib import AbstractAsyncContextManager
from types import TracebackType
from typing import TYPE_CHECKING, Any, Protocol, TypeAlias, runtime_checkable

from starlette.responses import Response as StarletteResponse
from starlette.types import Scope
from werkzeug.datastructures import Headers

from .sessions import Session
from .wrappers import Response

if TYPE_CHECKING:
    from .app import App

__all__ = [
    "AfterRequestCallable",
    "AfterServingCallable",
    "AfterWebsocketCallable",
    "AppOrBlueprintKey",
    "BeforeRequestCallable",
    "BeforeServingCallable",
    "BeforeWebsocketCallable",
    "ErrorHandlerCallable",
    "FilePath",
    "HTTPScope",
    "HeaderName",
    "HeaderValue",
    "HeadersValue",
    "ResponseReturnValue",
    "ResponseTypes",
    "ResponseValue",
    "RouteCallable",
    "ShellContextProcessorCallable",
    "StatusCode",
    "TeardownCallable",
    "TemplateContextProcessorCallable",
    "TemplateFilterCallable",
    "TemplateGlobalCallable",
    "TemplateTestCallable",
    "TestClientProtocol",
    "URLDefaultCallable",
    "URLValuePreprocessorCallable",
    "WebsocketCallable",
    "WebsocketScope",
]

HTTPScope: TypeAlias = Scope
"""An HTTP request's ASGI scope (Quart re-exports hypercorn's typed dict)."""

WebsocketScope: TypeAlias = Scope
"""A websocket's ASGI scope."""

FilePath: TypeAlias = str | bytes | os.PathLike[str] | os.PathLike[bytes]
"""A file name, as ``send_file`` and ``open_resource`` take it."""

ResponseTypes: TypeAlias = Response | StarletteResponse
"""What ``after_request`` functions get and return: the app's response
class, or any Starlette response a view returned as is."""

ResponseValue: TypeAlias = (
    ResponseTypes
    | str
    | bytes
    | dict[str, Any]  # sent as JSON
    | list[Any]  # sent as JSON
    | Iterator[str]
    | Iterator[bytes]
    | AsyncIterable[str]
    | AsyncIterable[bytes]
)
"""A view's response body, or a response: what ``make_response`` takes
(a generator, sync or async, is streamed)."""

StatusCode: TypeAlias = int
"""An HTTP status code."""

HeaderName: TypeAlias = str
"""The name of a response header."""

HeaderValue: TypeAlias = str | list[str] | tuple[str, ...]
"""The value of a response header (several values: a list or tuple)."""

HeadersValue: TypeAlias = (
    Headers
    | Mapping[HeaderName, HeaderValue]
    | Sequence[tuple[HeaderName, HeaderValue]]
)
"""Response headers a view returns: werkzeug's ``Headers``, a mapping, or
a list of ``(name, value)`` pairs."""

ResponseReturnValue: TypeAlias = (
    ResponseValue
    | tuple[ResponseValue, StatusCode]
    | tuple[ResponseValue, HeadersValue]
    | tuple[ResponseValue, StatusCode, HeadersValue]
)
"""What a view returns: a body or response, with an optional status
and headers (``return {"id": 1}, 201, {"Location": url}``)."""

AppOrBlueprintKey: TypeAlias = str | None
"""The key of the per-blueprint hook dicts: a blueprint's name, or None
for the app's own hooks (``app.before_request_funcs[None]``)."""

RouteCallable: TypeAlias = (
    Callable[..., ResponseReturnValue] | Callable[..., Awaitable[ResponseReturnValue]]
)
"""An HTTP view (a sync one runs in a worker thread)."""

WebsocketCallable: TypeAlias = (
    Callable[..., ResponseReturnValue | None]
    | Callable[..., Awaitable[ResponseReturnValue | None]]
)
"""A websocket view: it may end with nothing, or with a response refusing
the handshake."""

BeforeRequestCallable: TypeAlias = (
    Callable[[], ResponseReturnValue | None]
    | Callable[[], Awaitable[ResponseReturnValue | None]]
)
"""A ``before_request`` function: a value other than None is the response."""

BeforeWebsocketCallable: TypeAlias = BeforeRequestCallable
"""A ``before_websocket`` function (as ``before_request``)."""

AfterRequestCallable: TypeAlias = (
    Callable[[ResponseTypes], ResponseTypes]
    | Callable[[ResponseTypes], Awaitable[ResponseTypes]]
)
"""An ``after_request`` function: it returns the response (the same or a
new one)."""

AfterWebsocketCallable: TypeAlias = (
    Callable[[ResponseTypes | None], ResponseTypes | None]
    | Callable[[ResponseTypes | None], Awaitable[ResponseTypes | None]]
)
"""An ``after_websocket`` function: it gets the view's response, if any."""

TeardownCallable: TypeAlias = (
    Callable[[BaseException | None], None]
    | Callable[[BaseException | None], Awaitable[None]]
)
"""A ``teardown_request``/``teardown_websocket``/``teardown_appcontext``
function: it gets the unhandled exception, or None."""

ErrorHandlerCallable: TypeAlias = (
    Callable[[Any], ResponseReturnValue]
    | Callable[[Any], Awaitable[ResponseReturnValue]]
)
"""An ``errorhandler`` function: it gets the exception, returns a response."""

BeforeServingCallable: TypeAlias = Callable[[], None] | Callable[[], Awaitable[None]]
"""A ``before_serving`` function (run at server start-up)."""

AfterServingCallable: TypeAlias = BeforeServingCallable
"""An ``after_serving`` function (run at server shutdown)."""

ShellContextProcessorCallable: TypeAlias = Callable[[], dict[str, Any]]
"""A ``shell_context_processor`` function: names for the ``shell`` command."""

TemplateContextProcessorCallable: TypeAlias = (
    Callable[[], dict[str, Any]] | Callable[[], Awaitable[dict[str, Any]]]
)
"""A ``context_processor`` function: names for every template."""

TemplateFilterCallable: TypeAlias = Callable[..., Any]
"""A Jinja filter (``template_filter``)."""

TemplateGlobalCallable: TypeAlias = Callable[..., Any]
"""A Jinja global function (``template_global``)."""

TemplateTestCallable: TypeAlias = Callable[..., bool]
"""A Jinja test (``template_test``)."""

URLDefaultCallable: TypeAlias = Callable[[str, dict[str, Any]], None]
"""A ``url_defaults`` function: ``(endpoint, values)``, changing ``values``."""

URLValuePreprocessorCallable: TypeAlias = Callable[
    [str | None, dict[str, Any] | None], None
]
"""A ``url_value_preprocessor`` function: ``(endpoint, view_args)``."""


@runtime_checkable
class TestClientProtocol(Protocol):
    """What an extension may rely on in ``app.test_client()``, whatever
    :attr:`App.test_client_class` is (``testing.TestClient`` by default).
    Methods return the client's own response class."""

    app: App

    async def open(self, url: Any = "/", **kwargs: Any) -> Any:
        """Send a request (``method=`` as for the client's ``request``)."""

    async def get(self, url: Any = "/", **kwargs: Any) -> Any:
        """Send a GET request."""

    async def head(self, url: Any = "/", **kwargs: Any) -> Any:
        """Send a HEAD request."""

    async def options(self, url: Any = "/", **kwargs: Any) -> Any:
        """Send an OPTIONS request."""

    async def post(self, url: Any = "/", **kwargs: Any) -> Any:
        """Send a POST request."""

    async def put(self, url: Any = "/", **kwargs: Any) -> Any:
        """Send a PUT request."""

    async def patch(self, url: Any = "/", **kwargs: Any) -> Any:
        """Send a PATCH request."""

    async def delete(self, url: Any = "/", **kwargs: Any) -> Any:
        """Send a DELETE request."""

    def session_transaction(
        self, *args: Any, **kwargs: Any
    ) -> AbstractAsyncContextManager[Session]:
        """Open the client's session to read or change it before a request."""

    def websocket(self, path: str, **kwargs: Any) -> Any:
        """A websocket connection to ``path`` (``async with``)."""

    async def __aenter__(self) -> Any:
        """Start the app's lifespan (and keep request contexts to inspect)."""

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> Any:
        """End what ``__aenter__`` started."""
