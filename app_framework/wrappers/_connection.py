"""What HTTP requests and websockets share: werkzeug's sans-IO request,
its inputs read lazily from the ASGI scope.

werkzeug's ``sansio.Request`` gives Flask's exact meaning to ``args``,
``cookies``, ``url``, ``host``, ``authorization``, ``accept_mimetypes``,
``access_route`` and the rest. Its constructor is skipped: its inputs
(method, path, headers...) are properties reading the scope, so a request
pays only for what it touches.
"""

from __future__ import annotations

from collections.abc import MutableMapping
from typing import TYPE_CHECKING, Any, Self
from urllib.parse import parse_qsl

from werkzeug.datastructures import Headers, ImmutableMultiDict
from werkzeug.http import parse_options_header
from werkzeug.sansio.http import parse_cookie
from werkzeug.sansio.request import Request as _SansIORequest
from werkzeug.sansio.utils import get_host
from werkzeug.utils import cached_property

from ..exceptions import BadRequest

if TYPE_CHECKING:
    from .._values import ReadyMultiDict
    from ..routing import Rule

__all__ = ["Connection", "route_path"]

_NO_COOKIES: ImmutableMultiDict[str, str] = ImmutableMultiDict()


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

    def body_expected(self) -> bool:
        """Whether a body is still to be read before the view runs (an HTTP
        request may say yes; a websocket has none)."""
        return False

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
        if not raw and self.dict_storage_class is ImmutableMultiDict:
            return _NO_COOKIES  # immutable, so one serves every request
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
