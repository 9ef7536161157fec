"""Sending files: ``send_file`` and ``send_from_directory`` with Flask's
arguments and meaning. A file is streamed in chunks (see
:mod:`._conditional`), never read whole, and answers ``Range`` and
conditional requests.
"""

from __future__ import annotations

import asyncio
import functools
import io
import mimetypes
import os
import posixpath
import time
import unicodedata
import zlib
from collections.abc import Callable
from datetime import datetime
from typing import IO, TYPE_CHECKING, Any, NamedTuple
from urllib.parse import quote

from .exceptions import NotFound, RequestedRangeNotSatisfiable
from .globals import _cv_request, app_context
from .wrappers._conditional import FileChunks, make_conditional
from .wrappers.response import Deferred

if TYPE_CHECKING:
    from .wrappers.response import Response

__all__ = ["UnknownMimetypeError", "safe_join", "send_file", "send_from_directory"]


def _disposition(download_name: str, as_attachment: bool) -> tuple[str, dict[str, str]]:
    try:
        download_name.encode("ascii")
        names = {"filename": download_name}
    except UnicodeEncodeError:
        simple = unicodedata.normalize("NFKD", download_name)
        simple = simple.encode("ascii", "ignore").decode("ascii")
        quoted = quote(download_name, safe="!#$&+-.^_`|~")  # RFC 5987 attr-chars
        names = {"filename": simple, "filename*": f"UTF-8''{quoted}"}
    return ("attachment" if as_attachment else "inline"), names


class UnknownMimetypeError(TypeError, ValueError):
    """``send_file`` has no file name to guess the type from. Flask (by
    werkzeug) raises ``TypeError`` here and Quart ``ValueError``: it is
    both, so either ``except`` catches it."""


class _Opened(NamedTuple):
    """A file to send: the open file, and what is known of it."""

    file: IO[bytes]
    size: int | None
    mtime: float | None
    path: str | None


def _open(path: str) -> _Opened:
    """Stat and open ``path``: the blocking part, run off the event loop."""
    stat = os.stat(path)
    return _Opened(open(path, "rb"), stat.st_size, stat.st_mtime, path)


class _Options(NamedTuple):
    """``send_file``'s arguments after the file, with their defaults."""

    mimetype: str | None = None
    as_attachment: bool = False
    download_name: str | None = None
    conditional: bool = True
    etag: bool | str = True
    last_modified: datetime | int | float | None = None
    max_age: Any = None


def _on_event_loop() -> bool:
    """Whether this thread runs an event loop (an async view), where a
    blocking call would stall every request of the worker; a sync view
    runs in a worker thread."""
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return False
    return True


def send_file(
    path_or_file: str | os.PathLike[str] | IO[bytes],
    mimetype: str | None = None,
    as_attachment: bool = False,
    download_name: str | None = None,
    conditional: bool = True,
    etag: bool | str = True,
    last_modified: datetime | int | float | None = None,
    max_age: int | None = None,
    *,
    attachment_filename: str | None = None,
    cache_timeout: int | None = None,
) -> Response:
    """A response sending a file (a path, relative to the app's
    ``root_path``, or a binary file object), streamed in chunks, with
    Flask's arguments and meaning. Returns the response; ``await
    send_file(...)`` (Quart's spelling) works too, and so do Quart's names
    ``attachment_filename`` for ``download_name`` and ``cache_timeout`` for
    ``max_age``.

    In an async view a path is stat'ed and opened in a worker thread, never
    on the event loop: when the response is awaited, or else by the
    framework once the view has returned, where a missing file is handled
    as if the view had raised it. To catch that error in the view, write
    ``await send_file(...)``.

    :raises FileNotFoundError: no file at that path.
    :raises UnknownMimetypeError: no name to guess the type from (a
        ``TypeError`` and a ``ValueError``).
    :raises TypeError: an attachment without a name.
    :raises ValueError: a file opened in text mode.
    """
    download_name = _either("download_name", download_name, attachment_filename)
    max_age = _either("max_age", max_age, cache_timeout)
    options = _Options(
        mimetype,
        as_attachment,
        download_name,
        conditional,
        etag,
        last_modified,
        max_age,
    )
    if isinstance(path_or_file, str | os.PathLike):
        path = os.path.join(app_context().app.root_path, os.fspath(path_or_file))
        return _send_path(path, functools.partial(_open, path), options)
    file = path_or_file
    if isinstance(file, io.TextIOBase):
        raise ValueError("Files must be opened in binary mode or use BytesIO.")
    size = None
    if isinstance(file, io.BytesIO):
        size = file.getbuffer().nbytes - file.tell()
    try:
        response = _file_response(options)
    except BaseException:
        file.close()
        raise
    _attach(response, _Opened(file, size, None, None), options, _connection())
    return response


def _either(name: str, flasks: Any, quarts: Any) -> Any:
    """The value of an argument Flask and Quart name differently."""
    if quarts is None:
        return flasks
    if flasks is not None:
        alias = {"download_name": "attachment_filename", "max_age": "cache_timeout"}
        raise TypeError(f"send_file() takes {name!r} or {alias[name]!r}, not both")
    return quarts


def _connection() -> Any:
    """The current request (for conditional requests), if any."""
    request_ctx = _cv_request.get(None)
    return request_ctx.connection if request_ctx is not None else None


def _send_path(path: str, opener: Callable[[], _Opened], options: _Options) -> Response:
    """The response for the file ``opener`` finds and opens (``path`` names
    it): opened now when this thread runs no event loop (a sync view's
    worker thread), else in a worker thread when the response is awaited."""
    if options.download_name is None:
        options = options._replace(download_name=os.path.basename(path))
    response = _file_response(options)
    connection = _connection()
    if not _on_event_loop():
        _attach(response, opener(), options, connection)
        return response

    response._pending = Deferred(
        opener, lambda opened: _attach(response, opened, options, connection)
    )
    response._stream = ()  # streamed: the file is attached when awaited
    return response


def _file_response(options: _Options) -> Response:
    """The response's headers that need no file: type, disposition, caching."""
    app = app_context().app
    encoding = None
    mimetype, download_name = options.mimetype, options.download_name
    if mimetype is None:
        if download_name is None:
            raise UnknownMimetypeError(
                "Unable to detect the MIME type because a file name is not "
                "available. Either set 'download_name', pass a path instead of "
                "a file, or set 'mimetype'."
            )
        mimetype, encoding = mimetypes.guess_type(download_name)
        mimetype = mimetype or "application/octet-stream"
    response: Response = app.response_class(None, mimetype=mimetype)
    response.direct_passthrough = True  # as Flask's: data raises, not reads
    response.headers.remove("content-length")
    if encoding is not None and not options.as_attachment:
        response.headers["Content-Encoding"] = encoding
    if download_name is not None:
        kind, names = _disposition(download_name, options.as_attachment)
        response.headers.set("Content-Disposition", kind, **names)
    elif options.as_attachment:
        raise TypeError(
            "No name provided for attachment. Either set 'download_name' or "
            "pass a path instead of a file."
        )
    max_age = options.max_age
    if max_age is None:
        max_age = app.get_send_file_max_age(download_name)
    _cache(response, max_age)
    return response


def _attach(
    response: Response, opened: _Opened, options: _Options, connection: Any
) -> None:
    """Make ``opened`` the body, with the headers it gives (a view's own
    ``ETag`` or ``Last-Modified``, set before this ran, is kept), then
    answer the request's conditional headers."""
    file, size, mtime, path = opened
    response._stream = FileChunks(file, 0, None, owned=path is not None)
    headers = response.headers
    if size is not None:
        headers["Content-Length"] = str(size)
    modified = options.last_modified if options.last_modified is not None else mtime
    if modified is not None and "last-modified" not in headers:
        response.last_modified = modified
    etag = options.etag
    if "etag" not in headers:
        if isinstance(etag, str):
            response.set_etag(etag)
        elif etag and path is not None:
            check = zlib.adler32(path.encode()) & 0xFFFFFFFF
            response.set_etag(f"{mtime}-{size}-{check}")
    if options.conditional and connection is not None:
        try:
            make_conditional(response, connection, True, size)
        except RequestedRangeNotSatisfiable:
            file.close()
            raise


def _cache(response: Response, max_age: Any) -> None:
    control = response.cache_control
    if max_age is None:
        control.no_cache = True
        return
    seconds = (
        int(max_age.total_seconds())
        if hasattr(max_age, "total_seconds")
        else int(max_age)
    )
    if seconds > 0:
        control.public = True
    control.max_age = seconds
    response.expires = int(time.time() + seconds)


def safe_join(directory: str, path: str) -> str | None:
    """``directory``/``path``, or None when ``path`` would leave ``directory``
    (``..`` parts, absolute paths, backslashes, or a link pointing out)."""
    normal = posixpath.normpath(path)
    if (
        not path
        or "\\" in path
        or "\0" in path
        or normal.startswith(("/", "../"))
        or normal == ".."
        or os.path.isabs(normal)
    ):
        return None
    root = os.path.realpath(directory)
    joined = os.path.realpath(os.path.join(root, normal))
    return joined if joined.startswith(root + os.sep) else None


def send_from_directory(
    directory: str | os.PathLike[str], path: str, **kwargs: Any
) -> Response:
    """:func:`send_file` for ``path`` inside ``directory`` (relative to the
    app's ``root_path``); a 404 when missing or outside it. In an async
    view the file is looked for off the event loop, as ``send_file`` does.

    :raises NotFound: no such file in ``directory``.
    """
    base = os.path.join(app_context().app.root_path, os.fspath(directory))

    def find_and_open() -> _Opened:
        joined = safe_join(base, path)  # resolves links: file system calls
        if joined is None or not os.path.isfile(joined):
            raise NotFound(f"The requested file {path!r} was not found.")
        return _open(joined)

    for flasks, quarts in (
        ("download_name", "attachment_filename"),
        ("max_age", "cache_timeout"),
    ):
        kwargs[flasks] = _either(flasks, kwargs.get(flasks), kwargs.pop(quarts, None))
    options = _Options(**kwargs)  # send_file's keyword arguments
    return _send_path(os.path.join(base, path), find_and_open, options)
