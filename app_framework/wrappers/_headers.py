"""The headers of a response and Flask's names for them: ``headers`` with
werkzeug's methods, every header property of werkzeug's sans-IO response
(``vary``, ``cache_control``, ``access_control_allow_origin``,
``retry_after``, ``www_authenticate``...), ETags and cookies (werkzeug's
format)."""

from __future__ import annotations

import logging
import warnings
from collections.abc import Iterable, Mapping
from datetime import datetime, timedelta
from http import HTTPStatus
from typing import TYPE_CHECKING, Any, Generic, TypeVar

from starlette.datastructures import MutableHeaders
from werkzeug.datastructures import (
    ContentRange,
    ContentSecurityPolicy,
    HeaderSet,
    ResponseCacheControl,
    WWWAuthenticate,
)
from werkzeug.http import (
    COEP,
    COOP,
    dump_cookie,
    dump_options_header,
    http_date,
    parse_date,
    parse_options_header,
    quote_etag,
    unquote_etag,
)
from werkzeug.sansio.response import Response as _SansIOResponse
from werkzeug.utils import get_content_type

from .._contextvars import _cv_app

__all__ = [
    "COOKIE_SIZE_LIMIT",
    "HeaderFields",
    "HeaderProperties",
    "ResponseHeaders",
    "checked_header",
    "raw_headers",
    "status_code_of",
]

COOKIE_SIZE_LIMIT = 4093
"""Browsers drop a ``Set-Cookie`` larger than this: the default of
``MAX_COOKIE_SIZE`` and of :attr:`HeaderProperties.max_cookie_size` outside
an app context."""

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
_NO_DEFAULT: Any = object()


class ResponseHeaders(MutableHeaders):
    """The headers to send: Starlette's ``MutableHeaders`` over the raw
    list, plus werkzeug's ``add``, ``set``, ``extend``, ``remove``, ``pop``
    and ``get(key, default, type=)``. A name or value holding CR, LF or NUL is
    refused with ``ValueError`` (see :func:`checked_header`)."""

    # Starlette's three ways into the list (update, add, set and extend
    # come through them), each checked.
    def __setitem__(self, key: str, value: Any) -> None:
        """Replace every header of that name with one. A value that is not
        ``str`` is written as ``str(value)`` (werkzeug's ``Headers`` does the
        same); ``None`` removes the header, where werkzeug would send the
        text ``None``: werkzeug's header properties assign what they are
        given, so ``response.access_control_allow_origin = None`` comes here."""
        if value is None:
            del self[key]
            return
        text = value if isinstance(value, str) else str(value)
        _set(self, key, checked_header(key, text))

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

    def pop(self, key: str, default: Any = _NO_DEFAULT) -> Any:
        """Remove every header of that name and return the first value
        (``default`` when absent).

        :raises KeyError: absent, and no ``default`` given.
        """
        value = super().get(key)
        if value is None:
            if default is _NO_DEFAULT:
                raise KeyError(key)
            return default
        del self[key]
        return value

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
    if not isinstance(status, str):
        # Often a tuple's parts in the wrong order: (body, headers, status).
        raise TypeError(
            f"a status is an int, an HTTPStatus or a str such as '404 NOT FOUND',"
            f" not {type(status).__name__} ({status!r}); a response tuple is "
            "(body, status, headers)"
        )
    code = status.strip().split(None, 1)[0] if status.strip() else ""
    if not code.isdigit():
        raise ValueError(f"status {status!r} does not start with a status code")
    return int(code)


_Get = TypeVar("_Get", covariant=True)
_Set = TypeVar("_Set", contravariant=True)
_SetSet = str | Mapping[str, str | int] | Iterable[str] | None  # a set header's


class _Readable(Generic[_Get]):
    """How mypy sees a borrowed read-only werkzeug ``property``: its
    getter's ``self`` is werkzeug's response, so it cannot see it as ours."""

    if TYPE_CHECKING:

        def __get__(self, obj: object, owner: type | None = None) -> _Get: ...


class _Settable(_Readable[_Get], Generic[_Get, _Set]):
    """How mypy sees a borrowed settable werkzeug ``property``."""

    if TYPE_CHECKING:

        def __set__(self, obj: object, value: _Set) -> None: ...
        def __delete__(self, obj: object) -> None: ...


_Text = _Settable[str | None, str | None]
_Date = _Settable[datetime | None, datetime | int | float | None]
_AlwaysSet = _Settable[HeaderSet, _SetSet]
_OptionalSet = _Settable[HeaderSet | None, _SetSet]
_Policy = _Settable[ContentSecurityPolicy, ContentSecurityPolicy | str | None]


def _werkzeugs(name: str) -> Any:
    """werkzeug's descriptor ``name`` itself (a ``property`` or a
    ``header_property``; typed where it is used, with the classes above)."""
    return vars(_SansIOResponse)[name]


class HeaderFields:
    """werkzeug's header properties, the descriptors of its sans-IO
    ``Response`` themselves (not copies), for a class whose ``headers``
    reads and writes as werkzeug's ``Headers`` does (``get``, ``in``,
    ``[]`` giving the first value, ``[]=``, ``del``, ``pop``, ``set``,
    ``add``). Each reads and writes ``self.headers``, so a value set is a
    header sent, and a header received is a value read.

    :class:`HeaderProperties` (a response) and the test client's response
    take them all; a test checks that none of werkzeug's is missing.
    """

    # Typed as they behave here: a header absent reads as None, and None
    # written removes the header (see ResponseHeaders.__setitem__) except
    # where werkzeug converts it first (a date: now; a number: "None").
    location: _Text = _werkzeugs("location")
    content_type: _Text = _werkzeugs("content_type")
    content_location: _Text = _werkzeugs("content_location")
    content_encoding: _Text = _werkzeugs("content_encoding")
    content_md5: _Text = _werkzeugs("content_md5")
    accept_ranges: _Text = _werkzeugs("accept_ranges")
    access_control_allow_origin: _Text = _werkzeugs("access_control_allow_origin")
    content_length: _Settable[int | None, int] = _werkzeugs("content_length")
    access_control_max_age: _Settable[int | None, int] = _werkzeugs(
        "access_control_max_age"
    )
    age: _Settable[timedelta | None, timedelta | int | None] = _werkzeugs("age")
    date: _Date = _werkzeugs("date")
    last_modified: _Date = _werkzeugs("last_modified")
    expires: _Date = _werkzeugs("expires")
    retry_after: _Settable[datetime | None, datetime | int | str | None] = _werkzeugs(
        "retry_after"
    )
    access_control_allow_headers: _OptionalSet = _werkzeugs(
        "access_control_allow_headers"
    )
    access_control_allow_methods: _OptionalSet = _werkzeugs(
        "access_control_allow_methods"
    )
    access_control_expose_headers: _OptionalSet = _werkzeugs(
        "access_control_expose_headers"
    )
    access_control_allow_credentials: _Settable[bool, bool | None] = _werkzeugs(
        "access_control_allow_credentials"
    )
    cross_origin_opener_policy: _Settable[COOP, COOP] = _werkzeugs(
        "cross_origin_opener_policy"
    )
    cross_origin_embedder_policy: _Settable[COEP, COEP] = _werkzeugs(
        "cross_origin_embedder_policy"
    )
    # These read as an object even when the header is absent; changing
    # the object rewrites the header.
    vary: _AlwaysSet = _werkzeugs("vary")
    allow: _AlwaysSet = _werkzeugs("allow")
    content_language: _AlwaysSet = _werkzeugs("content_language")
    mimetype_params: _Readable[dict[str, str]] = _werkzeugs("mimetype_params")
    cache_control: _Readable[ResponseCacheControl] = _werkzeugs("cache_control")
    content_range: _Settable[ContentRange, ContentRange | str | None] = _werkzeugs(
        "content_range"
    )
    www_authenticate: _Settable[
        WWWAuthenticate, WWWAuthenticate | list[WWWAuthenticate] | None
    ] = _werkzeugs("www_authenticate")
    content_security_policy: _Policy = _werkzeugs("content_security_policy")
    content_security_policy_report_only: _Policy = _werkzeugs(
        "content_security_policy_report_only"
    )

    headers: Any

    # werkzeug's two ETag methods, whose ``self`` mypy would refuse too.
    def set_etag(self, etag: str, weak: bool = False) -> None:
        """Set the ``ETag`` header (quoted)."""
        self.headers["etag"] = quote_etag(etag, weak)

    def get_etag(self) -> tuple[str, bool] | tuple[None, None]:
        """The ``ETag`` as ``(tag, is_weak)``."""
        return unquote_etag(self.headers.get("etag"))


def _check_cookie_size(key: str, header: str, limit: int) -> None:
    # Warned, as werkzeug does (what Flask's users and tests look for), and
    # logged: a warning shows once per place in the code, while the log
    # records each oversized cookie in the app's logs.
    size = len(header.encode("latin-1", "replace"))
    if not limit or size <= limit:
        return
    message = (
        f"The {key!r} cookie is too large: its Set-Cookie header is {size} "
        f"bytes, over MAX_COOKIE_SIZE ({limit}); browsers will ignore it."
    )
    log.warning("%s", message)
    warnings.warn(message, UserWarning, stacklevel=3)


class HeaderProperties(HeaderFields):
    """Flask's header names over ``raw_headers`` (the list that is sent):
    werkzeug's (:class:`HeaderFields`), and ours where they differ."""

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

    def _set_header(self, name: str, value: Any) -> None:
        if value is None:
            self.headers.remove(name)
        else:
            self.headers[name] = str(value)

    # werkzeug's would write None as the text "None" (Content-Length) or as
    # the current time (the dates); here None removes the header.
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

    # -- cookies -------------------------------------------------------------

    @property
    def max_cookie_size(self) -> int:
        """The largest ``Set-Cookie`` header :meth:`set_cookie` lets pass
        silently: the current app's ``MAX_COOKIE_SIZE``, else 4093 (0: no
        check)."""
        ctx = _cv_app.get(None)
        if ctx is None:
            return COOKIE_SIZE_LIMIT
        return int(ctx.app.config.get("MAX_COOKIE_SIZE", COOKIE_SIZE_LIMIT))

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
        A header over :attr:`max_cookie_size` bytes, which browsers drop,
        is warned about (``UserWarning``, as werkzeug) and logged."""
        header = dump_cookie(
            key,
            value,
            max_age=max_age,
            expires=expires,
            path=path,
            domain=domain,
            secure=secure,
            httponly=httponly,
            max_size=0,  # checked below, logged as well as warned
            samesite=samesite,
            partitioned=partitioned,
        )
        _check_cookie_size(key, header, self.max_cookie_size)
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
