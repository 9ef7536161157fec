"""The test client's cookie jar, the one rule for which cookies go with a
request, websocket or session transaction, and setting cookies by hand in
Quart's and Flask's spellings.

The rule is the browsers' (http.cookiejar's default policy: domain, path,
expiry, Secure), except that a Secure cookie also goes over plain ``http``
and ``ws`` to a loopback host (``localhost``, ``*.localhost``, 127.0.0.0/8,
``::1``), as browsers treat those as secure contexts. So an app setting
Secure cookies is testable on ``http://localhost``, as with Quart's client
(which sends every cookie), and a Secure cookie still stays off plain HTTP
to any other host.

The jar is httpx's (an ``http.cookiejar.CookieJar`` underneath, which is
Quart's ``client.cookie_jar``). ``client.set_cookie`` takes Quart's
``(server_name, key, value="", max_age=None, ...)`` and Flask 3's
``(key, value="", *, domain=..., origin_only=True, path="/", ...)``: the
arguments given tell which one is meant (see :func:`cookie_to_set`).
"""

from __future__ import annotations

import inspect
import ipaddress
import urllib.request
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from http.cookiejar import Cookie as JarCookie
from http.cookiejar import CookieJar, DefaultCookiePolicy
from typing import Any
from urllib.parse import urlsplit

import httpx
import werkzeug.test
from werkzeug.http import dump_cookie, parse_cookie

__all__ = [
    "CookieToSet",
    "LoopbackSecurePolicy",
    "apply_cookie_rule",
    "cookie_header",
    "cookie_to_delete",
    "cookie_to_set",
    "find_cookie",
    "store_cookie",
]


def is_loopback(host: str) -> bool:
    """Whether ``host`` (no port) names this machine."""
    host = host.strip("[]").lower()
    if host == "localhost" or host.endswith(".localhost"):
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


class LoopbackSecurePolicy(DefaultCookiePolicy):
    """http.cookiejar's default policy, letting Secure cookies go to a
    loopback host over plain ``http``/``ws`` too (see the module docstring)."""

    def return_ok_secure(
        self, cookie: JarCookie, request: urllib.request.Request
    ) -> bool:
        """Whether a Secure ``cookie`` may go with ``request``."""
        if super().return_ok_secure(cookie, request):
            return True
        return is_loopback(urlsplit(request.get_full_url()).hostname or "")


def cookie_header(cookies: httpx.Cookies, url: str) -> str | None:
    """The ``Cookie`` header the jar gives a request to ``url`` (``http``,
    ``https``, ``ws`` or ``wss``) by its policy; None when no cookie goes."""
    probe = httpx.Request("GET", url)
    cookies.set_cookie_header(probe)
    value: str | None = probe.headers.get("cookie")
    return value


def apply_cookie_rule(cookies: httpx.Cookies, request: httpx.Request) -> None:
    """Give ``request`` the ``Cookie`` header the jar's policy allows.

    httpx copies the jar for each request (and each redirect) without its
    policy, so a Secure cookie is held back from plain HTTP to localhost;
    its header is replaced here, where every request passes. A header it
    did not make (one given by hand) is left alone.
    """
    url = request.url
    if url.scheme in ("https", "wss") or not is_loopback(url.host):
        return  # the default policy and ours agree
    if not any(stored.secure for stored in cookies.jar):
        return
    by_default = CookieJar()  # DefaultCookiePolicy: what httpx's copy used
    for stored in cookies.jar:
        by_default.set_cookie(stored)
    if request.headers.get("cookie") != cookie_header(
        httpx.Cookies(by_default), str(url)
    ):
        return
    ours = cookie_header(cookies, str(url))
    if ours is not None:
        request.headers["cookie"] = ours


@dataclass
class CookieToSet:
    """A ``Set-Cookie`` header, and the URL it is taken as coming from."""

    url: str
    header: str


def _quart_set(
    server_name: str | None,
    key: str,
    value: str = "",
    max_age: int | timedelta | None = None,
    expires: int | float | datetime | None = None,
    path: str = "/",
    domain: str | None = None,
    secure: bool = False,
    httponly: bool = False,
    samesite: str | None = None,
    charset: str = "utf-8",
) -> None:
    """Quart's ``set_cookie`` parameters (only the signature is used)."""


def _flask_set(
    key: str,
    value: str = "",
    *,
    domain: str | None = None,
    origin_only: bool = True,
    path: str = "/",
    max_age: int | timedelta | None = None,
    expires: int | float | datetime | None = None,
    secure: bool = False,
    httponly: bool = False,
    samesite: str | None = None,
    partitioned: bool = False,
    sync_expires: bool = True,
    max_size: int = 4093,
) -> None:
    """Flask 3's ``set_cookie`` parameters (only the signature is used)."""


_QUART_SET = inspect.signature(_quart_set)
_FLASK_SET = inspect.signature(_flask_set)


def _bind(
    signature: inspect.Signature, args: tuple[Any, ...], kwargs: Mapping[str, Any]
) -> dict[str, Any] | None:
    """The arguments bound to ``signature`` with defaults, or None when they
    do not fit it."""
    try:
        bound = signature.bind(*args, **kwargs)
    except TypeError:
        return None
    bound.apply_defaults()
    return dict(bound.arguments)


def _looks_like_host(name: Any) -> bool:
    """Whether Quart's first argument, a server name, is plainly meant: None
    (Quart's "the default host"), ``localhost``, a dotted name or address."""
    return name is None or (
        isinstance(name, str) and (name == "localhost" or "." in name or ":" in name)
    )


def cookie_to_set(
    args: tuple[Any, ...], kwargs: Mapping[str, Any], default_host: str
) -> CookieToSet:
    """The cookie ``client.set_cookie(*args, **kwargs)`` sets.

    Quart's spelling is meant when the arguments fit only it (a
    ``server_name``, three positional arguments, or two and ``value=``),
    Flask's when they fit only Flask's (one positional argument). Two
    positional arguments fit both: they are Quart's ``(server_name, key)``
    when the first is plainly a host name.

    :raises TypeError: the arguments fit neither spelling, or two positional
        arguments whose first is no host name (Flask's ``(key, value)``).
    """
    quart = _bind(_QUART_SET, args, kwargs)
    flask = _bind(_FLASK_SET, args, kwargs)
    if quart is not None and flask is not None and not _looks_like_host(args[0]):
        raise TypeError(
            f"client.set_cookie({args[0]!r}, {args[1]!r}) reads as Quart's "
            "set_cookie(server_name, key): give the value by name, as Flask's "
            f"client.set_cookie({args[0]!r}, value={args[1]!r}), or all three "
            f"as Quart's client.set_cookie('localhost', {args[0]!r}, {args[1]!r})."
        )
    if quart is not None:
        return _quart_cookie(quart, default_host)
    if flask is not None:
        return _flask_cookie(flask, default_host)
    raise TypeError(
        "client.set_cookie takes Quart's (server_name, key, value='', max_age=None, "
        "expires=None, path='/', domain=None, secure=False, httponly=False, "
        "samesite=None) or Flask's (key, value='', *, domain='localhost', "
        f"origin_only=True, path='/', **dump_cookie_options), not {args!r} {kwargs!r}"
    )


def _quart_cookie(arguments: dict[str, Any], default_host: str) -> CookieToSet:
    host = arguments.pop("server_name") or default_host
    path = arguments["path"]
    del arguments["charset"]  # Quart's old parameter: values are text already
    return CookieToSet(f"http://{host}{path}", dump_cookie(**arguments))


def _flask_cookie(arguments: dict[str, Any], default_host: str) -> CookieToSet:
    host = arguments.pop("domain") or default_host
    # origin_only: a host-only cookie (no Domain attribute); otherwise the
    # Domain attribute lets subdomains have it too, as Flask's client does.
    domain = None if arguments.pop("origin_only") else host
    path = arguments["path"]
    return CookieToSet(f"http://{host}{path}", dump_cookie(domain=domain, **arguments))


def _quart_delete(
    server_name: str | None, key: str, path: str = "/", domain: str | None = None
) -> None:
    """Quart's ``delete_cookie`` parameters (only the signature is used)."""


def _flask_delete(key: str, *, domain: str | None = None, path: str = "/") -> None:
    """Flask 3's ``delete_cookie`` parameters (only the signature is used)."""


_QUART_DELETE = inspect.signature(_quart_delete)
_FLASK_DELETE = inspect.signature(_flask_delete)


def cookie_to_delete(
    args: tuple[Any, ...], kwargs: Mapping[str, Any], default_host: str
) -> CookieToSet:
    """The expired cookie ``client.delete_cookie(*args, **kwargs)`` sets:
    Quart's ``(server_name, key, path="/", domain=None)`` (two positional
    arguments, or ``key=``) or Flask's ``(key, *, domain=..., path="/")``
    (one). The two never fit the same arguments.

    :raises TypeError: the arguments fit neither.
    """
    quart = _bind(_QUART_DELETE, args, kwargs)
    if quart is not None:
        host = quart["server_name"] or default_host
        domain = quart["domain"]
    else:
        flask = _bind(_FLASK_DELETE, args, kwargs)
        if flask is None:
            raise TypeError(
                "client.delete_cookie takes Quart's (server_name, key, path='/', "
                "domain=None) or Flask's (key, *, domain='localhost', path='/'), "
                f"not {args!r} {kwargs!r}"
            )
        quart = flask
        host = flask["domain"] or default_host
        domain = None
    path = quart["path"]
    header = dump_cookie(
        quart["key"], "", max_age=0, expires=0, path=path, domain=domain
    )
    return CookieToSet(f"http://{host}{path}", header)


def store_cookie(cookies: httpx.Cookies, cookie: CookieToSet) -> None:
    """Put ``cookie`` in the jar as if its URL had answered with it (an
    expired one removes the cookie it names)."""
    reply = httpx.Response(
        200,
        headers=[("set-cookie", cookie.header)],
        request=httpx.Request("GET", cookie.url),
    )
    cookies.extract_cookies(reply)


def _stored_domain(domain: str) -> set[str]:
    """The domains the jar may store a cookie of ``domain`` under: the host
    itself, with a dot in front (a Domain attribute), or with ``.local``
    after (http.cookiejar's name for a dotless host)."""
    names = {domain, f".{domain}"}
    if "." not in domain:
        names.add(f"{domain}.local")
    return names


def find_cookie(
    cookies: httpx.Cookies, key: str, domain: str, path: str
) -> werkzeug.test.Cookie | None:
    """The jar's cookie named ``key`` for ``domain`` and ``path``, as the
    ``Cookie`` Flask's ``client.get_cookie`` returns."""
    domains = _stored_domain(domain)
    for stored in cookies.jar:
        if stored.name == key and stored.domain in domains and stored.path == path:
            return _as_werkzeug(stored, domain)
    return None


def _as_werkzeug(stored: JarCookie, domain: str) -> werkzeug.test.Cookie:
    value = stored.value or ""
    decoded = parse_cookie(f"{stored.name}={value}")
    expires = stored.expires
    return werkzeug.test.Cookie(
        key=stored.name,
        value=value,
        decoded_key=stored.name,
        decoded_value=decoded.get(stored.name, value),
        expires=None if expires is None else datetime.fromtimestamp(expires, UTC),
        max_age=None,  # the jar keeps the expiry time only
        domain=domain,
        origin_only=not stored.domain_specified,
        path=stored.path,
        secure=stored.secure,
        http_only=_attribute(stored, "httponly") is not None,
        same_site=_attribute(stored, "samesite"),
    )


def _attribute(stored: JarCookie, name: str) -> str | None:
    """A cookie attribute the jar keeps as non-standard (HttpOnly, SameSite):
    its value, ``""`` for a flag, None when absent."""
    rest: dict[str, str | None] = getattr(stored, "_rest", {})
    for key, value in rest.items():
        if key.lower() == name:
            return value or ""
    return None
