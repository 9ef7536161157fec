"""Building test requests from Flask's, Quart's and httpx's arguments.

One builder serves the test client and ``app.test_request_context``:
``data=`` (a dict is form-encoded; file values make it multipart), Quart's
``form=`` and ``files=``, ``json=`` (through ``app.json``),
``query_string=``, ``content_type=`` and ``headers=``; ``scope_base=``
(Quart's) is merged into the ASGI scope last.

Where a request goes is Flask's ``EnvironBuilder``'s answer: the host is
``SERVER_NAME`` (else ``localhost``, with ``subdomain=`` in front), the
scheme ``PREFERRED_URL_SCHEME`` (or ``url_scheme=``), the mount point
``APPLICATION_ROOT``; or all three from ``base_url=``; a full URL as the path
names its own scheme and host. ``environ_base=`` gives the client address
(``REMOTE_ADDR``, ``REMOTE_PORT``) and default headers (``HTTP_*``).
"""

from __future__ import annotations

import io
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from importlib.metadata import version
from typing import TYPE_CHECKING, Any
from urllib.parse import quote, unquote, urlencode, urlsplit

import httpx
import werkzeug.test
from starlette.types import Message
from werkzeug.datastructures import Authorization, Headers
from werkzeug.sansio.multipart import (
    Data,
    Epilogue,
    Field,
    File,
    MultipartEncoder,
    Preamble,
)
from werkzeug.urls import iri_to_uri

from .json import dumps as _json_dumps

if TYPE_CHECKING:
    from .app import App
    from .wrappers import Request

__all__ = [
    "Body",
    "EnvironBuilder",
    "Target",
    "build_body",
    "default_environ_base",
    "environ_request",
    "environ_target",
    "make_request",
    "make_scope",
    "make_test_body_with_headers",
    "make_test_headers_path_and_query_string",
    "make_test_scope",
    "no_op_push",
    "query_bytes",
    "resolve_target",
    "sentinel",
]


class _Sentinel:
    """The type of :data:`sentinel`."""

    def __repr__(self) -> str:
        return "sentinel"


sentinel: Any = _Sentinel()
"""Quart's marker for "no ``json=`` given", which a test client subclass may
pass on (``json=None`` also sends no JSON body, as with Flask)."""


class EnvironBuilder(werkzeug.test.EnvironBuilder):
    """werkzeug's ``EnvironBuilder`` with the app's defaults, as Flask's
    ``flask.testing.EnvironBuilder``: without ``base_url``, the scheme is
    ``url_scheme`` or ``PREFERRED_URL_SCHEME``, the host ``SERVER_NAME`` (or
    ``localhost``) with ``subdomain`` in front, the script root
    ``APPLICATION_ROOT``; a full URL as ``path`` keeps its scheme and host.
    ``json=`` is encoded by ``app.json``. ``client.open(builder)`` sends it.

    :raises TypeError: ``base_url`` given with ``subdomain`` or ``url_scheme``.
    """

    def __init__(
        self,
        app: App,
        path: str = "/",
        base_url: str | None = None,
        subdomain: str | None = None,
        url_scheme: str | None = None,
        *args: Any,
        **kwargs: Any,
    ) -> None:
        if base_url is not None and (subdomain or url_scheme):
            raise TypeError(
                "Give base_url= alone, or subdomain= and url_scheme=: base_url= "
                "already names the scheme, host and script root."
            )
        if base_url is None:
            base_url, path = _app_base_url(app, path, subdomain, url_scheme)
        self.app = app
        super().__init__(path, base_url, *args, **kwargs)

    def json_dumps(self, obj: Any, **kwargs: Any) -> str:
        """Encode ``json=`` with the app's JSON provider."""
        return self.app.json.dumps(obj, **kwargs)


def _app_base_url(
    app: App, path: str, subdomain: str | None, url_scheme: str | None
) -> tuple[str, str]:
    """The base URL the app's config gives, and the path left below it."""
    config = app.config
    host = config["SERVER_NAME"] or "localhost"
    if subdomain:
        host = f"{subdomain}.{host}"
    scheme = url_scheme or config["PREFERRED_URL_SCHEME"]
    parts = urlsplit(path)
    root = (config["APPLICATION_ROOT"] or "/").lstrip("/")
    base = f"{parts.scheme or scheme}://{parts.netloc or host}/{root}"
    return base, parts.path + (f"?{parts.query}" if parts.query else "")


@dataclass
class Target:
    """Where a test request goes: its absolute URL, and what the ASGI scope
    carries besides (the mount point, decoded; the client address; default
    headers from ``environ_base``)."""

    url: str
    root_path: str = ""
    client: tuple[str, int] | None = None
    headers: dict[str, str] = field(default_factory=dict)
    scope: dict[str, Any] = field(default_factory=dict)
    """Merged into the ASGI scope last (Quart's ``scope_base``)."""


def default_environ_base() -> dict[str, Any]:
    """The client's ``environ_base`` to start with, as Flask's client has it."""
    return {
        "REMOTE_ADDR": "127.0.0.1",
        "HTTP_USER_AGENT": f"Werkzeug/{version('werkzeug')}",
    }


def resolve_target(
    app: App,
    path: str = "/",
    *,
    base_url: str | None = None,
    subdomain: str | None = None,
    url_scheme: str | None = None,
    query_string: Any = None,
    environ_base: Mapping[str, Any] | None = None,
) -> Target:
    """The :class:`Target` of a request to ``path`` from Flask's arguments.

    :raises ValueError: a query string in ``path`` and in ``query_string``,
        or an ``environ_base`` key with no meaning for an ASGI request.
    """
    query = None if query_string is None else query_bytes(query_string).decode()
    builder = EnvironBuilder(
        app, path, base_url, subdomain, url_scheme, query_string=query
    )
    query = builder.query_string
    url = f"{builder.url_scheme}://{builder.host}{builder.script_root}{builder.path}"
    target = Target(url + (f"?{query}" if query else ""), unquote(builder.script_root))
    _apply_environ(target, environ_base or {})
    return target


def _apply_environ(target: Target, environ: Mapping[str, Any]) -> None:
    """Take the client address and default headers from WSGI-style keys."""
    address = environ.get("REMOTE_ADDR")
    if address is not None:
        target.client = (str(address), int(environ.get("REMOTE_PORT") or 12345))
    for key, value in environ.items():
        if key.startswith("HTTP_") and key != "HTTP_HOST":
            target.headers[key[5:].replace("_", "-").lower()] = str(value)
        elif key in ("CONTENT_TYPE", "CONTENT_LENGTH"):
            target.headers[key.replace("_", "-").lower()] = str(value)
        elif key not in _ENVIRON_KNOWN:
            raise ValueError(
                f"environ_base[{key!r}] has no meaning for an ASGI request: use "
                "REMOTE_ADDR and REMOTE_PORT (the client), HTTP_* keys "
                "(headers), or base_url=/url_scheme=/subdomain= for the URL."
            )


# Keys a WSGI environ from werkzeug's builder holds that a Target gets from
# the URL (or that mean nothing in ASGI); they are not mistakes.
_ENVIRON_KNOWN = frozenset(
    {
        "REMOTE_ADDR",
        "REMOTE_PORT",
        "HTTP_HOST",
        "REQUEST_METHOD",
        "SCRIPT_NAME",
        "PATH_INFO",
        "QUERY_STRING",
        "REQUEST_URI",
        "RAW_URI",
        "SERVER_NAME",
        "SERVER_PORT",
        "SERVER_PROTOCOL",
        "wsgi.version",
        "wsgi.url_scheme",
        "wsgi.input",
        "wsgi.errors",
        "wsgi.multithread",
        "wsgi.multiprocess",
        "wsgi.run_once",
    }
)


def environ_target(environ: Mapping[str, Any]) -> tuple[str, Target, bytes]:
    """The method, :class:`Target` and body of a WSGI environ (what
    ``client.open(builder)`` sends)."""
    script = _wsgi_text(environ.get("SCRIPT_NAME", ""))
    path = _wsgi_text(environ.get("PATH_INFO", ""))
    query = environ.get("QUERY_STRING", "")
    host = environ.get("HTTP_HOST") or environ.get("SERVER_NAME", "localhost")
    url = f"{environ.get('wsgi.url_scheme', 'http')}://{host}{quote(script + path)}"
    target = Target(url + (f"?{query}" if query else ""), script.rstrip("/"))
    _apply_environ(target, environ)
    length = int(environ.get("CONTENT_LENGTH") or 0)
    stream = environ.get("wsgi.input")
    body = stream.read(length) if stream is not None and length else b""
    return str(environ.get("REQUEST_METHOD", "GET")), target, body


def _wsgi_text(value: str) -> str:
    """A WSGI path (bytes as latin-1) as text."""
    return value.encode("latin-1").decode("utf-8", "replace")


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
    if json is sentinel:
        json = None
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
    base_url: str | None = None,
    subdomain: str | None = None,
    url_scheme: str | None = None,
    environ_base: Mapping[str, Any] | None = None,
    form: Any = None,
    files: Any = None,
    content_type: str | None = None,
    scope_base: Mapping[str, Any] | None = None,
    root_path: str | None = None,
) -> Request:
    """A request object for ``app.test_request_context``, addressed as the
    test client addresses it (see the module docstring); ``root_path``
    (Quart's keyword) mounts the app below that path, as ``base_url``'s
    path does."""
    target = resolve_target(
        app,
        path,
        base_url=base_url,
        subdomain=subdomain,
        url_scheme=url_scheme,
        query_string=query_string,
        environ_base=environ_base,
    )
    body = build_body(
        app, data=data, json=json, form=form, files=files, content_type=content_type
    )
    target.headers.update(body.headers)
    target.headers.update(headers or {})
    if root_path:
        _mount(target, root_path)
    target.scope.update(scope_base or {})
    return _request_to(app, method, target, body.content or b"")


def _mount(target: Target, root_path: str) -> None:
    """Put ``target`` below ``root_path`` (ASGI's ``path`` includes it)."""
    mounted = target.root_path + "/" + root_path.strip("/")
    url = urlsplit(target.url)
    below = url.path[len(quote(target.root_path)) :]  # the path below the old root
    target.url = url._replace(path=quote(mounted) + below).geturl()
    target.root_path = mounted


def environ_request(app: App, environ: Mapping[str, Any]) -> Request:
    """A request object for the WSGI ``environ`` (Flask's
    ``app.request_context(environ)``): its method, URL, headers, client
    address and body, as an ASGI server would have given them."""
    method, target, content = environ_target(environ)
    return _request_to(app, method, target, content)


def _request_to(app: App, method: str, target: Target, content: bytes) -> Request:
    """A request object for ``target``, with ``content`` as its body."""
    url = urlsplit(target.url)
    all_headers = {"host": url.netloc, **target.headers}
    if content:
        all_headers["content-length"] = str(len(content))
    scope = make_scope("http", unquote(url.path), url.query, all_headers)
    scope["method"] = method.upper()
    scope["raw_path"] = url.path.encode()
    scope["scheme"] = url.scheme
    scope["server"] = (url.hostname, url.port or (443 if url.scheme == "https" else 80))
    scope["root_path"] = target.root_path
    if target.client is not None:
        scope["client"] = target.client
    scope.update(target.scope)
    sent = False

    async def receive() -> Message:
        nonlocal sent
        if sent:
            return {"type": "http.disconnect"}
        sent = True
        return {"type": "http.request", "body": content, "more_body": False}

    return app.request_class(scope, receive, app.config["MAX_CONTENT_LENGTH"])


# Quart's request-building helpers (``quart.testing``), for tests that build
# Request objects by hand.


async def no_op_push(path: str, headers: Any) -> None:
    """A push-promise sender that sends nothing, for Quart's
    ``Request(..., send_push_promise=no_op_push)``: browsers dropped HTTP/2
    push, so a request never pushes."""


QUART_USER_AGENT = "Quart"
"""The ``User-Agent`` Quart's helpers put on a hand-built request."""

MULTIPART_BOUNDARY = "----QuartBoundary"
"""The fixed boundary of :func:`make_test_body_with_headers`' multipart
bodies (Quart's, so a body built for Quart compares equal)."""


def make_test_headers_path_and_query_string(
    app: App,
    path: str,
    headers: Any = None,
    query_string: Mapping[str, Any] | None = None,
    auth: Any = None,
    subdomain: str | None = None,
) -> tuple[Headers, str, bytes]:
    """``(headers, path, query_string)`` for a request to ``path``, as
    Quart's helper of that name gives them: ``host`` from ``SERVER_NAME``
    (else ``localhost``, ``subdomain`` in front), a ``User-Agent``, basic
    auth from a ``(user, password)`` pair or an ``Authorization``; the path
    is percent-decoded and loses its ``?query`` unless ``query_string`` is
    given.

    :raises ValueError: a query in ``path`` and ``query_string`` both.
    """
    found = headers if isinstance(headers, Headers) else Headers(headers or ())
    if auth is not None:
        if isinstance(auth, tuple):
            auth = Authorization("basic", {"username": auth[0], "password": auth[1]})
        found.setdefault("Authorization", auth.to_header())
    found.setdefault("User-Agent", QUART_USER_AGENT)
    host = app.config["SERVER_NAME"] or "localhost"
    found.setdefault("host", f"{subdomain}.{host}" if subdomain else host)
    if query_string is None:
        path, _, query = path.partition("?")
        return found, unquote(path), query.encode("ascii")
    if "?" in path:
        raise ValueError(
            f"{path!r} has a query string and query_string= is given too: give "
            "the query in one place."
        )
    return found, unquote(path), query_bytes(query_string)


def make_test_body_with_headers(
    *,
    data: str | bytes | None = None,
    form: Mapping[str, str] | None = None,
    files: Mapping[str, Any] | None = None,
    json: Any = sentinel,
    app: App | None = None,
) -> tuple[bytes, Headers]:
    """``(body, headers)`` for raw ``data``, a urlencoded ``form``,
    ``files`` (``FileStorage`` values; ``form`` fields follow them in one
    multipart body) or ``json`` (with ``app``'s JSON provider if given).

    :raises ValueError: ``data``, ``json`` and ``form`` or ``files`` given
        together (``form`` and ``files`` go together).
    """
    has_json = json is not sentinel
    for other in (form, files):
        if sum((has_json, other is not None, data is not None)) > 1:
            raise ValueError(
                "give one of data=, json= and form=/files= (form= and files= "
                "may go together)"
            )
    headers = Headers()
    if has_json:
        headers["Content-Type"] = "application/json"
        dumps = app.json.dumps if app is not None else _json_dumps
        return dumps(json).encode(), headers
    if files is not None:
        headers["Content-Type"] = f"multipart/form-data; boundary={MULTIPART_BOUNDARY}"
        return _multipart(files, form or {}), headers
    if form is not None:
        headers["Content-Type"] = "application/x-www-form-urlencoded"
        return urlencode(form).encode(), headers
    return data.encode() if isinstance(data, str) else data or b"", headers


def _multipart(files: Mapping[str, Any], form: Mapping[str, str]) -> bytes:
    """A multipart body of ``files`` then ``form``'s fields."""
    encoder = MultipartEncoder(MULTIPART_BOUNDARY.encode())
    chunks = [encoder.send_event(Preamble(data=b""))]
    for name, upload in files.items():
        chunks.append(
            encoder.send_event(
                File(name=name, filename=upload.filename, headers=upload.headers)
            )
        )
        chunks.append(encoder.send_event(Data(data=upload.read(), more_data=False)))
    for name, value in form.items():
        chunks.append(encoder.send_event(Field(name=name, headers=Headers())))
        chunks.append(encoder.send_event(Data(data=value.encode(), more_data=False)))
    chunks.append(encoder.send_event(Epilogue(data=b"")))
    return b"".join(chunks)


def make_test_scope(
    type_: str,
    path: str,
    method: str,
    headers: Headers,
    query_string: bytes,
    scheme: str,
    root_path: str,
    http_version: str,
    scope_base: Mapping[str, Any] | None,
) -> dict[str, Any]:
    """The ASGI scope of a ``type_`` (``"http"``/``"websocket"``) request
    from its parts (Quart's helper of that name), ``scope_base`` merged last.
    """
    scope: dict[str, Any] = {
        "type": type_,
        "http_version": http_version,
        "asgi": {"spec_version": "2.1"},
        "method": method,
        "scheme": scheme,
        "path": path,
        "raw_path": iri_to_uri(path).encode("ascii"),
        "query_string": query_string,
        "root_path": root_path,
        "headers": [
            (name.lower().encode("latin-1"), value.encode("latin-1"))
            for name, value in headers.items()
        ],
        "extensions": {},
    }
    scope.update(scope_base or {})
    return scope
