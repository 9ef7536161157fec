"""The incoming request, on werkzeug's sans-IO request.

werkzeug's ``sansio.Request`` gives Flask's exact meaning to ``args``,
``cookies``, ``url``, ``host``, ``authorization``, ``accept_mimetypes``,
``access_route`` and the rest. Here its inputs (method, path, headers...)
are read lazily from the ASGI scope, so a request pays only for what it
touches; the body is read from ASGI ``receive`` on demand and cached.
"""

from __future__ import annotations

from collections.abc import AsyncGenerator, AsyncIterator, Generator, MutableMapping
from typing import TYPE_CHECKING, Any, Self
from urllib.parse import parse_qsl

import anyio
from werkzeug.datastructures import Headers
from werkzeug.http import parse_options_header
from werkzeug.sansio.http import parse_cookie
from werkzeug.sansio.request import Request as _SansIORequest
from werkzeug.sansio.utils import get_host
from werkzeug.utils import cached_property

from ._contextvars import _cv_app
from ._values import NotLoadedError, Pending, ReadyBytes, ReadyCombined, ready
from .exceptions import BadRequest, ClientDisconnected, RequestEntityTooLarge
from .formparser import FORM_MIMETYPES, FormLimits, empty_form, parse_form

if TYPE_CHECKING:
    from ._values import ReadyMultiDict
    from .routing import Rule

__all__ = ["Body", "Connection", "NotLoadedError", "Request"]


def route_path(scope: MutableMapping[str, Any]) -> str:
    """The path below the mount point: ASGI puts ``root_path`` in front of
    ``path``, and rules (and ``request.path``) do not include it."""
    path: str = scope["path"]
    root: str = scope.get("root_path", "")
    if root and path.startswith(root):
        rest = path[len(root) :]
        if not rest or rest.startswith("/"):
            return rest or "/"
    return path


class Connection(_SansIORequest):
    """What HTTP requests and websockets share: the URL, headers, cookies,
    query string and the matched rule, with Flask's names and meanings.

    Reads the ASGI ``scope`` on demand (werkzeug's constructor is skipped:
    its inputs are properties here).
    """

    url_rule: Rule | None = None
    """The rule that matched, or None."""
    view_args: dict[str, Any] | None = None
    """The values the matched rule took from the path."""
    routing_exception: Exception | None = None
    """The 404, 405 or redirect routing decided on, if no rule matched."""
    _form: tuple[ReadyMultiDict, ReadyMultiDict] | None = None

    def __init__(self, scope: MutableMapping[str, Any], receive: Any = None) -> None:
        self.scope = scope
        self._receive = receive

    def _get_current_object(self) -> Self:
        """This object (through a proxy: the real object, to keep)."""
        return self

    def _close_uploads(self) -> None:
        """Close the uploaded files (called when the request is torn down)."""
        form = self._form
        if form is not None:
            for _, storage in form[1].items(multi=True):
                storage.close()

    # -- werkzeug's inputs, from the scope -----------------------------------

    @property
    def method(self) -> str:  # type: ignore[override]
        """The HTTP method, upper-case."""
        method: str = self.scope.get("method", "GET")
        return method

    @property
    def scheme(self) -> str:  # type: ignore[override]
        """``http``, ``https``, ``ws`` or ``wss``."""
        scheme: str = self.scope.get("scheme", "http")
        return scheme

    @property
    def server(self) -> tuple[str, int | None] | None:  # type: ignore[override]
        """The server's ``(host, port)``, if the server said."""
        server = self.scope.get("server")
        return (server[0], server[1]) if server else None

    @property
    def root_path(self) -> str:  # type: ignore[override]
        """The mount point (no trailing slash); URLs built here start with it."""
        root: str = self.scope.get("root_path", "")
        return root.rstrip("/")

    @cached_property
    def path(self) -> str:
        """The path below the mount point, as Flask and Quart have it."""
        return route_path(self.scope)

    @property
    def query_string(self) -> bytes:  # type: ignore[override]
        """The raw query string."""
        query: bytes = self.scope.get("query_string", b"")
        return query

    @cached_property
    def headers(self) -> Headers:
        """The request headers (werkzeug ``Headers``: case-insensitive,
        ``get(key, default, type=)``, ``getlist``)."""
        return Headers(
            [
                (k.decode("latin-1"), v.decode("latin-1"))
                for k, v in self.scope["headers"]
            ]
        )

    @property
    def remote_addr(self) -> str | None:  # type: ignore[override]
        """The client's address, as the server saw it."""
        client = self.scope.get("client")
        return client[0] if client else None

    def _header(self, name: bytes) -> str | None:
        """One header's first value, without building ``headers``."""
        for key, value in self.scope["headers"]:
            if key == name:
                decoded: str = value.decode("latin-1")
                return decoded
        return None

    # -- cheaper versions of werkzeug's, for what every request may touch ----

    @cached_property
    def cookies(self) -> Any:
        """The request's cookies (an immutable multi-dict)."""
        raw = b";".join(v for k, v in self.scope["headers"] if k == b"cookie")
        # Cookies are UTF-8 in practice; broken bytes are replaced, not a 500.
        return parse_cookie(raw.decode("utf-8", "replace"), cls=self.dict_storage_class)

    @cached_property
    def host(self) -> str:
        """The host (and non-standard port) the request was made to,
        checked against ``trusted_hosts``.

        :raises SecurityError: the host is not trusted (a 400).
        """
        return get_host(
            self.scheme, self._header(b"host"), self.server, self.trusted_hosts
        )

    @property
    def content_type(self) -> str | None:  # type: ignore[override]
        """The ``Content-Type`` header."""
        return self._header(b"content-type")

    @cached_property
    def _content_type_parts(self) -> tuple[str, dict[str, str]]:
        return parse_options_header(self._header(b"content-type") or "")

    @property
    def mimetype(self) -> str:
        """The content type without parameters, lower-cased."""
        return self._content_type_parts[0].lower()

    @property
    def mimetype_params(self) -> dict[str, str]:
        """The content type's parameters (``{"charset": "utf-8"}``)."""
        return self._content_type_parts[1]

    @cached_property
    def content_length(self) -> int | None:
        """The declared body length; None when not given or chunked.

        :raises BadRequest: a malformed ``Content-Length`` (a 400).
        """
        value = self._header(b"content-length")
        if value is None:
            return None
        text = value.strip()
        # str.isdigit() accepts '²' and other non-ASCII digits: not a length.
        if not (text.isascii() and text.isdigit()):
            raise BadRequest(f"The Content-Length header {value!r} is not a length.")
        return int(text)

    @cached_property
    def args(self) -> Any:
        """The parsed query string (an immutable multi-dict; a missing key
        is a 400). Raw non-UTF-8 bytes are replaced rather than a 500."""
        text = self.query_string.decode("utf-8", "replace")
        return self.parameter_storage_class(
            parse_qsl(text, keep_blank_values=True, errors="werkzeug.url_quote")
        )

    @cached_property
    def full_path(self) -> str:
        """The path and the query string (``/page?x=1``)."""
        return f"{self.path}?{self.query_string.decode('utf-8', 'replace')}"

    # -- Flask's names for routing results -----------------------------------

    @property
    def endpoint(self) -> str | None:
        """The endpoint of the matched rule, or None."""
        rule = self.url_rule
        return rule.endpoint if rule is not None else None

    @property
    def blueprint(self) -> str | None:
        """The (dotted, for nested) name of the blueprint whose rule matched."""
        endpoint = self.endpoint
        if endpoint is not None and "." in endpoint:
            return endpoint.rpartition(".")[0]
        return None

    @property
    def blueprints(self) -> list[str]:
        """The matched blueprint and its parents, innermost first."""
        name = self.blueprint
        if name is None:
            return []
        parts = name.split(".")
        return [".".join(parts[:i]) for i in range(len(parts), 0, -1)]

    @property
    def url_root(self) -> str:
        """Flask's name for ``root_url``: scheme, host and mount point."""
        return self.root_url


class Body:
    """``request.body``: ``await request.body`` (Quart), ``await
    request.body()`` (Starlette) or ``async for chunk in request.body``."""

    __slots__ = ("_request",)

    def __init__(self, request: Request) -> None:
        self._request = request

    def __await__(self) -> Generator[Any, None, bytes]:
        return self._request._read_body().__await__()

    def __call__(self) -> Body:
        return self

    def __aiter__(self) -> AsyncIterator[bytes]:
        return self._request.stream()


class Request(Connection):
    """The HTTP request: werkzeug's request with Quart's awaitable body.

    Read the body with ``await request.get_data()``, ``await request.form``,
    ``await request.files``, ``await request.values``, ``await
    request.json``, ``await request.get_json()`` or ``await request.body``.
    Once it is read, the same names work without ``await`` (in templates
    too); before, using them without ``await`` raises
    :class:`NotLoadedError` saying what to write.

    ``max_content_length`` (``MAX_CONTENT_LENGTH``) caps the bytes read into
    memory: a larger body is refused with 413 as soon as it is announced or
    exceeded, without reading the rest.
    """

    _body: bytes | None = None
    _json: dict[bool, Any] | None = None
    _stream_consumed = False
    _disconnected = False

    def __init__(
        self,
        scope: MutableMapping[str, Any],
        receive: Any,
        max_content_length: int | None = None,
    ) -> None:
        self.scope = scope
        self._receive = receive
        self.max_content_length = max_content_length

    def close(self) -> None:
        """Close the uploaded files (werkzeug's name; done at teardown)."""
        self._close_uploads()

    @property
    def receive(self) -> Any:
        """The ASGI ``receive`` callable (for code that reads the body raw)."""
        return self._receive

    # -- limits --------------------------------------------------------------

    def _config(self, key: str, default: Any) -> Any:
        ctx = _cv_app.get(None)
        return ctx.app.config.get(key, default) if ctx is not None else default

    @property
    def max_form_memory_size(self) -> int | None:
        """``MAX_FORM_MEMORY_SIZE``: the most bytes of a non-file form field."""
        value: int | None = self._config("MAX_FORM_MEMORY_SIZE", 500_000)
        return value

    @property
    def max_form_parts(self) -> int | None:
        """``MAX_FORM_PARTS``: the most fields and files in a form."""
        value: int | None = self._config("MAX_FORM_PARTS", 1_000)
        return value

    # -- reading the body ----------------------------------------------------

    def _has_no_body(self) -> bool:
        """True when HTTP/1 framing says there is no body (no length and not
        chunked, or a zero length): nothing to wait for."""
        if self._body is not None:
            return False
        length = self.content_length
        if length == 0:
            return True
        return (
            length is None
            and self._header(b"transfer-encoding") is None
            and self.scope.get("http_version", "1.1").startswith("1")
        )

    async def stream(self) -> AsyncGenerator[bytes, None]:
        """Yield the body in chunks as they arrive (the cached body, if it
        was read already).

        :raises RequestEntityTooLarge: past ``max_content_length``.
        :raises ClientDisconnected: the client left mid-body.
        """
        if self._body is not None:
            yield self._body
            return
        if self._stream_consumed:
            raise RuntimeError(
                "The request body was already read as a stream; read it with "
                "'await request.get_data()' first to keep a copy."
            )
        self._stream_consumed = True
        limit = self.max_content_length
        declared = self.content_length
        if limit is not None and declared is not None and declared > limit:
            raise _too_large(limit)
        received = 0
        while True:
            message = await self._receive()
            if message["type"] == "http.disconnect":
                self._disconnected = True
                raise ClientDisconnected()
            chunk: bytes = message.get("body", b"")
            if chunk:
                received += len(chunk)
                if limit is not None and received > limit:
                    raise _too_large(limit)
                yield chunk
            if not message.get("more_body", False):
                return

    async def is_disconnected(self) -> bool:
        """Whether the client has gone (Starlette's name): looks at the
        next ASGI message without waiting. Before a body that is still to
        come has been read, this says False rather than lose the body."""
        if self._disconnected:
            return True
        if self._body is None and not self._stream_consumed:
            if not self._has_no_body():
                return False
            self._body = b""  # an empty body: its message may be skipped
        with anyio.CancelScope() as scope:
            scope.cancel()  # never wait: only messages already there are seen
            while not self._disconnected:
                message = await self._receive()
                if message.get("type") == "http.disconnect":
                    self._disconnected = True
                elif message.get("body"):
                    break  # a body that said it was empty: not ours to drop
        return self._disconnected

    async def _read_body(self) -> ReadyBytes:
        if self._body is None:
            if self._has_no_body():
                self._body = b""
            else:
                self._body = b"".join([chunk async for chunk in self.stream()])
        return ReadyBytes(self._body)

    @property
    def body(self) -> Body:
        """The body: ``await request.body``, ``async for chunk in request.body``."""
        return Body(self)

    def _pending(self, spelling: str, load: Any) -> Pending:
        where = f" in view {self.endpoint!r}" if self.endpoint else ""
        return Pending(
            load,
            f"{spelling} has not been read yet{where}. The body is read "
            f"asynchronously: write 'await {spelling}' first (once, anywhere "
            "in the request); after that it works without await.",
        )

    def get_data(
        self, cache: bool = True, as_text: bool = False, parse_form_data: bool = False
    ) -> Any:
        """The body as bytes (``as_text``: str): ``await request.get_data()``.

        :param parse_form_data: Parse a form body first (its fields go to
            ``form``/``files`` and the data is then empty, as in Flask).
        """

        async def load() -> Any:
            if parse_form_data and self.mimetype in FORM_MIMETYPES:
                await self._load_form()
                data: bytes = b""
            else:
                data = await self._read_body()
            return ready(data.decode() if as_text else bytes(data))

        if self._body is not None or self._has_no_body():
            if not (parse_form_data and self.mimetype in FORM_MIMETYPES):
                data = self._body or b""
                return ready(data.decode() if as_text else data)
            if self._form is not None:
                return ready("" if as_text else b"")
        return self._pending("request.get_data()", load)

    @property
    def data(self) -> Any:
        """The body bytes, empty for form bodies (``await request.data``)."""
        return self.get_data(parse_form_data=True)

    # -- forms ---------------------------------------------------------------

    def _form_is_ready(self) -> bool:
        if self._form is not None:
            return True
        if self.mimetype not in FORM_MIMETYPES or self._has_no_body():
            self._form = empty_form()
            return True
        return False

    async def _load_form(self) -> tuple[ReadyMultiDict, ReadyMultiDict]:
        if self._form_is_ready():
            assert self._form is not None
            return self._form
        limits = FormLimits(self.max_form_memory_size, self.max_form_parts)
        if self.mimetype == "multipart/form-data":
            chunks: AsyncIterator[bytes] = self.stream()
        else:  # urlencoded: kept whole anyway, so get_data() still has it
            chunks = _once(await self._read_body())
        self._form = await parse_form(
            chunks, self.mimetype, self.mimetype_params, limits
        )
        return self._form

    @property
    def form(self) -> Any:
        """The form fields (``await request.form``), a multi-dict; empty
        unless the body is ``application/x-www-form-urlencoded`` or
        ``multipart/form-data``. A missing key is a 400."""
        if self._form_is_ready():
            assert self._form is not None
            return self._form[0]

        async def load() -> Any:
            return (await self._load_form())[0]

        return self._pending("request.form", load)

    @property
    def files(self) -> Any:
        """The uploaded files (``await request.files``), a multi-dict of
        :class:`~app_framework.datastructures.FileStorage`."""
        if self._form_is_ready():
            assert self._form is not None
            return self._form[1]

        async def load() -> Any:
            return (await self._load_form())[1]

        return self._pending("request.files", load)

    @property
    def values(self) -> Any:
        """``args`` and, except for GET, ``form`` (``await request.values``)."""
        if self.method == "GET":
            return ReadyCombined([self.args])
        if self._form_is_ready():
            return ReadyCombined([self.args, self.form])

        async def load() -> Any:
            return ReadyCombined([self.args, (await self._load_form())[0]])

        return self._pending("request.values", load)

    # -- JSON ----------------------------------------------------------------

    @property
    def json(self) -> Any:
        """The body parsed as JSON (``await request.json``); 415 when the
        content type is not JSON, 400 when the body is not valid JSON."""
        return self.get_json()

    def get_json(
        self, force: bool = False, silent: bool = False, cache: bool = True
    ) -> Any:
        """The body parsed as JSON: ``await request.get_json()``.

        :param force: Parse whatever the content type says.
        :param silent: Return None instead of raising for a bad body or type.
        :raises UnsupportedMediaType: not JSON and not ``force`` (a 415).
        :raises BadRequest: invalid JSON, or nested too deeply (a 400).
        """
        cached = self._json
        if cached is not None and silent in cached:
            return cached[silent]
        if not (force or self.is_json):
            if silent:
                return ready(None)
            return ready(self.on_json_loading_failed(None))

        async def load() -> Any:
            data = await self._read_body()
            try:
                value = self._parse_json(data)
            except BadRequest as exc:
                if not silent:
                    return ready(self.on_json_loading_failed(exc))
                value = None
            value = ready(value)
            if cache:
                self._json = {**(self._json or {}), silent: value}
            return value

        return self._pending("request.get_json()", load)

    def _parse_json(self, data: bytes) -> Any:
        from ._json_provider import loads_request_body

        ctx = _cv_app.get(None)
        return loads_request_body(ctx.app.json if ctx is not None else None, data)

    def on_json_loading_failed(self, e: BadRequest | None) -> Any:
        """Called when the body is not JSON (``e`` None: wrong content type).
        Raises the 400 or 415; override to return a fallback value instead."""
        from .exceptions import UnsupportedMediaType

        if e is None:
            raise UnsupportedMediaType(
                "Did not attempt to load JSON data because the request "
                "Content-Type was not 'application/json'."
            )
        raise e


async def _once(data: bytes) -> AsyncIterator[bytes]:
    yield data


def _too_large(limit: int) -> RequestEntityTooLarge:
    return RequestEntityTooLarge(
        f"The request body is larger than the limit of {limit} bytes "
        "(MAX_CONTENT_LENGTH)."
    )
