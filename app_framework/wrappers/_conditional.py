"""Conditional responses, as werkzeug answers them: ``Range`` → 206,
``If-None-Match``/``If-Modified-Since`` → 304 (412 with ``If-Match``), an
unsatisfiable range → 416; and :class:`FileChunks`, a file body streamed
in chunks read in a worker thread.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import IO, TYPE_CHECKING

import anyio.to_thread
from werkzeug.http import http_date, parse_etags, parse_range_header
from werkzeug.sansio.http import is_resource_modified

from ..exceptions import RequestedRangeNotSatisfiable

if TYPE_CHECKING:
    from .request import Connection
    from .response import Response

__all__ = ["CHUNK", "FileChunks", "make_conditional"]

CHUNK = 64 * 1024


class FileChunks:
    """An async iterable over ``length`` bytes of a binary file from
    ``offset``, each read in a worker thread; the file is closed at the end
    (or when the client leaves). With ``owned`` (``send_file`` opened it
    from a path), a response dropped unsent closes its file when collected,
    as Quart's, which opens it late, leaves none open."""

    def __init__(
        self, file: IO[bytes], offset: int, length: int | None, owned: bool = False
    ) -> None:
        self.file = file
        self.offset = offset
        self.length = length
        self.owned = owned

    def with_range(self, offset: int, length: int) -> FileChunks:
        """The same file, ``length`` bytes from ``offset`` (the file is now
        the new one's to close)."""
        owned, self.owned = self.owned, False
        return FileChunks(self.file, offset, length, owned)

    def __del__(self) -> None:
        if self.owned:
            self.file.close()

    def read(self) -> bytes:
        """All its bytes at once, read in this thread, and the file closed:
        for ``response.data`` of a file response, which Flask reads too."""
        try:
            if self.offset:
                self.file.seek(self.offset)
            return self.file.read(-1 if self.length is None else self.length)
        finally:
            self.file.close()

    def close(self) -> None:
        """Close the file (``response.close()``), whether sent or not."""
        self.file.close()

    async def __aiter__(self) -> AsyncIterator[bytes]:
        file, left = self.file, self.length
        try:
            if self.offset:
                await anyio.to_thread.run_sync(file.seek, self.offset)
            while left is None or left > 0:
                size = CHUNK if left is None else min(CHUNK, left)
                chunk = await anyio.to_thread.run_sync(file.read, size)
                if not chunk:
                    break
                if left is not None:
                    left -= len(chunk)
                yield chunk
        finally:
            file.close()


def _modified(
    request: Connection, response: Response, ignore_if_range: bool = True
) -> bool:
    """werkzeug's ``is_resource_modified`` for the request's headers and
    the response's ``ETag`` and ``Last-Modified``."""
    get = request.headers.get
    return is_resource_modified(
        http_range=get("Range"),
        http_if_range=get("If-Range"),
        http_if_modified_since=get("If-Modified-Since"),
        http_if_none_match=get("If-None-Match"),
        http_if_match=get("If-Match"),
        etag=response.headers.get("etag"),
        last_modified=response.headers.get("last-modified"),
        ignore_if_range=ignore_if_range,
    )


def _apply_range(
    response: Response, request: Connection, complete_length: int | None
) -> bool:
    """Answer a satisfiable ``Range`` with 206; True if it did.

    :raises RequestedRangeNotSatisfiable: a malformed or unsatisfiable range.
    """
    response.headers["Accept-Ranges"] = "bytes"
    wanted = request.headers.get("Range")
    if not complete_length or wanted is None:
        return False
    if "If-Range" in request.headers and _modified(request, response, False):
        return False  # If-Range says the client's copy is stale: send it all
    parsed = parse_range_header(wanted)
    span = parsed.range_for_length(complete_length) if parsed else None
    header = parsed.to_content_range_header(complete_length) if parsed else None
    if span is None or header is None:
        raise RequestedRangeNotSatisfiable(length=complete_length)
    start, stop = span
    response.status_code = 206
    response.headers["Content-Range"] = header
    if isinstance(response._stream, FileChunks):
        response._stream = response._stream.with_range(start, stop - start)
        response.headers["Content-Length"] = str(stop - start)
    else:
        response.set_data(bytes(response.body)[start:stop])
        response.status_code = 206
    return True


def make_conditional(
    response: Response,
    request: Connection,
    accept_ranges: bool = False,
    complete_length: int | None = None,
) -> Response:
    """Make ``response`` answer the request's conditional headers (GET and
    HEAD only): 304 (or 412 with If-Match) when the client's copy is
    current, 206 for a satisfiable range when ``accept_ranges`` or when
    ``complete_length`` is given: Quart answers a range whenever the caller
    says how long the whole is (werkzeug only with ``accept_ranges``).

    :raises RequestedRangeNotSatisfiable: a bad range (a 416).
    """
    if request.method not in ("GET", "HEAD"):
        return response
    if "date" not in response.headers:
        response.headers["Date"] = http_date()
    ranges = accept_ranges or complete_length is not None
    if complete_length is None and not response.is_streamed:
        complete_length = len(response.body)
    partial = ranges and _apply_range(response, request, complete_length)
    if not partial and not _modified(request, response):
        if parse_etags(request.headers.get("If-Match")):
            response.status_code = 412
        else:
            _not_modified(response)
    return response


def _not_modified(response: Response) -> None:
    stream = response._stream
    if isinstance(stream, FileChunks):
        stream.file.close()
    response._stream = None
    response.body = b""
    response.status_code = 304
    response.headers.remove("content-length")
