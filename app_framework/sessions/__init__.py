"""Sessions in signed cookies (itsdangerous), behind a replaceable interface."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from .._json_tag import TaggedJSONSerializer

if TYPE_CHECKING:
    from itsdangerous import URLSafeTimedSerializer
    from starlette.responses import Response

    from ..app import App
    from ..wrappers import Connection

__all__ = [
    "WEBSOCKET_SESSION",
    "NullSession",
    "SecureCookieSession",
    "SecureCookieSessionInterface",
    "Session",
    "SessionInterface",
    "dumps_session",
    "read_only_in_websocket",
    "session_json_serializer",
]

session_json_serializer = TaggedJSONSerializer()
"""The serializer both session interfaces store data with (Flask's name):
a tag registered on it (``app.session_interface.serializer.register``)
applies to every app's cookie and Redis sessions."""

WEBSOCKET_SESSION = (
    "The session is read-only in a websocket: a websocket has no response to "
    "carry the session's cookie, so a change would be lost. Change the "
    "session in an HTTP request (before opening the websocket, or from a "
    "fetch() the page makes)."
)


def read_only_in_websocket(session: Session, connection: Connection) -> Session:
    """``session``, marked read-only when ``connection`` is a websocket: for
    a session interface whose store is a cookie, which a websocket cannot
    set (Quart drops such a change with a logged error; here it raises
    where it is made)."""
    if connection.scope["type"] == "websocket" and not isinstance(session, NullSession):
        session.read_only = WEBSOCKET_SESSION
    return session


def dumps_session(dumps: Callable[[Any], Any], session: Session) -> Any:
    """``dumps(dict(session))``, the session's data as its interface stores it.

    :raises TypeError: a value ``dumps`` cannot store, naming the session
        key and the value's type and saying what to store instead (the
        JSON error alone names neither, and comes after the view returned).
    """
    data = dict(session)
    try:
        return dumps(data)
    except (TypeError, ValueError) as exc:
        raise TypeError(_unstorable(dumps, data)) from exc


def _unstorable(dumps: Callable[[Any], Any], data: dict[str, Any]) -> str:
    """What to say about the first value of ``data`` that ``dumps`` refuses."""
    for key, value in data.items():
        if not _stores(dumps, value):
            found = _refused_part(dumps, value)
            where = "holds" if found is value else "contains"
            return (
                f"session[{key!r}] {where} a {type(found).__module__}."
                f"{type(found).__qualname__}, which the session cannot store: it "
                "keeps JSON types (str, int, float, bool, None, lists, dicts with "
                "str keys) and tuples, bytes, datetime, UUID and Markup. Store a "
                "plain value instead, e.g. str(value) for a Decimal, "
                "value.isoformat() for a date, a list for a set; or register a "
                "JSONTag for the type on app.session_interface.serializer."
            )
    return "the session cannot be stored as JSON"  # e.g. a circular reference


def _stores(dumps: Callable[[Any], Any], value: Any) -> bool:
    try:
        dumps(value)
    except (TypeError, ValueError):
        return False
    return True


def _refused_part(dumps: Callable[[Any], Any], value: Any) -> Any:
    """The innermost part of ``value`` that ``dumps`` refuses (``value``
    itself when none of its parts is refused)."""
    if isinstance(value, dict):
        parts: Any = value.values()
    elif isinstance(value, list | tuple):
        parts = value
    else:
        return value
    for part in parts:
        if not _stores(dumps, part):
            return _refused_part(dumps, part)
    return value


class Session(dict[str, Any]):
    """The session: a dict that records whether it was changed or read.

    A nested change (``session["cart"].append(x)``) is not seen; set
    ``session.modified = True`` after one.
    """

    # Class defaults, set on the instance only when they change: an
    # untouched session then costs one dict, not a dict and its __dict__.
    modified = False
    """Whether the session was changed (and must be saved)."""
    accessed = False
    """Whether the session was read or changed (the response varies by cookie)."""

    @property
    def permanent(self) -> bool:
        """Whether the cookie outlives the browser session
        (for ``PERMANENT_SESSION_LIFETIME``)."""
        return bool(self.get("_permanent", False))

    @permanent.setter
    def permanent(self, value: bool) -> None:
        self["_permanent"] = bool(value)

    def __getitem__(self, key: str) -> Any:
        self.accessed = True
        return super().__getitem__(key)

    def get(self, key: str, default: Any = None) -> Any:
        self.accessed = True
        return super().get(key, default)

    read_only: str | None = None
    """Why the session cannot be changed here (a websocket), or None."""

    def _change(self) -> None:
        if self.read_only is not None:
            raise RuntimeError(self.read_only)
        self.modified = self.accessed = True

    def __setitem__(self, key: str, value: Any) -> None:
        self._change()
        super().__setitem__(key, value)

    def __delitem__(self, key: str) -> None:
        self._change()
        super().__delitem__(key)

    def setdefault(self, key: str, default: Any = None) -> Any:
        if key not in self:
            self[key] = default
        return self[key]

    def pop(self, key: str, *default: Any) -> Any:
        self._change()
        return super().pop(key, *default)

    def popitem(self) -> tuple[str, Any]:
        self._change()
        return super().popitem()

    def update(self, *args: Any, **kwargs: Any) -> None:
        self._change()
        super().update(*args, **kwargs)

    def clear(self) -> None:
        self._change()
        super().clear()


SecureCookieSession = Session
"""Flask's and Quart's name for the session class the cookie interface
opens; here every interface opens a :class:`Session`."""


class NullSession(Session):
    """The session when no ``SECRET_KEY`` is set: readable, empty, unwritable.
    Immutable, so one instance serves every request."""

    def __getitem__(self, key: str) -> Any:
        return dict.__getitem__(self, key)

    def get(self, key: str, default: Any = None) -> Any:
        return default

    def _refuse(self, *args: Any, **kwargs: Any) -> Any:
        raise RuntimeError(
            "The session is unavailable because no SECRET_KEY is set. Set "
            "app.config['SECRET_KEY'] to a long random string (for example "
            "from 'python -c \"import secrets; print(secrets.token_hex())\"')."
        )

    __setitem__ = __delitem__ = clear = pop = popitem = update = setdefault = _refuse


class SessionInterface:
    """How sessions are loaded and saved; subclass it for server-side stores
    and set ``app.session_interface``. ``open_session`` and ``save_session``
    may be async, or plain methods as Flask's are (they then run on the
    event loop: keep them quick); ``open_session`` returning None means the
    null session. The cookie settings come from the ``get_cookie_*``
    methods, as in Flask."""

    null_session_class = NullSession
    _null: Session | None = None

    def null_session(self, app: App) -> Session:
        """The session to use when a real one cannot be had (shared: it
        cannot be changed)."""
        null = self._null
        if null is None:
            null = self._null = self.null_session_class()
        return null

    def is_null_session(self, session: Session) -> bool:
        """Whether ``session`` is a null session (never saved)."""
        return isinstance(session, self.null_session_class)

    def get_cookie_name(self, app: App) -> str:
        """``SESSION_COOKIE_NAME``."""
        name: str = app.config["SESSION_COOKIE_NAME"]
        return name

    def get_cookie_domain(self, app: App) -> str | None:
        """``SESSION_COOKIE_DOMAIN`` (None: the request's host only)."""
        domain: str | None = app.config["SESSION_COOKIE_DOMAIN"]
        return domain

    def get_cookie_path(self, app: App) -> str:
        """``SESSION_COOKIE_PATH``, else ``APPLICATION_ROOT``."""
        path: str = app.config["SESSION_COOKIE_PATH"] or app.config["APPLICATION_ROOT"]
        return path

    def get_cookie_httponly(self, app: App) -> bool:
        """``SESSION_COOKIE_HTTPONLY``."""
        return bool(app.config["SESSION_COOKIE_HTTPONLY"])

    def get_cookie_secure(self, app: App) -> bool:
        """``SESSION_COOKIE_SECURE``."""
        return bool(app.config["SESSION_COOKIE_SECURE"])

    def get_cookie_samesite(self, app: App) -> str | None:
        """``SESSION_COOKIE_SAMESITE``."""
        samesite: str | None = app.config["SESSION_COOKIE_SAMESITE"]
        return samesite

    def get_cookie_partitioned(self, app: App) -> bool:
        """``SESSION_COOKIE_PARTITIONED`` (CHIPS)."""
        return bool(app.config["SESSION_COOKIE_PARTITIONED"])

    def cookie_options(self, app: App) -> dict[str, Any]:
        """The session cookie's attributes, from the ``get_cookie_*``
        methods above (overriding one of them changes what is sent)."""
        return {
            "path": self.get_cookie_path(app),
            "domain": self.get_cookie_domain(app),
            "secure": self.get_cookie_secure(app),
            "httponly": self.get_cookie_httponly(app),
            "samesite": self.get_cookie_samesite(app),
            "partitioned": self.get_cookie_partitioned(app),
        }

    def set_session_cookie(
        self,
        app: App,
        response: Response,
        value: str,
        expires: datetime | None,
        max_age: int | None = None,
    ) -> None:
        """Set the session cookie to ``value`` (and vary by ``Cookie``)."""
        target: Any = response  # ours (werkzeug's cookies) or any Starlette one
        target.set_cookie(
            self.get_cookie_name(app),
            value,
            max_age=max_age,
            expires=expires,
            **self.cookie_options(app),
        )
        vary_on_cookie(response)

    def delete_session_cookie(self, app: App, response: Response) -> None:
        """Delete the session cookie (with the attributes it was set with)."""
        target: Any = response
        target.delete_cookie(self.get_cookie_name(app), **self.cookie_options(app))

    def get_expiration_time(self, app: App, session: Session) -> datetime | None:
        """When a permanent session's cookie expires (None: at browser close)."""
        if session.permanent:
            return datetime.now(UTC) + app.permanent_session_lifetime
        return None

    def should_set_cookie(self, app: App, session: Session) -> bool:
        """Whether to send the cookie: the session changed, or it is
        permanent and ``SESSION_REFRESH_EACH_REQUEST`` is on."""
        return session.modified or (
            session.permanent and bool(app.config["SESSION_REFRESH_EACH_REQUEST"])
        )

    def opens_null(self, app: App) -> bool:
        """Whether :meth:`open_session` would give the null session for
        every request of ``app`` now (then it is not called: an interface
        that can tell spares each request a coroutine)."""
        return False

    def open_session(
        self, app: App, request: Connection
    ) -> Session | None | Awaitable[Session | None]:
        """Load the session of ``request`` (an HTTP request or a websocket);
        never raise for bad client input. None: the null session."""
        raise NotImplementedError

    def save_session(
        self, app: App, session: Session, response: Response | None
    ) -> Awaitable[None] | None:
        """Persist ``session`` and set whatever cookie points at it.
        ``response`` is None when a websocket ends (as in Quart): a store on
        the server can still save what the websocket changed."""
        raise NotImplementedError


class SecureCookieSessionInterface(SessionInterface):
    """The default: the whole session, as tagged JSON (:attr:`serializer`),
    in a signed cookie.

    Signed with ``SECRET_KEY``; cookies signed with a key listed in
    ``SECRET_KEY_FALLBACKS`` are still accepted, so keys can be rotated. A
    tampered, expired or garbled cookie opens as an empty session.
    """

    salt = "app_framework.session"
    serializer = session_json_serializer
    """How the session's data becomes the cookie's payload (tagged JSON: a
    datetime, bytes, UUID, tuple or Markup reads back with its type; a
    cookie of plain JSON, as written before, still loads). Anything with
    ``dumps`` and ``loads``; register a ``JSONTag`` on it for a new type."""

    def __init__(self) -> None:
        # Signers by key set: building one per request would cost more than
        # the rest of opening a session.
        self._signers: dict[tuple[Any, ...], URLSafeTimedSerializer] = {}

    def get_signing_serializer(self, app: App) -> URLSafeTimedSerializer | None:
        """The signer for ``app``'s keys, with :attr:`serializer` for the
        payload, or None without ``SECRET_KEY``."""
        config = app.config
        key = config["SECRET_KEY"]
        if not key:
            return None
        keys = (*config["SECRET_KEY_FALLBACKS"], key)  # the last one signs
        cache_key = (self.serializer, *keys)  # a replaced serializer: a new signer
        signer = self._signers.get(cache_key)
        if signer is None:
            # Imported with the first signer: an app without SECRET_KEY
            # never loads itsdangerous.
            from itsdangerous import URLSafeTimedSerializer

            signer = URLSafeTimedSerializer(
                list(keys), salt=self.salt, serializer=self.serializer
            )
            self._signers[cache_key] = signer
        return signer

    def opens_null(self, app: App) -> bool:
        """No ``SECRET_KEY``: every request has the null session."""
        return not app.config["SECRET_KEY"] and (
            type(self).open_session is SecureCookieSessionInterface.open_session
        )

    async def open_session(self, app: App, request: Connection) -> Session:
        """The cookie's session; empty for no, bad or expired cookies;
        read-only in a websocket (see :func:`read_only_in_websocket`)."""
        return read_only_in_websocket(self._open(app, request), request)

    def _open(self, app: App, request: Connection) -> Session:
        serializer = self.get_signing_serializer(app)
        if serializer is None:
            return self.null_session(app)
        cookies = request.cookies
        name = self.get_cookie_name(app)
        # "in" first: a missing key makes werkzeug's get() build (and drop)
        # a BadRequestKeyError, which costs more than the rest of this.
        cookie = cookies.get(name) if name in cookies else None
        if not cookie:
            return Session()
        max_age = int(app.permanent_session_lifetime.total_seconds())
        try:
            data = serializer.loads(cookie, max_age=max_age)
        except _bad_data():  # a bad signature, or a payload that does not load
            return Session()
        return Session(data) if isinstance(data, dict) else Session()

    async def save_session(
        self, app: App, session: Session, response: Response | None
    ) -> None:
        """Set (or delete) the cookie when the session changed or is
        permanent; a response that read or wrote the session varies by
        ``Cookie``, so a shared cache never hands one user's page to another.
        No response (the end of a websocket): nothing to do."""
        if response is None:
            return
        if session.accessed:
            vary_on_cookie(response)
        if not session:
            if session.modified:
                self.delete_session_cookie(app, response)
                vary_on_cookie(response)
            return  # (an untouched, empty session: the common case, done here)
        if not self.should_set_cookie(app, session):
            return
        serializer = self.get_signing_serializer(app)
        if serializer is None:  # a custom session on an app with no key
            raise RuntimeError("Saving the session needs app.config['SECRET_KEY'].")
        expires = self.get_expiration_time(app, session)
        lifetime = app.permanent_session_lifetime
        self.set_session_cookie(
            app,
            response,
            dumps_session(serializer.dumps, session),
            expires,
            max_age=int(lifetime.total_seconds()) if expires is not None else None,
        )


def vary_on_cookie(response: Response) -> None:
    """Add ``Cookie`` to ``Vary`` once (any Starlette response)."""
    raw = response.raw_headers
    present = [value for key, value in raw if key == b"vary"]
    tokens = {t.strip().lower() for value in present for t in value.split(b",")}
    if b"cookie" in tokens or b"*" in tokens:
        return
    if present:  # merge into the one header, as a cache expects
        headers = response.headers
        headers["vary"] = ", ".join([*headers.getlist("vary"), "Cookie"])
    else:
        raw.append((b"vary", b"Cookie"))


def _bad_data() -> type[Exception]:
    """itsdangerous's error for a cookie that does not load (loaded by now:
    a signer exists)."""
    from itsdangerous import BadData

    return BadData
