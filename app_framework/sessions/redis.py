"""Server-side sessions in Redis (``SESSION_REDIS_URL``).

The cookie holds only a random id, signed with ``SECRET_KEY`` (keys in
``SECRET_KEY_FALLBACKS`` still verify, so keys rotate as with cookie
sessions); the data is tagged JSON (``serializer``, as in cookie sessions:
a datetime, bytes, UUID, tuple or Markup reads back with its type) under
``<key_prefix><id>`` with a TTL of
``PERMANENT_SESSION_LIFETIME``. So a session can be revoked: clearing it
(logout) deletes the data, and every copy of the old cookie opens an empty
session from then on. ``session.regenerate()`` gives the session a new id
at its next save (call it at login: an id an attacker planted before login
is worth nothing after it).

Stored data that cannot be read (not JSON, not a JSON object, or a tag whose
data does not convert back) opens an empty session, with a warning logged;
it is replaced when the session is next saved, and deleted when it is
cleared.

Redis down: reading answers with an empty session marked ``unavailable``
(it is never written back over the data it could not read), and a request
that changes it answers 503 saying so; every Redis call gives up after
``timeout`` seconds. redis-py is imported when the first session is opened.
"""

from __future__ import annotations

import asyncio
import secrets
from typing import TYPE_CHECKING, Any

from itsdangerous import BadSignature, Signer

from ..exceptions import ServiceUnavailable
from . import (
    Session,
    SessionInterface,
    dumps_session,
    read_only_in_websocket,
    session_json_serializer,
    vary_on_cookie,
)

if TYPE_CHECKING:
    from starlette.responses import Response

    from ..app import App
    from ..wrappers import Connection

__all__ = ["RedisSession", "RedisSessionInterface"]

UNAVAILABLE = (
    "The session store is unavailable, so this change to your session was not "
    "saved. Please try again in a moment."
)


class RedisSession(Session):
    """A session stored in Redis under its id."""

    sid: str | None = None
    """The id (None until first saved, or after :meth:`regenerate`)."""
    unavailable = False
    """Whether Redis could not be read: this session is empty and must not
    be saved over what is stored."""
    _old_sid: str | None = None

    def regenerate(self) -> None:
        """Move the data to a new id at the next save, deleting the old
        one: call it when the user logs in (against session fixation)."""
        if self._old_sid is None:
            self._old_sid = self.sid
        self.sid = None
        self.modified = True


class RedisSessionInterface(SessionInterface):
    """Sessions in Redis; the cookie carries a signed id only."""

    salt = "app_framework.session-id"
    serializer = session_json_serializer
    """How the data is stored (tagged JSON; plain JSON, as stored before,
    still loads). Anything with ``dumps`` and ``loads``."""

    def __init__(
        self, url: str, *, key_prefix: str = "session:", timeout: float = 0.5
    ) -> None:
        self.url = url
        self.key_prefix = key_prefix
        self.timeout = timeout
        self._client: Any = None

    @property
    def client(self) -> Any:
        """The redis-py client (made on first use)."""
        if self._client is None:
            import redis.asyncio as aioredis

            self._client = aioredis.Redis.from_url(
                self.url,
                socket_timeout=self.timeout,
                socket_connect_timeout=self.timeout,
            )
        return self._client

    async def aclose(self) -> None:
        """Close the connections (at shutdown)."""
        if self._client is not None:
            client, self._client = self._client, None
            try:
                async with asyncio.timeout(self.timeout):
                    await client.aclose()
            except Exception:
                return

    def _signer(self, app: App) -> Signer | None:
        key = app.config["SECRET_KEY"]
        if not key:
            return None
        keys = [*app.config["SECRET_KEY_FALLBACKS"], key]  # the last one signs
        return Signer(keys, salt=self.salt)

    async def _call(self, command: str, *args: Any, **kwargs: Any) -> Any:
        async with asyncio.timeout(self.timeout):
            return await getattr(self.client, command)(*args, **kwargs)

    async def open_session(self, app: App, request: Connection) -> Session:
        """The session the cookie's id points at; empty for no, bad or
        unknown ids and for stored data it cannot read; empty and
        ``unavailable`` when Redis does not answer. Read-only in a
        websocket, which cannot set the cookie of a new id."""
        return read_only_in_websocket(await self._open(app, request), request)

    async def _open(self, app: App, request: Connection) -> Session:
        signer = self._signer(app)
        if signer is None:
            return self.null_session(app)
        cookie = request.cookies.get(self.get_cookie_name(app))
        if not cookie:
            return RedisSession()
        try:
            sid = signer.unsign(cookie).decode()
        except BadSignature:
            return RedisSession()
        try:
            raw = await self._call("get", self.key_prefix + sid)
        except Exception as exc:  # down or slow: answer anyway, save nothing
            app.logger.warning("Session store unavailable on read: %s", exc)
            session = RedisSession()
            session.sid, session.unavailable = sid, True
            return session
        if raw is None:
            return RedisSession()  # expired or revoked
        # The id is kept: the unreadable data is overwritten at the next
        # save, or deleted when the session is cleared (logout).
        session = RedisSession(self._decode(app, raw))
        session.sid = sid
        return session

    def _decode(self, app: App, raw: bytes) -> dict[str, Any]:
        """The stored data, or ``{}`` when it cannot be read, as Django's
        sessions do: an error here would fail every request of its user
        until the key expires, logout included."""
        try:
            data = self.serializer.loads(raw)
        except Exception as exc:  # the serializer is pluggable: whatever it raises
            problem = f"{type(exc).__name__} from the session serializer"
        else:
            if isinstance(data, dict):
                return data
            problem = f"JSON {type(data).__name__}, not an object"
        # Never the data itself (it is the user's), nor the key (it holds
        # the session id, a credential).
        app.logger.warning(
            "Unreadable session data in Redis (%s, %d bytes): the session "
            "opens empty, and the data is replaced when it is next saved",
            problem,
            len(raw),
        )
        return {}

    async def save_session(
        self, app: App, session: Session, response: Response | None
    ) -> None:
        """Write a changed session (a new id for a new or regenerated one),
        delete an emptied one with its cookie, or refresh a permanent one.

        :raises ServiceUnavailable: Redis did not take a change (503).
        """
        if response is None or not isinstance(session, RedisSession):
            return
        if session.accessed:
            vary_on_cookie(response)
        if session.unavailable:
            if session.modified:
                raise ServiceUnavailable(UNAVAILABLE)
            return
        # Serialized before talking to Redis: a value JSON cannot hold is
        # the app's mistake (a TypeError naming it), not the store's (a 503).
        data = (
            dumps_session(self.serializer.dumps, session)
            if session and session.modified
            else None
        )
        try:
            if not session:
                if session.modified:
                    await self._delete(session)
                    self.delete_session_cookie(app, response)
                    vary_on_cookie(response)
                return
            if data is not None:
                await self._write(app, session, data)
            elif self.should_set_cookie(app, session) and session.sid is not None:
                await self._call(
                    "expire", self.key_prefix + session.sid, self._ttl(app)
                )
            else:
                return
        except ServiceUnavailable:
            raise
        except Exception as exc:
            app.logger.warning("Session store unavailable on write: %s", exc)
            raise ServiceUnavailable(UNAVAILABLE) from exc
        self._set_cookie(app, session, response)

    def _ttl(self, app: App) -> int:
        return max(1, int(app.permanent_session_lifetime.total_seconds()))

    async def _write(self, app: App, session: RedisSession, data: str) -> None:
        if session.sid is None:
            session.sid = secrets.token_urlsafe(32)
        await self._call("set", self.key_prefix + session.sid, data, ex=self._ttl(app))
        if session._old_sid is not None:
            await self._call("delete", self.key_prefix + session._old_sid)
            session._old_sid = None

    async def _delete(self, session: RedisSession) -> None:
        keys = [self.key_prefix + s for s in (session.sid, session._old_sid) if s]
        if keys:
            await self._call("delete", *keys)

    def _set_cookie(self, app: App, session: RedisSession, response: Response) -> None:
        signer = self._signer(app)
        if signer is None or session.sid is None:
            raise RuntimeError("Saving the session needs app.config['SECRET_KEY'].")
        self.set_session_cookie(
            app,
            response,
            signer.sign(session.sid).decode(),
            self.get_expiration_time(app, session),
        )
