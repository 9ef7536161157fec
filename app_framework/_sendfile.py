"""Sending files: ``send_file`` and ``send_from_directory`` with Flask's
arguments and meaning. A file is streamed in chunks (see
:mod:`._conditional`), never read whole, and answers ``Range`` and
conditional requests.
"""

from __future__ import annotations

import io
import mimetypes
import os
import posixpath
import time
import unicodedata
import zlib
from datetime import datetime
from typing import IO, TYPE_CHECKING, Any
from urllib.parse import quote

from ._conditional import FileChunks, make_conditional
from .exceptions import NotFound, RequestedRangeNotSatisfiable
from .globals import _cv_request, app_context

if TYPE_CHECKING:
    from ._response import Response

__all__ = ["safe_join", "send_file", "send_from_directory"]


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


def send_file(
    path_or_file: str | os.PathLike[str] | IO[bytes],
    mimetype: str | None = None,
    as_attachment: bool = False,
    download_name: str | None = None,
    conditional: bool = True,
    etag: bool | str = True,
    last_modified: datetime | int | float | None = None,
    max_age: int | None = None,
) -> Response:
    """A response sending a file (a path, relative to the app's
    ``root_path``, or a binary file object), streamed in chunks, with
    Flask's arguments and meaning. Returns the response; ``await
    send_file(...)`` (Quart's spelling) works too.

    :raises FileNotFoundError: no file at that path.
    :raises TypeError: no name to guess the type from, or an attachment
        without a name.
    :raises ValueError: a file opened in text mode.
    """
    app = app_context().app
    path: str | None = None
    size: int | None = None
    mtime: float | None = None
    if isinstance(path_or_file, str | os.PathLike):
        path = os.path.join(app.root_path, os.fspath(path_or_file))
        stat = os.stat(path)
        size, mtime = stat.st_size, stat.st_mtime
        file: IO[bytes] = open(path, "rb")
        if download_name is None:
            download_name = os.path.basename(path)
    else:
        file = path_or_file
        if isinstance(file, io.TextIOBase):
            raise ValueError("Files must be opened in binary mode or use BytesIO.")
        if isinstance(file, io.BytesIO):
            size = file.getbuffer().nbytes - file.tell()
    try:
        response = _file_response(app, file, mimetype, as_attachment, download_name)
    except BaseException:
        file.close()
        raise
    if size is not None:
        response.headers["Content-Length"] = str(size)
    modified = last_modified if last_modified is not None else mtime
    if modified is not None:
        response.last_modified = modified
    _cache(
        response,
        max_age if max_age is not None else app.config.get("SEND_FILE_MAX_AGE_DEFAULT"),
    )
    if isinstance(etag, str):
        response.set_etag(etag)
    elif etag and path is not None:
        check = zlib.adler32(path.encode()) & 0xFFFFFFFF
        response.set_etag(f"{mtime}-{size}-{check}")
    if conditional:
        request_ctx = _cv_request.get(None)
        if request_ctx is not None:
            try:
                make_conditional(response, request_ctx.connection, True, size)
            except RequestedRangeNotSatisfiable:
                file.close()
                raise
    return response


def _file_response(
    app: Any,
    file: IO[bytes],
    mimetype: str | None,
    as_attachment: bool,
    download_name: str | None,
) -> Response:
    encoding = None
    if mimetype is None:
        if download_name is None:
            raise TypeError(
                "Unable to detect the MIME type because a file name is not "
                "available. Either set 'download_name', pass a path instead of "
                "a file, or set 'mimetype'."
            )
        mimetype, encoding = mimetypes.guess_type(download_name)
        mimetype = mimetype or "application/octet-stream"
    response: Response = app.response_class(None, mimetype=mimetype)
    response._stream = FileChunks(file, 0, None)
    response.headers.remove("content-length")
    if encoding is not None and not as_attachment:
        response.headers["Content-Encoding"] = encoding
    if download_name is not None:
        kind, names = _disposition(download_name, as_attachment)
        response.headers.set("Content-Disposition", kind, **names)
    elif as_attachment:
        raise TypeError(
            "No name provided for attachment. Either set 'download_name' or "
            "pass a path instead of a file."
        )
    return response


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
    app's ``root_path``); a 404 when missing or outside it.

    :raises NotFound: no such file in ``directory``.
    """
    base = os.path.join(app_context().app.root_path, os.fspath(directory))
    joined = safe_join(base, path)
    if joined is None or not os.path.isfile(joined):
        raise NotFound(f"The requested file {path!r} was not found.")
    return send_file(joined, **kwargs)
