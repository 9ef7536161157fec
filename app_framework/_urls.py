"""Building URLs: ``url_for`` as Flask builds them.

In a request, URLs are relative and start with the mount point; outside
one they are absolute, built from ``SERVER_NAME``, ``APPLICATION_ROOT`` and
``PREFERRED_URL_SCHEME``. With ``SERVER_NAME`` set, an absolute URL uses
it, never the request's ``Host`` header (which a client controls). A rule
on another subdomain or host gives an absolute URL.
"""

from __future__ import annotations

import sys
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any
from urllib.parse import quote, urlencode

from .globals import _cv_request, app_context
from .routing import BuildError, Rule, blueprint_names, each

if TYPE_CHECKING:
    from .app import App
    from .ctx import RequestContext

__all__ = ["url_for"]

_ANCHOR_SAFE = "%!#$&'()*+,/:;=?@"
_WS_TO_HTTP = {"ws": "http", "wss": "https"}


def url_for(
    endpoint: str,
    *,
    _anchor: str | None = None,
    _method: str | None = None,
    _scheme: str | None = None,
    _external: bool | None = None,
    **values: Any,
) -> str:
    """The URL of ``endpoint`` with ``values`` for its rule's parts; extra
    values become the query string. ``".view"`` is the current blueprint's
    view. In a request the URL is relative unless ``_external`` (or a
    ``_scheme``) is given; outside one it is absolute.

    :raises RuntimeError: outside an application context, or outside a
        request with no ``SERVER_NAME`` set.
    :raises ValueError: ``_scheme`` with ``_external=False``.
    :raises BuildError: unknown endpoint or unsuitable values (after the
        app's ``url_build_error_handlers`` had their say).
    """
    app = app_context().app
    ctx = _cv_request.get(None)
    if endpoint.startswith("."):
        blueprint = ctx.connection.blueprint if ctx is not None else None
        endpoint = f"{blueprint}{endpoint}" if blueprint else endpoint[1:]
    if ctx is None:
        if not app.config["SERVER_NAME"]:
            raise RuntimeError(
                "Unable to build URLs outside an active request without "
                "'SERVER_NAME' configured. Also configure 'APPLICATION_ROOT' "
                "and 'PREFERRED_URL_SCHEME' as needed."
            )
        external = True if _external is None else _external
    else:
        # A scheme makes no sense on a relative URL: asking for one asks
        # for an absolute URL (Flask's rule).
        external = _scheme is not None if _external is None else _external
    if _scheme is not None and not external:
        raise ValueError(
            "When specifying '_scheme', '_external' must be True: drop "
            "'_external=False' (a scheme implies an absolute URL)."
        )
    app.inject_url_defaults(endpoint, values)
    try:
        url = build(app, ctx, endpoint, values, _method, _scheme, external)
    except BuildError as error:
        values.update(
            _anchor=_anchor, _method=_method, _scheme=_scheme, _external=external
        )
        return app.handle_url_build_error(error, endpoint, values)
    if _anchor is not None:
        url += "#" + quote(_anchor, safe=_ANCHOR_SAFE)
    return url


def inject_url_defaults(app: App, endpoint: str, values: dict[str, Any]) -> None:
    """Let the app's and the endpoint's blueprints' ``url_defaults``
    functions fill in ``values``, the app's first, the innermost
    blueprint's last (``app.inject_url_defaults``)."""
    blueprint = endpoint.rpartition(".")[0] if "." in endpoint else None
    for func in each(app.url_default_functions, blueprint_names(blueprint)):
        func(endpoint, values)


def handle_url_build_error(
    app: App, error: BuildError, endpoint: str, values: dict[str, Any]
) -> str:
    """Ask each of ``app.url_build_error_handlers`` for a URL (a handler
    returning None or raising a ``BuildError`` is passed over); raise
    ``error`` (or the last handler's) when none gives one
    (``app.handle_url_build_error``)."""
    for handler in app.url_build_error_handlers:
        try:
            url = handler(error, endpoint, values)
        except BuildError as raised:
            error = raised
        else:
            if url is not None:
                return str(url)
    if error is sys.exc_info()[1]:
        raise  # keep the traceback of where building failed
    raise error


def _choose(
    rules: list[Rule], endpoint: str, values: Mapping[str, Any], method: str | None
) -> Rule:
    # Rules with more parts, then more defaults, first (werkzeug's order),
    # so url_for("page", num=1) picks "/page/" (num defaults to 1).
    ordered = sorted(rules, key=lambda r: (-len(r.arguments), -len(r.defaults)))
    for rule in ordered:
        if rule.suitable_for(values, method):
            return rule
    needed = " or ".join(
        sorted(repr(sorted(r.arguments - set(r.defaults))) for r in rules)
    )
    raise BuildError(
        f"Could not build url for endpoint {endpoint!r} with values "
        f"{sorted(values)}"
        + (f" and method {method!r}" if method else "")
        + f". It needs {needed}.",
        endpoint,
        values,
    )


def build(
    app: App,
    ctx: RequestContext | None,
    endpoint: str,
    values: dict[str, Any],
    method: str | None,
    scheme: str | None,
    external: bool,
) -> str:
    """The URL of ``endpoint`` (see :func:`url_for`), without the anchor.

    :raises BuildError: unknown endpoint, or no rule takes these values.
    """
    rules = app.router.by_endpoint.get(endpoint)
    if not rules:
        raise BuildError(
            f"Could not build url for endpoint {endpoint!r}: no such endpoint.",
            endpoint,
            values,
        )
    rule = _choose(rules, endpoint, values, method)
    filled = {**rule.defaults, **values}
    try:
        path = rule.path.build(filled)
        place = rule.place.build(filled) if rule.place is not None else None
    except (ValueError, TypeError) as exc:
        raise BuildError(
            f"Could not build url for endpoint {endpoint!r}: {exc}", endpoint, values
        ) from None
    extra = [
        (key, value)
        for key, value in _pairs(values)
        if key not in rule.arguments and value is not None
    ]
    root = (
        ctx.connection.root_path if ctx is not None else app.config["APPLICATION_ROOT"]
    )
    url = root.rstrip("/") + path
    if extra:
        url += "?" + urlencode(extra)
    host, elsewhere = _host_for(app, ctx, rule, place)
    if not (external or elsewhere):
        return url
    return f"{_scheme_for(app, ctx, rule, scheme)}://{host}{url}"


def _pairs(values: Mapping[str, Any]) -> list[tuple[str, Any]]:
    pairs: list[tuple[str, Any]] = []
    for key, value in values.items():
        if isinstance(value, list | tuple):
            pairs.extend((key, item) for item in value)
        else:
            pairs.append((key, value))
    return pairs


def _host_for(
    app: App, ctx: RequestContext | None, rule: Rule, place: str | None
) -> tuple[str, bool]:
    """The host of the URL, and whether it differs from the request's (so
    the URL must be absolute)."""
    server: str | None = app.config["SERVER_NAME"]
    current = ctx.connection.host if ctx is not None and not server else server or ""
    settings = app.router.settings
    if settings.host_matching:
        if place is None:
            return current, False
        return place, ctx is None or place != ctx.connection.host.lower()
    if place is None or not app.router.matches_subdomains or not server:
        return current, False
    host = f"{place}.{server}" if place else server
    here = ctx.connection.host.lower() if ctx is not None else None
    return host, host.lower() != here


def _scheme_for(
    app: App, ctx: RequestContext | None, rule: Rule, scheme: str | None
) -> str:
    if scheme is None:
        if ctx is not None:
            scheme = _WS_TO_HTTP.get(ctx.connection.scheme, ctx.connection.scheme)
        else:
            scheme = app.config["PREFERRED_URL_SCHEME"]
    if rule.websocket:
        return {"http": "ws", "https": "wss"}.get(scheme, scheme)
    return scheme
