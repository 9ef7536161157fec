"""The outgoing response: Starlette's, with Flask's (werkzeug's) surface.

The body and the raw header list are what gets sent, so every change made
through Flask's names (``data``, ``mimetype``, ``headers``, ``status``,
``set_cookie``, ``cache_control``...) in a view or an ``after_request``
hook is what the client receives.
"""

from __future__ import annotations

from collections.abc import (
    AsyncGenerator,
    AsyncIterable,
    Callable,
    Generator,
    Iterable,
)
from http import HTTPStatus
from typing import Any, Generic, TypeVar

import anyio.to_thread
from starlette.background import BackgroundTask
from starlette.concurrency import iterate_in_threadpool
from starlette.responses import Response as StarletteResponse
from starlette.types import Receive, Scope, Send
from werkzeug.http import generate_etag
from werkzeug.utils import get_content_type

from .._awaiting import PLAIN, use_of_result
from .._contextvars import hide_contexts, show_contexts
from .._values import NotLoadedError, Pending, ready
from ..exceptions import ClientDisconnected
from ._bodies import DataBody, FileBody, IOBody, IterableBody, ResponseBody
from ._headers import (
    COOKIE_SIZE_LIMIT,
    HeaderProperties,
    ResponseHeaders,
    checked_header,
    raw_headers,
    status_code_of,
)
from ._streaming import send_body_chunks

__all__ = [
    "COOKIE_SIZE_LIMIT",
    "DataBody",
    "Deferred",
    "FileBody",
    "IOBody",
    "IterableBody",
    "Response",
    "ResponseBody",
    "ResponseHeaders",
    "html_response",
]

T = TypeVar("T")


class Deferred(Generic[T]):
    """Blocking work a response needs before it is used (``send_file``
    opening its path), and what to do with its result: done off the event
    loop when the response is awaited, or in this thread for a plain
    ``response.data``, which is a blocking read by nature."""

    __slots__ = ("apply", "blocking")

    def __init__(self, blocking: Callable[[], T], apply: Callable[[T], None]) -> None:
        self.blocking = blocking
        self.apply = apply

    async def off_the_loop(self) -> None:
        """The blocking part in a worker thread, then ``apply`` here."""
        self.apply(await anyio.to_thread.run_sync(self.blocking))

    def here(self) -> None:
        """Both parts in this thread."""
        self.apply(self.blocking())


class Response(HeaderProperties, StarletteResponse):
    """A response. Flask's and Starlette's constructors both work:
    ``Response("hi", 201, {"X-A": "1"}, mimetype="text/plain")``,
    ``Response("hi", status_code=201, media_type="text/plain")``.

    The body may be ``str``, ``bytes``, a list of them, or an iterator or
    async iterator of them (then it is streamed). The default type is
    ``text/html``. Its Flask surface: ``data``, ``get_data(as_text=)``,
    ``set_data``, ``json``/``get_json()``, ``status``/``status_code``,
    ``mimetype``, ``headers``, ``set_cookie``, ``delete_cookie``,
    ``direct_passthrough``, ``call_on_close``, ``close``, and every
    header property of werkzeug's response (``content_type``, ``vary``,
    ``cache_control``, ``location``, ``retry_after``, ``set_etag``,
    ``access_control_allow_origin``, ``content_security_policy``...):
    setting one sets the header that is sent.

    Like Flask's, a response takes any other attribute too (extensions
    keep their own on it), so a misspelt property name sets an attribute
    and no header.
    """

    default_mimetype: str | None = "text/html"
    """The mimetype when none is given."""
    charset = "utf-8"
    direct_passthrough = False
    """Whether the body is sent as it is and never read into memory by
    ``data`` or ``get_data()`` (which raise instead), as in Flask:
    ``send_file`` sets it. Set it to ``False`` to read a file's bytes."""
    _on_close: list[Callable[[], Any]] | None = None
    _stream: AsyncIterable[Any] | Iterable[Any] | ResponseBody | None = None
    background: BackgroundTask | None = None
    _pending: Deferred[Any] | None = None
    """Work to finish before the response is used, done by awaiting it:
    ``send_file`` in an async view opens and stats the file in a worker
    thread there, not on the event loop (or in this thread for ``data``)."""

    def __init__(
        self,
        response: Any = None,
        status: int | str | HTTPStatus | None = None,
        headers: Any = None,
        mimetype: str | None = None,
        content_type: str | None = None,
        direct_passthrough: bool = False,
        *,
        status_code: int | None = None,
        media_type: str | None = None,
        background: BackgroundTask | None = None,
        content: Any = None,
    ) -> None:
        if response is None:
            response = content
        chosen = status_code if status_code is not None else status
        self.status_code = 200 if chosen is None else status_code_of(chosen)
        if background is not None:
            self.background = background
        if direct_passthrough:
            self.direct_passthrough = True
        self.raw_headers = raw_headers(headers)
        self._set_body(response)
        if b"content-type" not in (key for key, _ in self.raw_headers):
            mimetype = mimetype or media_type or self.default_mimetype
            if content_type is None and mimetype is not None:
                content_type = get_content_type(mimetype, self.charset)
            if content_type is not None:
                checked_header("Content-Type", content_type)
                self.raw_headers.append(
                    (b"content-type", content_type.encode("latin-1"))
                )

    # -- body ----------------------------------------------------------------

    def _set_body(self, value: Any) -> None:
        if value is None:
            body = b""
        elif isinstance(value, str):
            body = value.encode(self.charset)
        elif isinstance(value, bytes | bytearray | memoryview):
            body = bytes(value)
        elif isinstance(value, list | tuple):
            body = b"".join(
                part.encode(self.charset) if isinstance(part, str) else bytes(part)
                for part in value
            )
        elif isinstance(value, AsyncIterable | Iterable | ResponseBody):
            self._stream = value
            self.body = b""
            self.headers.remove("content-length")
            return
        else:
            raise TypeError(
                f"a response body must be str, bytes, or an iterable of them, "
                f"not {type(value).__name__}"
            )
        self.__dict__.pop("_stream", None)  # back to the class default, None
        self.body = body
        self._set_length(body)

    def _set_length(self, body: bytes) -> None:
        # Written into the list directly: digits computed here need no
        # header check, and every bytes, JSON or error body comes this way.
        raw = self.raw_headers
        kept = [pair for pair in raw if pair[0] != b"content-length"]
        if not (self.status_code < 200 or self.status_code in (204, 304)):
            kept.append((b"content-length", str(len(body)).encode()))
        raw[:] = kept

    @property
    def is_streamed(self) -> bool:
        """Whether the body is an iterator, sent as it is produced."""
        return self._stream is not None

    def set_data(self, value: str | bytes) -> None:
        """Replace the body (``str`` is encoded as UTF-8); sets Content-Length."""
        if not isinstance(value, str | bytes | bytearray):
            raise TypeError(
                f"set_data() takes str or bytes, not {type(value).__name__}"
            )
        self._set_body(value)

    def get_data(self, as_text: bool = False) -> Any:
        """The body as bytes (``as_text``: str). Unless
        ``direct_passthrough``, a file body (``send_file``) or a sync
        iterable is read into the body here, blocking, as Flask does, when
        called plainly (an opened file: awaited too); ``await
        response.get_data()`` collects any streamed body, async iterators
        included, without blocking (and the response keeps it)."""
        if self._stream is None or self._read_here(use_of_result() == PLAIN):
            body = bytes(self.body)
            return ready(body.decode(self.charset) if as_text else body)

        async def collect() -> Any:
            if self._pending is not None:
                await self
            chunks = [chunk async for chunk in self._iterate()]
            self._set_body(b"".join(chunks))
            return self.get_data(as_text)

        return Pending(collect, self._unread_message())

    @property
    def data(self) -> bytes:
        """The body bytes (settable). Unless ``direct_passthrough``, a file
        body (``send_file``: opened now if it was not) or a sync iterable is
        read into the body, blocking, as Flask does; an async iterator must
        be collected with ``await response.get_data()`` first."""
        if self._stream is not None and not self._read_here(True):
            raise NotLoadedError(self._unread_message())
        return bytes(self.body)

    @data.setter
    def data(self, value: str | bytes) -> None:
        self.set_data(value)

    def _read_here(self, blocking: bool) -> bool:
        """Read the streamed body into memory in this thread, as Flask's
        ``data`` does: an opened file (read whole), and when ``blocking``
        (a plain, not awaited, read) a file still to be opened or a sync
        iterable too. False, leaving the body as it is, in direct
        passthrough mode and for the rest: they need ``await``."""
        from ._conditional import FileChunks

        if self.direct_passthrough:
            return False
        pending = self._pending
        if blocking and pending is not None:
            self._pending = None
            pending.here()
        stream = self._stream
        if isinstance(stream, FileChunks):
            body = stream.read()
        elif blocking and self._pending is None and isinstance(stream, Iterable):
            body = _consume(stream)
        else:
            return False
        self._set_body(body)
        return True

    def _unread_message(self) -> str:
        if self.direct_passthrough:
            return (
                "the response is in direct passthrough mode (send_file sets it): "
                "its body is sent, not read into memory. Set "
                "'response.direct_passthrough = False' to read it, or write "
                "'await response.get_data()'"
            )
        return "the response body is streamed: write 'await response.get_data()'"

    @property
    def is_json(self) -> bool:
        """Whether the mimetype is JSON (``application/json`` or ``+json``)."""
        mimetype = self.mimetype or ""
        return mimetype == "application/json" or mimetype.endswith("+json")

    def get_json(self, force: bool = False, silent: bool = False) -> Any:
        """The body parsed as JSON (None when the mimetype is not JSON,
        unless ``force``); awaitable too."""
        if not (force or self.is_json):
            return ready(None)
        from .._contextvars import _cv_app

        ctx = _cv_app.get(None)
        try:
            value = (ctx.app.json.loads if ctx else _loads)(self.data)
        except ValueError:
            if not silent:
                raise
            value = None
        return ready(value)

    @property
    def json(self) -> Any:
        """``get_json()``."""
        return self.get_json()

    # -- status --------------------------------------------------------------

    @property
    def status(self) -> str:
        """``"200 OK"``: the code and reason (settable with either)."""
        try:
            phrase = HTTPStatus(self.status_code).phrase.upper()
        except ValueError:
            phrase = "UNKNOWN"
        return f"{self.status_code} {phrase}"

    @status.setter
    def status(self, value: int | str | HTTPStatus) -> None:
        self.status_code = status_code_of(value)

    def add_etag(self, overwrite: bool = False, weak: bool = False) -> Any:
        """Set an ``ETag`` from a hash of the body, unless one is set (or
        with ``overwrite``). Flask's plain call reads a streamed body as
        ``get_data()`` does; ``await response.add_etag()`` (Quart's
        spelling) collects any streamed body without blocking."""
        if not overwrite and "etag" in self.headers:
            return ready(None)
        if self._stream is None or self._read_here(use_of_result() == PLAIN):
            self.set_etag(generate_etag(bytes(self.body)), weak)
            return ready(None)

        async def collect() -> None:
            self.set_etag(generate_etag(await self.get_data()), weak)

        return Pending(collect, self._unread_message())

    def make_conditional(
        self,
        request: Any,
        accept_ranges: bool = False,
        complete_length: int | None = None,
    ) -> Response:
        """Answer the request's conditional headers: 304 when the client's
        copy is current (by ``ETag`` or ``Last-Modified``), 206 for a
        satisfiable ``Range`` when ``accept_ranges`` or ``complete_length``
        is given (Quart's rule). Returns ``self``.

        :raises RequestedRangeNotSatisfiable: a bad range (a 416).
        """
        from ._conditional import make_conditional

        return make_conditional(self, request, accept_ranges, complete_length)

    # -- closing -------------------------------------------------------------

    def call_on_close(self, func: Callable[[], Any]) -> Callable[[], Any]:
        """Call ``func()`` (a plain function) once the response has been
        sent, however the sending ended (the client may have left), or when
        :meth:`close` is called first; each runs once. Usable as a decorator."""
        if self._on_close is None:
            self._on_close = []
        self._on_close.append(func)
        return func

    def close(self) -> None:
        """Close the body (a file, or an iterator with ``close()``) and call
        the :meth:`call_on_close` functions, as Flask's does. Sending closes
        the body by itself: this is for a response that is not sent. An
        async iterator is closed where it is iterated (it needs ``await``)."""
        self._pending = None  # a send_file path not opened yet stays so
        close = getattr(self._stream, "close", None)
        if close is not None:
            close()
        self._closed()

    def _closed(self) -> None:
        funcs, self._on_close = self._on_close, None
        for func in funcs or ():
            func()

    def __await__(self) -> Generator[Any, None, Response]:
        """``await make_response(...)`` and ``await send_file(...)``
        (Quart's spellings) give the response itself, its pending work
        done (``send_file``'s file opened, off the event loop)."""
        pending = self._pending
        if pending is not None:
            self._pending = None
            yield from pending.off_the_loop().__await__()
        return self

    # -- sending -------------------------------------------------------------

    async def _iterate(self) -> AsyncGenerator[bytes, None]:
        """The streamed body's chunks as bytes. Its iterator is closed as
        soon as this ends, however it ends (a client gone, an error): a
        file body closes its file, and a generator's clean-up runs in the
        request, not whenever it is collected."""
        stream = self._stream
        if isinstance(stream, ResponseBody):  # Quart's wrappers: entered to read
            async with stream as chunks:
                async for chunk in chunks:
                    yield _encode(chunk)
        elif isinstance(stream, AsyncIterable):
            iterator = aiter(stream)
            try:
                async for chunk in iterator:
                    yield _encode(chunk)
            finally:
                for aclose in _closers(stream, iterator, "aclose"):
                    await aclose()
        elif stream is not None:
            # Each chunk is made in a worker thread (the iterable may block);
            # close() as a WSGI server calls it, also in a thread.
            sync_iterator = iter(stream)
            try:
                async for chunk in iterate_in_threadpool(sync_iterator):
                    yield _encode(chunk)
            finally:
                for close in _closers(stream, sync_iterator, "close"):
                    await anyio.to_thread.run_sync(close)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Send the response (a streamed body chunk by chunk)."""
        if scope["type"] == "websocket":  # a handshake refused with a response
            send = self._wrap_websocket_denial_send(send)
        if self._stream is None:
            # Starlette's own sending, written out: one call less per request.
            # No code of the app runs in these sends: the contexts are
            # hidden from the server (see hide_contexts for why).
            hidden = hide_contexts()
            try:
                await send(
                    {
                        "type": "http.response.start",
                        "status": self.status_code,
                        "headers": self.raw_headers,
                    }
                )
                await send({"type": "http.response.body", "body": self.body})
            finally:
                show_contexts(hidden)
                if self._on_close is not None:
                    self._closed()
            if self.background is not None:
                await self.background()
            return
        try:
            await self._send_streamed(receive, send)
        except ClientDisconnected:
            await self._finish()  # the clean-up is still due
            raise
        except BaseException:
            self._closed()
            raise
        await self._finish()

    async def _finish(self) -> None:
        """After sending: the ``call_on_close`` functions, then the
        background task."""
        if self._on_close is not None:
            self._closed()
        if self.background is not None:
            await self.background()

    async def _send_streamed(self, receive: Receive, send: Send) -> None:
        if self._pending is not None:  # a file nobody awaited (the pipeline does)
            await self
        await send(
            {
                "type": "http.response.start",
                "status": self.status_code,
                "headers": self.raw_headers,
            }
        )
        # Watching for the client to leave (see _streaming).
        await send_body_chunks(self._iterate(), receive, send)
        hidden = hide_contexts()  # the last send (see hide_contexts)
        try:
            await send({"type": "http.response.body", "body": b""})
        finally:
            show_contexts(hidden)

    def __repr__(self) -> str:
        kind = "streamed" if self._stream is not None else f"{len(self.body)} bytes"
        return f"<{type(self).__name__} [{self.status}] {kind}>"


def _closers(iterable: Any, iterator: Any, name: str) -> list[Callable[[], Any]]:
    """The ``close`` (or ``aclose``) methods to call once a body is sent:
    its iterator's (a generator's ``finally``), then the iterable's own
    when that is another object, as a WSGI server calls it (PEP 3333)."""
    owners = (iterator,) if iterator is iterable else (iterator, iterable)
    return [
        close for close in (getattr(o, name, None) for o in owners) if close is not None
    ]


def _consume(iterable: Iterable[Any]) -> bytes:
    """A sync body's chunks joined, then closed as sending would close it."""
    iterator = iter(iterable)
    try:
        return b"".join(_encode(chunk) for chunk in iterator)
    finally:
        for close in _closers(iterable, iterator, "close"):
            close()


def _encode(chunk: Any) -> bytes:
    if isinstance(chunk, str):
        return chunk.encode()
    return bytes(chunk)


def _loads(data: bytes) -> Any:
    import json

    return json.loads(data)


_HTML_TYPE = (b"content-type", b"text/html; charset=utf-8")


def html_response(content: str | bytes | bytearray) -> Response:
    """``Response(content)`` (200, ``text/html``), made in a third of the
    time: what a view returning ``str`` or ``bytes`` gets on every request.
    A test compares the two objects attribute by attribute, so a change in
    how they are built cannot go unnoticed."""
    response = Response.__new__(Response)
    body = content.encode() if isinstance(content, str) else bytes(content)
    response.status_code = 200
    response.body = body
    response.raw_headers = [(b"content-length", str(len(body)).encode()), _HTML_TYPE]
    return response
