"""The incoming HTTP request: :class:`Connection` (werkzeug's request
data) with Quart's awaitable body, read from ASGI ``receive`` on demand
and cached."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncGenerator, AsyncIterator, Generator, MutableMapping
from typing import TYPE_CHECKING, Any

import anyio

from .._awaiting import passes_through
from .._contextvars import _cv_app
from .._values import NotLoadedError, Pending, ReadyCombined, answer
from ..debughelpers import hint_missing_files
from ..exceptions import (
    BadRequest,
    ClientDisconnected,
    HTTPException,
    RequestEntityTooLarge,
)
from ..formparser import FORM_MIMETYPES, FormLimits, empty_form, parse_form
from ._body import Body
from ._connection import Connection, route_path
from ._from_parts import request_arguments

if TYPE_CHECKING:
    from .._values import ReadyMultiDict

__all__ = [
    "Body",
    "Connection",
    "NotLoadedError",
    "Request",
    "RequestBody",
    "route_path",
]


class RequestBody:
    """``request.body``: ``await request.body`` (Quart), ``await
    request.body()`` (Starlette) or ``async for chunk in request.body``.
    For a request built from Quart's parts without ``receive=``,
    ``append()`` and ``set_complete()`` give its body (Quart's
    :class:`Body` is what holds it)."""

    __slots__ = ("_request",)

    def __init__(self, request: Request) -> None:
        self._request = request

    def __await__(self) -> Generator[Any, None, bytes]:
        return self._request._read_body().__await__()

    def __call__(self) -> RequestBody:
        return self

    def __aiter__(self) -> AsyncIterator[bytes]:
        return self._request.stream()

    def _buffer(self) -> Body:
        buffer = self._request._buffer
        if buffer is None:
            raise RuntimeError(
                "this request's body comes from its ASGI receive: append() and "
                "set_complete() are for a Request built from its parts without "
                "receive="
            )
        return buffer

    def append(self, data: bytes) -> None:
        """Give the next chunk of a request built from its parts."""
        self._buffer().append(data)

    def set_complete(self) -> None:
        """Say that the body of a request built from its parts is whole."""
        self._buffer().set_complete()


class Request(Connection):
    """The HTTP request: werkzeug's request with Quart's awaitable body.

    Read the body with ``await request.get_data()``, ``await request.form``,
    ``await request.files``, ``await request.values``, ``await
    request.json``, ``await request.get_json()`` or ``await request.body``.
    Once it is read, the same names work without ``await`` (in templates
    too); before, using them without ``await`` raises
    :class:`NotLoadedError` saying what to write.

    ``max_content_length`` (``MAX_CONTENT_LENGTH``, 16 MiB by default) caps
    the bytes read into memory (data, JSON, forms): a larger body is refused
    with 413 as soon as it is announced or exceeded, without reading the
    rest. :meth:`stream` is not capped.
    """

    _body: bytes | None = None
    _json: dict[bool, Any] | None = None
    _stream_consumed = False
    _disconnected = False
    _body_done = False
    _body_read: asyncio.Event | None = None
    _preload_error: HTTPException | None = None
    _buffer: Body | None = None
    """Where the body comes from for a request built from Quart's parts
    without ``receive=``: filled by ``request.body.append()``."""

    def __init__(
        self,
        scope: MutableMapping[str, Any] | Any,  # or Quart's method
        receive: Any = None,
        max_content_length: int | None | Any = None,
        /,
        *parts: Any,
        **options: Any,
    ) -> None:
        """``Request(scope, receive, max_content_length)``, or Quart's
        ``Request(method, scheme, path, query_string, headers, root_path,
        http_version, scope, *, max_content_length=None)`` (plus
        ``receive=`` for a body; without it the body is empty)."""
        if parts or options:  # the pipeline's call never comes here
            scope, receive, max_content_length = request_arguments(
                (scope, receive, max_content_length, *parts), options
            )
            if receive is None:
                self._buffer = Body(None, None)  # the 413 is the request's
                receive = self._buffer.receive
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

    async def receive_after_body(self) -> Any:
        """``receive`` for code that watches for the client leaving while
        the app may still read the body (a streamed response): while a body
        is still to come and nobody has read it, this waits until the app
        has, instead of taking the app's messages. Once the body is read,
        it is plain ``receive``."""
        if not self._body_done and self._body is None and not self._has_no_body():
            if self._body_read is None:
                self._body_read = asyncio.Event()
            await self._body_read.wait()
        message = await self._receive()
        if message["type"] == "http.disconnect":
            self._disconnected = True
        return message

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
            # A body given with request.body.append() needs no framing.
            and (self._buffer is None or not self._buffer.fed)
        )

    def _known_body(self) -> bytes | None:
        """The body when nothing is left to read: read already (or
        preloaded), or empty by HTTP framing; None while it is to come."""
        if self._body is None and self._has_no_body():
            return b""
        return self._body

    def body_expected(self) -> bool:
        """Whether a ``Content-Length`` above 0 announces a body nobody has
        read yet: what :meth:`preload` reads (a chunked body is left to the
        view). The pipeline asks on every request, so this scans the raw
        header list instead of parsing headers: a GET costs one short loop.
        """
        if self._body is not None:
            return False
        for name, value in self.scope["headers"]:
            if name == b"content-length":
                return bool(value != b"0")
        return False

    def stream(self) -> AsyncGenerator[bytes, None]:
        """Yield the body in chunks as they arrive (the cached body, if it
        was read already). Not capped by ``MAX_CONTENT_LENGTH``: a view that
        streams the body (to disk, to another service) decides how much it
        takes; what the framework reads into memory is capped.

        :raises ClientDisconnected: the client left mid-body.
        """
        return self._chunks(None)

    async def _chunks(self, limit: int | None) -> AsyncGenerator[bytes, None]:
        """The body's chunks, refused with 413 past ``limit`` bytes (as soon
        as they are announced or exceeded, without reading the rest)."""
        if self._body is not None:
            yield self._body
            return
        self._raise_preload_error()
        if self._stream_consumed:
            raise RuntimeError(
                "The request body was already read as a stream; read it with "
                "'await request.get_data()' first to keep a copy."
            )
        self._stream_consumed = True
        declared = self.content_length
        if limit is not None and declared is not None and declared > limit:
            raise _too_large(limit)
        received = 0
        while True:
            message = await self._receive()
            if message["type"] == "http.disconnect":
                self._disconnected = True
                self._body_has_ended()
                raise ClientDisconnected()
            chunk: bytes = message.get("body", b"")
            if chunk:
                received += len(chunk)
                if limit is not None and received > limit:
                    raise _too_large(limit)
                yield chunk
            if not message.get("more_body", False):
                self._body_has_ended()
                return

    async def preload(self, limit: bool | int | None) -> None:
        """Read the body now, so that ``request.form``, ``request.get_json()``
        and the rest work without ``await`` (Flask's spelling) in hooks,
        views, templates and extensions. The pipeline calls this before
        ``request_started`` when HTTP framing announces a body.

        :param limit: ``PRELOAD_REQUEST_BODY``: ``True`` reads a body whose
            ``Content-Length`` is at most ``MAX_CONTENT_LENGTH``; an int, one
            at most that long; ``False``/``None`` reads nothing.

        A body with no announced length (chunked), or longer, is left to
        the view, unread: ``request.stream()`` still has all of it, and
        using ``request.form`` without ``await`` raises
        :class:`NotLoadedError` saying what to write. A malformed form, or
        a client gone mid-body, is not an error yet: the error (400) is
        kept and raised where the body is used, as Flask raises it when
        ``request.form`` is read.
        """
        if limit is False or limit is None or self._stream_consumed:
            return
        cap = self.max_content_length if limit is True else limit
        length = self.content_length
        if length is None or (cap is not None and length > cap):
            return
        try:
            if self.mimetype in FORM_MIMETYPES:
                await self._load_form()
            else:
                await self._read_body()
        except HTTPException as error:  # 413, 400, the client gone mid-body
            self._preload_error = error

    def _raise_preload_error(self) -> None:
        """Raise what reading the body in advance met (see :meth:`preload`)."""
        if self._preload_error is not None:
            raise self._preload_error

    def _body_has_ended(self) -> None:
        self._body_done = True
        if self._body_read is not None:
            self._body_read.set()

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

    async def _read_body(self) -> bytes:
        if self._body is None:
            if self._has_no_body():
                self._body = b""
            else:
                chunks = self._chunks(self.max_content_length)
                self._body = b"".join([chunk async for chunk in chunks])
        return self._body

    @property
    def body(self) -> RequestBody:
        """The body: ``await request.body``, ``async for chunk in request.body``."""
        return RequestBody(self)

    def _pending(self, spelling: str, load: Any) -> Pending:
        limit, length = self.max_content_length, self.content_length
        if limit is not None and length is not None and length > limit:
            # Reading it would be refused: the 413 now, awaited or not, as
            # Flask's request.form raises it (request.stream() is not capped).
            raise _too_large(limit)
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
            return data.decode() if as_text else bytes(data)

        known = self._known_body()
        if known is not None:
            if not (parse_form_data and self.mimetype in FORM_MIMETYPES):
                return answer(known.decode() if as_text else known)
            if self._form is not None:
                return answer("" if as_text else b"")
        self._raise_preload_error()
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
            chunks: AsyncIterator[bytes] = self._chunks(self.max_content_length)
        else:  # urlencoded: kept whole anyway, so get_data() still has it
            chunks = _once(await self._read_body())
        parsed = await parse_form(chunks, self.mimetype, self.mimetype_params, limits)
        self._form = hint_missing_files(parsed, self.mimetype)
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

        self._raise_preload_error()
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

        self._raise_preload_error()
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

        self._raise_preload_error()
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
            return answer(cached[silent])
        if not (force or self.is_json):
            if silent:
                return answer(None)
            return answer(self.on_json_loading_failed(None))
        known = self._known_body()
        if known is not None:  # read, preloaded or none at all: parse it now
            return answer(self._json_of(known, silent, cache))
        self._raise_preload_error()

        async def load() -> Any:
            return self._json_of(await self._read_body(), silent, cache)

        return self._pending("request.get_json()", load)

    def _json_of(self, data: bytes, silent: bool, cache: bool) -> Any:
        try:
            value = self._parse_json(data)
        except BadRequest as exc:
            if not silent:
                return self.on_json_loading_failed(exc)
            value = None
        if cache:
            self._json = {**(self._json or {}), silent: value}
        return value

    def _parse_json(self, data: bytes) -> Any:
        from .._json_provider import loads_request_body

        ctx = _cv_app.get(None)
        return loads_request_body(ctx.app.json if ctx is not None else None, data)

    def on_json_loading_failed(self, e: BadRequest | None) -> Any:
        """Called when the body is not JSON (``e`` None: wrong content type).
        Raises the 400 or 415; override to return a fallback value instead.
        The 400 says what the parser said (``e``'s description) only in
        debug mode, as Flask: otherwise the generic 400 description."""
        from ..exceptions import UnsupportedMediaType

        if e is None:
            raise UnsupportedMediaType(
                "Did not attempt to load JSON data because the request "
                "Content-Type was not 'application/json'."
            )
        ctx = _cv_app.get(None)
        if ctx is not None and ctx.app.debug:
            raise e
        raise BadRequest() from e


async def _once(data: bytes) -> AsyncIterator[bytes]:
    yield data


def _too_large(limit: int) -> RequestEntityTooLarge:
    return RequestEntityTooLarge(
        f"The request body is larger than the limit of {limit} bytes "
        "(MAX_CONTENT_LENGTH)."
    )


# ``request.json`` and ``request.data`` hand over another accessor's answer:
# it is given as the code reading *them* uses it.
passes_through(Request.json.fget.__code__)  # type: ignore[attr-defined]
passes_through(Request.data.fget.__code__)  # type: ignore[attr-defined]
