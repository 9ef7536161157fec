"""Building test requests from Flask's, Quart's and httpx's arguments.

One builder serves the test client and ``app.test_request_context``:
``data=`` (a dict is form-encoded; file values make it multipart), Quart's
``form=`` and ``files=``, ``json=`` (through ``app.json``),
``query_string=``, ``content_type=`` and ``headers=``.
"""

from __future__ import annotations

import io
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any
from urllib.parse import quote, urlencode

import httpx
from starlette.types import Message

if TYPE_CHECKING:
    from .app import App
    from .wrappers import Request

__all__ = ["Body", "build_body", "make_request", "make_scope", "query_bytes"]


@dataclass
class Body:
    """An encoded request body and the headers it needs."""

    content: bytes | None = None
    headers: dict[str, str] = field(default_factory=dict)


def _is_file(value: Any) -> bool:
    if isinstance(value, tuple):
        return bool(value) and _is_file(value[0])
    return hasattr(value, "read")


def _file_entry(value: Any) -> tuple[str | None, Any, str | None]:
    """``(filename, fileobj, content_type)`` for httpx, from Flask's
    ``(fileobj, filename[, content_type])``, httpx's ``(filename, content[,
    content_type])``, raw bytes, a file object, or a ``FileStorage``."""
    if isinstance(value, tuple) and value and isinstance(value[0], str | None):
        filename, content, *more = value
        data = content.read() if hasattr(content, "read") else content
        if isinstance(data, str):
            data = data.encode()
        return filename, io.BytesIO(data), more[0] if more else None
    if isinstance(value, bytes | str):
        data = value.encode() if isinstance(value, str) else value
        return "upload", io.BytesIO(data), None
    if isinstance(value, tuple):
        fileobj, *rest = value
        filename = rest[0] if rest else getattr(fileobj, "name", None)
        content_type = rest[1] if len(rest) > 1 else None
    else:
        fileobj = value
        filename = getattr(value, "filename", None) or getattr(value, "name", None)
        content_type = getattr(value, "content_type", None)
    stream: Any = getattr(fileobj, "stream", fileobj)  # a FileStorage's own
    data = stream.read()
    if isinstance(data, str):
        data = data.encode()
    if isinstance(filename, str):
        filename = filename.rsplit("/", 1)[-1]
    return filename, io.BytesIO(data), content_type


def _items(mapping: Any) -> Iterable[tuple[str, Any]]:
    """Pairs of a dict (list values repeat the key) or a multi-dict."""
    if hasattr(mapping, "items") and hasattr(mapping, "getlist"):
        for key in mapping.keys():
            for value in mapping.getlist(key):
                yield key, value
        return
    items = mapping.items() if isinstance(mapping, Mapping) else mapping
    for key, value in items:
        if isinstance(value, list):
            for item in value:
                yield key, item
        else:
            yield key, value


def build_body(
    app: App,
    *,
    data: Any = None,
    json: Any = None,
    form: Any = None,
    files: Any = None,
    content_type: str | None = None,
) -> Body:
    """Encode the body the arguments describe.

    :raises TypeError: more than one of ``data`` (raw), ``json`` and a form.
    """
    fields: list[tuple[str, str]] = []
    uploads: list[tuple[str, tuple[str | None, Any, str | None]]] = []
    raw: bytes | None = None
    if isinstance(data, str | bytes):
        raw = data.encode() if isinstance(data, str) else data
    elif data is not None:
        form = [*_items(form or {}), *_items(data)]
    for key, value in _items(form or {}):
        if _is_file(value):
            uploads.append((key, _file_entry(value)))
        else:
            fields.append((key, str(value)))
    for key, value in _items(files or {}):
        uploads.append((key, _file_entry(value)))
    chosen = [raw is not None, json is not None, bool(fields or uploads)]
    if sum(chosen) > 1:
        raise TypeError("give only one of data= (raw), json= and form data")
    headers: dict[str, str] = {}
    if json is not None:
        raw = app.json.dumps(json).encode()
        headers["content-type"] = "application/json"
    elif fields or uploads:
        encoded = httpx.Request(
            "POST",
            "http://localhost",
            data=dict(_grouped(fields)),
            files=uploads or None,
        )
        raw = encoded.read()
        headers["content-type"] = encoded.headers["content-type"]
    if content_type is not None and not (
        uploads
        and content_type.startswith("multipart/form-data")
        and "boundary" not in content_type
    ):
        headers["content-type"] = content_type
    return Body(raw, headers)


def _grouped(fields: list[tuple[str, str]]) -> dict[str, list[str]]:
    grouped: dict[str, list[str]] = {}
    for key, value in fields:
        grouped.setdefault(key, []).append(value)
    return grouped


def query_bytes(query_string: Any) -> bytes:
    """A query string from a str, bytes, dict or multi-dict."""
    if query_string is None:
        return b""
    if isinstance(query_string, bytes):
        return query_string
    if isinstance(query_string, str):
        return query_string.lstrip("?").encode()
    return urlencode(list(_items(query_string)), doseq=True).encode()


def make_scope(
    kind: str, path: str, query: str | bytes, headers: Mapping[str, str] | Any
) -> dict[str, Any]:
    """An ASGI scope as a server would build it for ``path`` (decoded)."""
    pairs: Any = headers.items() if hasattr(headers, "items") else headers
    return {
        "type": kind,
        "asgi": {"version": "3.0", "spec_version": "2.4"},
        "http_version": "1.1",
        "scheme": "ws" if kind == "websocket" else "http",
        "server": ("localhost", 80),
        "client": ("127.0.0.1", 12345),
        "root_path": "",
        "path": path,
        "raw_path": quote(path).encode(),
        "query_string": query.encode() if isinstance(query, str) else query,
        "headers": [(k.lower().encode(), str(v).encode()) for k, v in pairs],
    }


def make_request(
    app: App,
    path: str = "/",
    method: str = "GET",
    headers: Mapping[str, str] | None = None,
    query_string: Any = None,
    data: Any = None,
    json: Any = None,
    *,
    form: Any = None,
    files: Any = None,
    content_type: str | None = None,
) -> Request:
    """A request object for ``app.test_request_context``."""
    path, _, query = path.partition("?")
    body = build_body(
        app, data=data, json=json, form=form, files=files, content_type=content_type
    )
    all_headers = {"host": "localhost", **body.headers, **(headers or {})}
    content = body.content or b""
    if content:
        all_headers["content-length"] = str(len(content))
    qs = query_bytes(query_string) if query_string is not None else query.encode()
    scope = make_scope("http", path, qs, all_headers)
    scope["method"] = method.upper()
    sent = False

    async def receive() -> Message:
        nonlocal sent
        if sent:
            return {"type": "http.disconnect"}
        sent = True
        return {"type": "http.request", "body": content, "more_body": False}

    return app.request_class(scope, receive, app.config["MAX_CONTENT_LENGTH"])
