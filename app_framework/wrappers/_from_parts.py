"""``Request`` and ``Websocket`` built from their parts, as Quart's
wrappers take them (``Request(method, scheme, path, query_string, headers,
root_path, http_version, scope)``): the parts become an ASGI scope, which
is all the objects read.

Only the constructors' general path comes here; the pipeline's call,
``Request(scope, receive, max_content_length)``, does not.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from .._contextvars import _cv_app

__all__ = ["request_arguments", "websocket_arguments"]

_REQUEST_PARTS = (
    "method",
    "scheme",
    "path",
    "query_string",
    "headers",
    "root_path",
    "http_version",
    "scope",
)
_WEBSOCKET_PARTS = (
    "path",
    "query_string",
    "scheme",
    "headers",
    "root_path",
    "http_version",
    "subprotocols",
    "receive",
    "send",
    "accept",
    "close",
    "scope",
)
_REQUEST_USAGE = (
    "Request takes (scope, receive, max_content_length) or Quart's (method, "
    "scheme, path, query_string, headers, root_path, http_version, scope, *, "
    "max_content_length=None, receive=None)"
)
_WEBSOCKET_USAGE = (
    "Websocket takes (scope, receive, send, app) or Quart's (path, "
    "query_string, scheme, headers, root_path, http_version, subprotocols, "
    "receive, send, accept, close, scope, *, app=None)"
)


def request_arguments(
    given: tuple[Any, ...], options: dict[str, Any]
) -> tuple[dict[str, Any], Any, int | None]:
    """``(scope, receive, max_content_length)`` from what ``Request`` was
    given: keywords for its own arguments, or Quart's parts.

    :raises TypeError: neither form, saying what to write.
    """
    if not isinstance(given[0], str):  # its own form, with keywords
        named = _named(("scope", "receive", "max_content_length"), given, options)
        _check(named, {"scope"}, _REQUEST_USAGE)
        return named["scope"], named.get("receive"), named.get("max_content_length")
    # HTTP/2 push is gone from browsers; Quart's push callable has no use.
    options.pop("send_push_promise", None)
    if options.pop("body_timeout", None) is not None:
        raise TypeError(
            "Request has no body_timeout: wrap the read in a timeout instead "
            "(with anyio.fail_after(5): data = await request.get_data())"
        )
    named = _named(_REQUEST_PARTS, given, options)
    _check(named, set(_REQUEST_PARTS[:7]), _REQUEST_USAGE)
    scope = _scope("http", named)
    scope["method"] = named["method"].upper()
    # No receive: the Request reads a Body that request.body.append() fills.
    return scope, named.get("receive"), named.get("max_content_length")


def websocket_arguments(
    given: tuple[Any, ...], options: dict[str, Any]
) -> tuple[dict[str, Any], Any, Any, Any]:
    """``(scope, receive, send, app)`` from what ``Websocket`` was given:
    keywords for its own arguments, or Quart's parts (then the app is
    ``app=`` or the current one). Quart's ``accept`` and ``close`` callables
    are not used: accepting and closing are ASGI messages sent by ``send``.

    :raises TypeError: neither form, saying what to write.
    :raises RuntimeError: Quart's parts with no app, and no app context.
    """
    if not isinstance(given[0], str):
        named = _named(("scope", "receive", "send", "app"), given, options)
        _check(named, {"scope", "receive", "send", "app"}, _WEBSOCKET_USAGE)
        return named["scope"], named["receive"], named["send"], named["app"]
    app = options.pop("app", None)
    if app is None:
        ctx = _cv_app.get(None)
        if ctx is None:
            raise RuntimeError(
                "A Websocket built from its parts needs its app: pass app=app, "
                "or build it inside 'async with app.app_context():'."
            )
        app = ctx.app
    named = _named(_WEBSOCKET_PARTS, given, options)
    _check(named, set(_WEBSOCKET_PARTS[:9]), _WEBSOCKET_USAGE)
    scope = _scope("websocket", named)
    scope["subprotocols"] = list(named["subprotocols"])
    return scope, named["receive"], named["send"], app


def _named(
    names: tuple[str, ...], given: tuple[Any, ...], options: dict[str, Any]
) -> dict[str, Any]:
    while given and given[-1] is None:  # the constructor's defaults
        given = given[:-1]
    if len(given) > len(names):
        raise TypeError(f"too many arguments ({len(given)})")
    named = dict(zip(names, given, strict=False))
    twice = named.keys() & options.keys()
    if twice:
        raise TypeError(f"{sorted(twice)} given both by position and by name")
    named.update(options)
    return named


def _check(named: dict[str, Any], required: set[str], usage: str) -> None:
    missing = required - named.keys()
    unknown = (
        named.keys()
        - set(_REQUEST_PARTS + _WEBSOCKET_PARTS)
        - {
            "max_content_length",
            "receive",
            "app",
        }
    )
    if missing or unknown:
        wrong = ", ".join(sorted(missing | unknown))
        raise TypeError(f"{usage}; missing or unknown: {wrong}")


def _scope(kind: str, named: dict[str, Any]) -> dict[str, Any]:
    """The ASGI scope the parts describe, on top of the one given (its
    client, server, state and extensions are kept). Quart's path is below
    ``root_path``; ASGI's includes it."""
    root_path: str = named["root_path"]
    path = root_path.rstrip("/") + named["path"] if root_path else named["path"]
    scope = dict(named.get("scope") or {})
    scope.update(
        type=kind,
        scheme=named["scheme"],
        path=path,
        raw_path=path.encode("utf-8"),
        query_string=named["query_string"],
        root_path=root_path,
        http_version=named["http_version"],
        headers=_raw_headers(named["headers"]),
    )
    return scope


def _raw_headers(headers: Any) -> list[tuple[bytes, bytes]]:
    """werkzeug ``Headers``, a mapping or pairs, as ASGI's raw pairs."""
    items: Iterable[tuple[Any, Any]] = (
        headers.items() if hasattr(headers, "items") else headers
    )
    return [
        (str(name).lower().encode("latin-1"), str(value).encode("latin-1"))
        for name, value in items
    ]
