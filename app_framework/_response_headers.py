"""The headers of a response and Flask's names for them: ``headers`` with
werkzeug's methods, ``content_type``, ``mimetype``, ``location``,
``content_length``, ``last_modified``, ``expires``, ``vary``, ``allow``,
``cache_control``, ETags and cookies (werkzeug's format)."""

from __future__ import annotations

import logging
from collections.abc import Iterable, Mapping
from datetime import datetime, timedelta
from http import HTTPStatus
from typing import Any

from starlette.datastructures import MutableHeaders
from werkzeug.datastructures import HeaderSet, ResponseCacheControl
from werkzeug.http import (
    dump_cookie,
    dump_options_header,
    http_date,
    parse_cache_control_header,
    parse_date,
    parse_options_header,
    parse_set_header,
    quote_etag,
    unquote_etag,
)
from werkzeug.utils import get_content_type

__all__ = [
    "COOKIE_SIZE_LIMIT",
    "HeaderProperties",
    "ResponseHeaders",
    "checked_header",
    "raw_headers",
    "status_code_of",
]

COOKIE_SIZE_LIMIT = 4093
"""Browsers drop a ``Set-Cookie`` larger than this; it is logged."""

log = logging.getLogger("app_framework")


def checked_header(name: str, value: str) -> str:
    """``value``, after making sure neither it nor ``name`` holds a CR, LF
    or NUL: every way of putting a header in a response's list calls this.

    Such a header would end early and start another (header injection).
    The server refuses to send it, but only at send time, by dropping the
    connection with no response; raising here, where the view or hook set
    it, makes it the app's normal, logged 500 (werkzeug raises too).

    :raises ValueError: naming the header and the characters refused.
    """
    if (
        "\r" in value
        or "\n" in value
        or "\0" in value
        or "\r" in name
        or "\n" in name
        or "\0" in name
    ):
        raise ValueError(
            f"The response header {name!r}: {value!r} holds a CR, LF or NUL "
            "character, which are not allowed in a header (they would end it "
            "and start another). Remove them, or encode the value (e.g. with "
            "urllib.parse.quote)."
        )
    return value


_set, _append = MutableHeaders.__setitem__, MutableHeaders.append
_setdefault = MutableHeaders.setdefault


class ResponseHeaders(MutableHeaders):
    """The headers to send: Starlette's ``MutableHeaders`` over the raw
    list, plus werkzeug's ``add``, ``set``, ``extend``, ``remove`` and
    ``get(key, default, type=)``. A name or value holding CR, LF or NUL is
    refused with ``ValueError`` (see :func:`checked_header`)."""

    # Starlette's three ways into the list (update, add, set and extend
    # come through them), each checked.
    def __setitem__(self, key: str, value: str) -> None:
        _set(self, key, checked_header(key, value))

    def append(self, key: str, value: str) -> None:
        """Add a header, keeping others of that name."""
        _append(self, key, checked_header(key, value))

    def setdefault(self, key: str, value: str) -> str:
        """The header's value, setting it to ``value`` first if absent."""
        return _setdefault(self, key, checked_header(key, value))

    def add(self, key: str, value: Any, **options: Any) -> None:
        """Add a header (keeping others of that name); ``options`` become
        parameters: ``add("Content-Disposition", "attachment", filename="a.txt")``."""
        text = dump_options_header(str(value), options) if options else str(value)
        self.append(key, text)

    add_header = add

    def set(self, key: str, value: Any, **options: Any) -> None:
        """Replace every header of that name with one."""
        text = dump_options_header(str(value), options) if options else str(value)
        self[key] = text

    def extend(self, *args: Any, **kwargs: Any) -> None:
        """Add every header of a mapping or list of pairs."""
        for source in (*args, kwargs):
            items = source.items() if isinstance(source, Mapping) else source
            for key, value in items:
                self.add(key, value)

    def remove(self, key: str) -> None:
        """Remove every header of that name (no error when absent)."""
        if key in self:
            del self[key]

    def get(self, key: str, default: Any = None, type: Any = None) -> Any:
        """The first value of ``key``, converted by ``type`` (``default``
        when missing or when ``type`` raises ``ValueError``)."""
        value = super().get(key)
        if value is None:
            return default
        if type is None:
            return value
        try:
            return type(value)
        except ValueError:
            return default


def raw_headers(headers: Any) -> list[tuple[bytes, bytes]]:
    """The list to send for a constructor's ``headers=`` (a mapping, a list
    of pairs, or Starlette's or werkzeug's headers), each one checked."""
    if headers is None:
        return []
    items = headers.items() if hasattr(headers, "items") else headers
    return [
        (
            str(k).lower().encode("latin-1"),
            checked_header(str(k), str(v)).encode("latin-1"),
        )
        for k, v in items
    ]


def status_code_of(status: int | str | HTTPStatus) -> int:
    if isinstance(status, int):
        return int(status)
    code = status.strip().split(None, 1)[0] if status.strip() else ""
    if not code.isdigit():
        raise ValueError(f"status {status!r} does not start with a status code")
    return int(code)


class HeaderProperties:
    """Flask's header names over ``raw_headers`` (the list that is sent)."""

    raw_headers: list[tuple[bytes, bytes]]
    charset = "utf-8"

    # -- headers -------------------------------------------------------------

    @property
    def headers(self) -> ResponseHeaders:
        """The headers to send (mutable; changes are what is sent)."""
        return ResponseHeaders(raw=self.raw_headers)

    @headers.setter
    def headers(self, value: Any) -> None:
        self.raw_headers = raw_headers(value)

    @property
    def content_type(self) -> str | None:
        """The ``Content-Type`` header (settable)."""
        value: str | None = self.headers.get("content-type")
        return value

    @content_type.setter
    def content_type(self, value: str | None) -> None:
        self._set_header("content-type", value)

    @property
    def mimetype(self) -> str | None:
        """The content type without parameters; setting it adds the charset
        for text types, as Flask does."""
        value = self.headers.get("content-type")
        return parse_options_header(value)[0].lower() if value else None

    @mimetype.setter
    def mimetype(self, value: str | None) -> None:
        self.content_type = (
            None if value is None else get_content_type(value, self.charset)
        )

    @property
    def media_type(self) -> str | None:
        """Starlette's name for :attr:`mimetype` (settable)."""
        return self.mimetype

    @media_type.setter
    def media_type(self, value: str | None) -> None:
        self.mimetype = value

    @property
    def mimetype_params(self) -> dict[str, str]:
        """The content type's parameters."""
        return parse_options_header(self.headers.get("content-type") or "")[1]

    def _set_header(self, name: str, value: Any) -> None:
        if value is None:
            self.headers.remove(name)
        else:
            self.headers[name] = str(value)

    @property
    def location(self) -> str | None:
        """The ``Location`` header (settable)."""
        value: str | None = self.headers.get("location")
        return value

    @location.setter
    def location(self, value: str | None) -> None:
        self._set_header("location", value)

    @property
    def content_length(self) -> int | None:
        """The ``Content-Length`` header as an int (settable)."""
        value: int | None = self.headers.get("content-length", type=int)
        return value

    @content_length.setter
    def content_length(self, value: int | None) -> None:
        self._set_header("content-length", value)

    def _date(self, name: str) -> datetime | None:
        return parse_date(self.headers.get(name))

    def _set_date(self, name: str, value: datetime | int | float | None) -> None:
        self._set_header(name, None if value is None else http_date(value))

    last_modified = property(
        lambda self: self._date("last-modified"),
        lambda self, value: self._set_date("last-modified", value),
        doc="The ``Last-Modified`` header as a datetime (settable).",
    )
    expires = property(
        lambda self: self._date("expires"),
        lambda self, value: self._set_date("expires", value),
        doc="The ``Expires`` header as a datetime (settable).",
    )

    def _header_set(self, name: str) -> HeaderSet:
        def on_update(values: HeaderSet) -> None:
            self._set_header(name, values.to_header() or None)

        return parse_set_header(self.headers.get(name), on_update)

    @property
    def vary(self) -> HeaderSet:
        """The ``Vary`` header as a set: ``response.vary.add("Cookie")``."""
        return self._header_set("vary")

    @vary.setter
    def vary(self, values: Iterable[str] | str | None) -> None:
        if values is not None and not isinstance(values, str):
            values = ", ".join(values)
        self._set_header("vary", values or None)

    @property
    def allow(self) -> HeaderSet:
        """The ``Allow`` header as a set."""
        return self._header_set("allow")

    @property
    def cache_control(self) -> ResponseCacheControl:
        """The ``Cache-Control`` header: ``response.cache_control.max_age = 60``."""

        def on_update(control: Any) -> None:
            self._set_header("cache-control", control.to_header() or None)

        return parse_cache_control_header(
            self.headers.get("cache-control"), on_update, ResponseCacheControl
        )

    def set_etag(self, etag: str, weak: bool = False) -> None:
        """Set the ``ETag`` header (quoted)."""
        self.headers["etag"] = quote_etag(etag, weak)

    def get_etag(self) -> tuple[str, bool] | tuple[None, None]:
        """The ``ETag`` as ``(tag, is_weak)``."""
        return unquote_etag(self.headers.get("etag"))

    # -- cookies -------------------------------------------------------------

    def set_cookie(
        self,
        key: str,
        value: str = "",
        max_age: timedelta | int | None = None,
        expires: str | datetime | int | float | None = None,
        path: str | None = "/",
        domain: str | None = None,
        secure: bool = False,
        httponly: bool = False,
        samesite: str | None = None,
        partitioned: bool = False,
    ) -> None:
        """Add a ``Set-Cookie`` header (werkzeug's format, as Flask).
        A cookie over 4093 bytes, which browsers drop, is logged as a warning."""
        header = dump_cookie(
            key,
            value,
            max_age=max_age,
            expires=expires,
            path=path,
            domain=domain,
            secure=secure,
            httponly=httponly,
            max_size=0,  # checked below, logged rather than warned
            samesite=samesite,
            partitioned=partitioned,
        )
        size = len(header.encode("latin-1", "replace"))
        if size > COOKIE_SIZE_LIMIT:
            log.warning(
                "The %r cookie is %d bytes, more than browsers accept (%d); "
                "they will ignore it.",
                key,
                size,
                COOKIE_SIZE_LIMIT,
            )
        checked_header("Set-Cookie", header)  # werkzeug quotes the value only
        self.raw_headers.append((b"set-cookie", header.encode("latin-1")))

    def delete_cookie(
        self,
        key: str,
        path: str | None = "/",
        domain: str | None = None,
        secure: bool = False,
        httponly: bool = False,
        samesite: str | None = None,
        partitioned: bool = False,
    ) -> None:
        """Expire a cookie in the browser (same path and domain as set)."""
        self.set_cookie(
            key,
            expires=0,
            max_age=0,
            path=path,
            domain=domain,
            secure=secure,
            httponly=httponly,
            samesite=samesite,
            partitioned=partitioned,
        )
