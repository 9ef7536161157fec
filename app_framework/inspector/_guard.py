"""Who may open the inspector: a local Host (or one the user allowed), and
for its websocket a page of the same origin.

The inspector shows request data, and a browser will send a request there
for any page: a foreign page's websocket carries its own ``Origin``
(cross-site websocket hijacking, which a same-origin policy does not stop),
and a name the attacker controls can be made to resolve to 127.0.0.1 (DNS
rebinding: the ``Host`` is then the attacker's name). Answering only local
hosts and same-origin websockets closes both; the rule for hosts is the one
Werkzeug's debugger follows since CVE-2024-34069, with every loopback
address and a list the user can extend.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Collection

from starlette.types import Receive, Scope, Send
from werkzeug.sansio.utils import host_is_trusted

__all__ = ["LOCAL_HOSTS", "check_allowed_hosts", "refusal", "refuse"]

LOCAL_HOSTS = "localhost, *.localhost, 127.x.x.x or [::1]"
"""The hosts always answered, as the refusal names them."""

_DEFAULT_PORTS = {"http": "80", "https": "443"}
# A close reason travels in a control frame: at most 123 bytes.
_MAX_CLOSE_REASON = 123


def check_allowed_hosts(allowed_hosts: Collection[str]) -> tuple[str, ...]:
    """``allowed_hosts`` as a tuple of lower-case names.

    :raises TypeError: one string was given (it would be read letter by
        letter) or an item is not a string.
    """
    if isinstance(allowed_hosts, str | bytes) or not all(
        isinstance(host, str) for host in allowed_hosts
    ):
        raise TypeError(
            "allowed_hosts takes a list of host names, e.g. "
            f"allowed_hosts=[{allowed_hosts!r}], not {allowed_hosts!r}"
        )
    return tuple(host.lower() for host in allowed_hosts)


def refusal(scope: Scope, allowed_hosts: tuple[str, ...]) -> str | None:
    """Why this request may not see the inspector, or None when it may."""
    host = _header(scope, b"host")
    if not _is_local(host) and not (
        allowed_hosts and host_is_trusted(host, allowed_hosts)
    ):
        return _host_refusal(host)
    if scope["type"] == "websocket" and host is not None:
        origin = _header(scope, b"origin")
        own = _own_origin(scope, host)
        if origin is not None and _origin_key(origin) != _origin_key(own):
            return (
                "The signal inspector's websocket answers only its own page: "
                f"Origin {_clip(origin)} is not {own!r}."
            )
    return None


async def refuse(scope: Scope, receive: Receive, send: Send, reason: str) -> None:
    """Answer 403 with ``reason``; a websocket handshake is denied with that
    response when the server can send one, else closed with 1008 (policy
    violation) before it is accepted."""
    body = reason.encode()
    headers = [
        (b"content-type", b"text/plain; charset=utf-8"),
        (b"content-length", str(len(body)).encode()),
        (b"x-content-type-options", b"nosniff"),
    ]
    if scope["type"] == "http":
        await send({"type": "http.response.start", "status": 403, "headers": headers})
        await send({"type": "http.response.body", "body": body})
        return
    if (await receive())["type"] != "websocket.connect":
        return  # the client left before the handshake
    if "websocket.http.response" in scope.get("extensions", {}):
        start = {"type": "websocket.http.response.start", "status": 403}
        await send({**start, "headers": headers})
        await send({"type": "websocket.http.response.body", "body": body})
        return
    short = body[:_MAX_CLOSE_REASON].decode(errors="ignore")
    await send({"type": "websocket.close", "code": 1008, "reason": short})


def _header(scope: Scope, name: bytes) -> str | None:
    for key, value in scope.get("headers", ()):
        if key == name:
            return str(value.decode("latin-1"))
    return None


def _is_local(host: str | None) -> bool:
    """Whether ``host`` (a Host header: name, port optional) is this machine."""
    if not host_is_trusted(host, None):  # malformed or missing
        return False
    assert host is not None
    if host_is_trusted(host, [".localhost"]):
        return True
    name = _split(host)[0].strip("[]")
    try:
        return ipaddress.ip_address(name).is_loopback
    except ValueError:
        return False


def _split(host: str) -> tuple[str, str | None]:
    """``host`` as (name, port); the name of an IPv6 address keeps its brackets."""
    name, colon, port = host.rpartition(":")
    if not colon or name.endswith(":") or "]" in port:
        return host.lower(), None  # no port (a bare IPv6 address has colons)
    return name.lower(), port


def _own_origin(scope: Scope, host: str) -> str:
    """The origin of the page this websocket belongs to (its scheme as the
    server saw it: behind a TLS proxy, run the server with proxy headers)."""
    scheme = "https" if scope.get("scheme") in ("wss", "https") else "http"
    return f"{scheme}://{host}"


def _origin_key(origin: str) -> tuple[str, str, str] | None:
    scheme, sep, rest = origin.lower().partition("://")
    if not sep or scheme not in _DEFAULT_PORTS:
        return None  # "null" (a sandboxed or file page) or not a web origin
    name, port = _split(rest)
    return scheme, name, port or _DEFAULT_PORTS[scheme]


def _clip(value: str | None) -> str:
    return "none" if value is None else repr(value[:100])


def _host_refusal(host: str | None) -> str:
    name = "the.host.name" if host is None else _split(host)[0]
    return (
        "The signal inspector answers only on a local host "
        f"({LOCAL_HOSTS}); this request's Host is {_clip(host)}. "
        "To open it on another host, name it when installing it: "
        f"Inspector(app, allowed_hosts=[{name[:100]!r}])."
    )
