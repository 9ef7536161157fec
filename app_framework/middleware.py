"""ASGI middleware shipped with the framework.

:class:`ProxyFix` is werkzeug's ``ProxyFix`` for ASGI: behind a reverse
proxy, it takes the client address, scheme, host, port and mount prefix
from the ``X-Forwarded-*`` headers, trusting exactly as many proxies as
you say. Without it (the default) those headers are ignored by everything
the framework builds (``request.host``, ``request.scheme``,
``url_for(_external=True)``, redirects), because any client can send them.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, MutableMapping
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .app import App

__all__ = ["AsgiAppSlot", "ProxyFix", "serving_stack"]

Scope = MutableMapping[str, Any]
ASGIApp = Callable[[Scope, Any, Any], Awaitable[None]]

ORIGINAL = "app_framework.proxy_fix.orig"
"""The scope key keeping what :class:`ProxyFix` replaced."""


class _Below:
    """What ``app.asgi_app`` is until replaced: the app with the middleware
    added by ``add_middleware``, below any wrapper given to ``asgi_app``."""

    __slots__ = ("app",)

    def __init__(self, app: App) -> None:
        self.app = app

    def __call__(self, scope: Scope, receive: Any, send: Any) -> Awaitable[None]:
        inner: ASGIApp | None = self.app.__dict__.get("_asgi_inner")
        if inner is None:  # called before the app itself was
            inner = _wrapped_in_middleware(self.app)
        return inner(scope, receive, send)


class AsgiAppSlot:
    """``App.asgi_app``, Quart's name (Flask's ``wsgi_app``): the app as an
    ASGI callable, which a wrapper may replace at start-up,
    ``app.asgi_app = Wrapper(app.asgi_app)``, and ``app(...)`` then calls.

    :raises SetupError: replaced after the app started serving.
    """

    def __get__(self, app: App | None, owner: type) -> Any:
        if app is None:
            return self
        outer = app.__dict__.get("_asgi_outer")
        return outer if outer is not None else _Below(app)

    def __set__(self, app: App, value: ASGIApp) -> None:
        app._check_setup("asgi_app")
        app.__dict__["_asgi_outer"] = value


def _wrapped_in_middleware(app: App) -> ASGIApp:
    stack: ASGIApp = app._dispatch
    for cls, options in reversed(app._middleware):
        stack = cls(stack, **options)
    return stack


def serving_stack(app: App) -> ASGIApp:
    """What ``app(...)`` calls once serving starts: the wrapper given to
    ``asgi_app``, else the app in its ``add_middleware`` middleware."""
    inner = app.__dict__["_asgi_inner"] = _wrapped_in_middleware(app)
    outer: ASGIApp | None = app.__dict__.get("_asgi_outer")
    return outer if outer is not None else inner


def _trusted_value(trusted: int, header: bytes | None) -> str | None:
    """The value the ``trusted``-th proxy from the server added, or None
    when the header has fewer values than proxies are trusted (a client
    talking to the server directly, or a proxy missing)."""
    if not (trusted and header):
        return None
    values = [v.strip() for v in header.decode("latin-1").split(",")]
    if len(values) < trusted:
        return None
    return values[-trusted] or None


def _port(value: str | None) -> int | None:
    """The port in a forwarded value, or None when it is not one: ASCII
    digits only (``str.isdigit`` also accepts ``²``, which ``int`` refuses)
    and at most 65535, so a bad value is ignored instead of failing the
    request."""
    if value is None or not (value.isascii() and value.isdigit()):
        return None
    port = int(value)
    return port if port <= 65535 else None


def _prefix(value: str | None) -> str | None:
    """The mount point in a forwarded value, or None when it is not a path:
    an ASGI ``root_path`` starts with ``/``, and one starting with ``//``
    would make every URL built from it point at another host."""
    if value is None or not value.startswith("/") or value.startswith("//"):
        return None
    return value.rstrip("/")


class ProxyFix:
    """Trust ``X-Forwarded-*`` headers set by ``x_for``... trusted proxies.

    ``app.add_middleware(ProxyFix, x_for=1, x_proto=1, x_host=1)`` behind
    one proxy (nginx, a load balancer) that sets those headers. Each count
    says how many proxies in front of the app set that header; values added
    by the client beyond them are ignored. ``0`` ignores a header.

    * ``x_for``: ``X-Forwarded-For`` → the client address
      (``request.remote_addr``).
    * ``x_proto``: ``X-Forwarded-Proto`` → ``request.scheme`` (``ws``/``wss``
      for websockets).
    * ``x_host``: ``X-Forwarded-Host`` → the ``Host`` header.
    * ``x_port``: ``X-Forwarded-Port`` → the port in ``Host`` and the
      server address.
    * ``x_prefix``: ``X-Forwarded-Prefix`` → the mount point (``root_path``).

    The originals are kept in ``scope["app_framework.proxy_fix.orig"]``.
    (uvicorn's own ``--proxy-headers --forwarded-allow-ips=...`` does the
    address and scheme part by the proxies' addresses instead of a count.)
    """

    def __init__(
        self,
        app: ASGIApp,
        x_for: int = 1,
        x_proto: int = 1,
        x_host: int = 0,
        x_port: int = 0,
        x_prefix: int = 0,
    ) -> None:
        for name, count in (
            ("x_for", x_for),
            ("x_proto", x_proto),
            ("x_host", x_host),
            ("x_port", x_port),
            ("x_prefix", x_prefix),
        ):
            if not isinstance(count, int) or count < 0:
                raise ValueError(
                    f"ProxyFix({name}={count!r}): give how many proxies set the "
                    "header, an int >= 0 (0 ignores it)"
                )
        self.app = app
        self.x_for, self.x_proto, self.x_host = x_for, x_proto, x_host
        self.x_port, self.x_prefix = x_port, x_prefix

    async def __call__(self, scope: Scope, receive: Any, send: Any) -> None:
        if scope["type"] in ("http", "websocket"):
            scope = self._fixed(scope)
        await self.app(scope, receive, send)

    def _fixed(self, scope: Scope) -> Scope:
        headers: list[tuple[bytes, bytes]] = list(scope.get("headers") or ())
        found: dict[bytes, bytes] = {}
        for key, value in headers:
            if key.startswith(b"x-forwarded-"):
                # Repeated headers count as one comma-separated list.
                found[key] = found[key] + b"," + value if key in found else value
        if not found:
            return scope
        scope = dict(scope)
        scope[ORIGINAL] = {
            "client": scope.get("client"),
            "scheme": scope.get("scheme"),
            "server": scope.get("server"),
            "root_path": scope.get("root_path", ""),
            "host": next((v for k, v in headers if k == b"host"), None),
        }
        client = _trusted_value(self.x_for, found.get(b"x-forwarded-for"))
        if client is not None:
            port = scope["client"][1] if scope.get("client") else 0
            scope["client"] = (client, port)
        proto = _trusted_value(self.x_proto, found.get(b"x-forwarded-proto"))
        if proto is not None and proto.lower() in ("http", "https"):
            secure = proto.lower() == "https"
            if scope["type"] == "websocket":
                scope["scheme"] = "wss" if secure else "ws"
            else:
                scope["scheme"] = "https" if secure else "http"
        host = _trusted_value(self.x_host, found.get(b"x-forwarded-host"))
        port = _port(_trusted_value(self.x_port, found.get(b"x-forwarded-port")))
        if host is not None or port is not None:
            headers = self._with_host(scope, headers, host, port)
            scope["headers"] = headers
        prefix = _prefix(
            _trusted_value(self.x_prefix, found.get(b"x-forwarded-prefix"))
        )
        if prefix is not None:
            scope["root_path"] = prefix + scope.get("root_path", "")
        return scope

    @staticmethod
    def _with_host(
        scope: Scope,
        headers: list[tuple[bytes, bytes]],
        host: str | None,
        port: int | None,
    ) -> list[tuple[bytes, bytes]]:
        current = next((v for k, v in headers if k == b"host"), b"").decode("latin-1")
        name = host if host is not None else current
        if port is not None:
            bare = name.rsplit(":", 1)[0] if not name.endswith("]") else name
            name = f"{bare}:{port}"
            server = scope.get("server")
            scope["server"] = (server[0] if server else bare, port)
        rest = [(k, v) for k, v in headers if k != b"host"]
        return [(b"host", name.encode("latin-1")), *rest]
