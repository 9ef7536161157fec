"""Signed-cookie sessions."""

from __future__ import annotations

import datetime
import logging
import uuid
from collections.abc import Callable
from decimal import Decimal
from typing import Any
from unittest.mock import AsyncMock

import pytest

from app_framework import App, session
from app_framework.sessions import (
    SecureCookieSession,
    SecureCookieSessionInterface,
    SessionInterface,
)
from app_framework.testing import TestClient


@pytest.fixture
def counter(app: App) -> App:
    @app.route("/count")
    async def count() -> str:
        session["n"] = session.get("n", 0) + 1
        return str(session["n"])

    @app.route("/read")
    async def read() -> str:
        return str(session.get("n"))

    @app.route("/clear")
    async def clear() -> str:
        session.clear()
        return "cleared"

    return app


async def test_session_survives_between_requests(
    counter: App, client: TestClient
) -> None:
    assert (await client.get("/count")).text == "1"
    response = await client.get("/count")
    assert response.text == "2"
    cookie = response.headers["set-cookie"]
    assert "; HttpOnly;" in cookie and cookie.endswith("; Path=/; SameSite=Lax")
    assert "Cookie" in response.headers["vary"]
    read = await client.get("/read")
    assert read.text == "2"
    assert "set-cookie" not in read.headers  # unchanged: not re-sent


async def test_clearing_the_session_deletes_the_cookie(
    counter: App, client: TestClient
) -> None:
    await client.get("/count")
    response = await client.get("/clear")
    cookie = response.headers["set-cookie"]
    assert cookie.startswith("session=;") and "Max-Age=0" in cookie
    assert (await client.get("/read")).text == "None"


@pytest.mark.parametrize("cookie", ["garbage", "eyJuIjo5OX0.invalid.signature", ""])
async def test_tampered_cookie_gives_an_empty_session(
    counter: App, client: TestClient, cookie: str
) -> None:
    client.cookies.set("session", cookie)
    response = await client.get("/read")
    assert (response.status_code, response.text) == (200, "None")


async def test_cookie_signed_with_another_key_is_ignored(counter: App) -> None:
    async with counter.test_client() as client:
        await client.get("/count")
        stolen = client.cookies["session"]
    counter.config["SECRET_KEY"] = "a-completely-different-secret-key"
    async with counter.test_client() as client:
        client.cookies.set("session", stolen)
        assert (await client.get("/read")).text == "None"


async def test_key_rotation_with_fallbacks(counter: App) -> None:
    async with counter.test_client() as client:
        await client.get("/count")
        old_cookie = client.cookies["session"]
    old_key = counter.config["SECRET_KEY"]
    counter.config.update(
        SECRET_KEY="the-new-key-after-rotation", SECRET_KEY_FALLBACKS=[old_key]
    )
    async with counter.test_client() as client:
        client.cookies.set("session", old_cookie)
        assert (await client.get("/count")).text == "2"


async def test_writing_without_a_secret_key_says_to_set_one(counter: App) -> None:
    counter.config["SECRET_KEY"] = None
    async with counter.test_client() as client:
        assert (await client.get("/read")).text == "None"
        with pytest.raises(RuntimeError, match="no SECRET_KEY is set"):
            await client.get("/count")


async def test_permanent_session_sets_an_expiry(app: App, client: TestClient) -> None:
    @app.route("/login")
    async def login() -> str:
        session.permanent = True
        session["user"] = "alice"
        return str(session.permanent)

    response = await client.get("/login")
    assert response.text == "True"
    assert "Max-Age=2678400" in response.headers["set-cookie"]


async def test_session_interface_can_be_replaced(app: App) -> None:
    from app_framework.sessions import Session

    store: dict[str, dict[str, object]] = {"abc": {"user": "bob"}}

    class ServerSide(SessionInterface):
        async def open_session(self, app: App, request: object) -> Session:
            return Session(store["abc"])

        async def save_session(
            self, app: App, session: Session, response: object
        ) -> None:
            store["abc"] = dict(session)

    app.session_interface = ServerSide()

    @app.route("/")
    async def index() -> str:
        session["seen"] = True
        return str(session["user"])

    async with app.test_client() as client:
        assert (await client.get("/")).text == "bob"
    assert store["abc"] == {"user": "bob", "seen": True}


async def test_base_interface_is_abstract(app: App) -> None:
    interface = SessionInterface()
    with pytest.raises(NotImplementedError):
        interface.open_session(app, None)  # type: ignore[arg-type]
    with pytest.raises(NotImplementedError):
        interface.save_session(app, interface.null_session(app), None)


async def test_every_mutation_marks_the_session_modified(app: App) -> None:
    from app_framework.sessions import Session

    mutations: list[Callable[[Session], object]] = [
        lambda s: s.setdefault("a", 1),
        lambda s: s.pop("x"),
        lambda s: s.popitem(),
        lambda s: s.update(b=2),
        lambda s: s.clear(),
    ]
    for mutate in mutations:
        fresh = Session(x=1)
        assert not fresh.modified
        mutate(fresh)
        assert fresh.modified and fresh.accessed
    untouched = Session(x=1)
    assert untouched.setdefault("x", 2) == 1 and not untouched.modified


async def test_a_custom_session_on_an_app_without_a_key_cannot_be_saved(
    app: App,
) -> None:
    from app_framework.sessions import SecureCookieSessionInterface, Session
    from app_framework.wrappers import Response

    app.config["SECRET_KEY"] = None
    changed = Session()
    changed["a"] = 1
    with pytest.raises(RuntimeError, match="needs app.config\\['SECRET_KEY'\\]"):
        await SecureCookieSessionInterface().save_session(app, changed, Response())


async def test_expired_cookie_gives_an_empty_session(counter: App) -> None:
    from datetime import timedelta

    async with counter.test_client() as client:
        await client.get("/count")
        counter.config["PERMANENT_SESSION_LIFETIME"] = timedelta(seconds=-1)
        assert (await client.get("/read")).text == "None"


async def test_cookie_settings(counter: App) -> None:
    counter.config.update(
        SESSION_COOKIE_NAME="sid",
        SESSION_COOKIE_DOMAIN="example.com",
        SESSION_COOKIE_PATH="/app",
        SESSION_COOKIE_SECURE=True,
        SESSION_COOKIE_SAMESITE="Strict",
        SESSION_COOKIE_HTTPONLY=False,
    )
    async with counter.test_client() as client:
        cookie = (await client.get("/count")).headers["set-cookie"]
    assert cookie.startswith("sid=")
    for part in ("Domain=example.com", "Path=/app", "Secure", "SameSite=Strict"):
        assert part in cookie
    assert "HttpOnly" not in cookie


async def test_the_null_session_reads_as_empty(app: App) -> None:
    null = SecureCookieSessionInterface().null_session(app)
    with pytest.raises(KeyError, match="user"):
        null["user"]
    assert null.get("user", "nobody") == "nobody" and not null
    assert not null.accessed  # shared by every request: never marked


async def test_refresh_each_request_and_partitioned_cookies(
    counter: App, client: TestClient
) -> None:
    @counter.route("/permanent")
    async def permanent() -> str:
        session.permanent = True
        session["n"] = 1
        return "ok"

    counter.config["SESSION_COOKIE_PARTITIONED"] = True
    first = await client.get("https://localhost/permanent")
    cookie = first.headers["set-cookie"]
    assert "; Partitioned" in cookie and "; Secure" in cookie  # CHIPS needs Secure
    assert "Expires=" in cookie
    # permanent: sent again with each request (over https: it is Secure)
    refreshed = await client.get("https://localhost/read")
    assert refreshed.text == "1" and "set-cookie" in refreshed.headers
    assert "Cookie" in refreshed.headers["vary"]
    counter.config["SESSION_REFRESH_EACH_REQUEST"] = False
    assert "set-cookie" not in (await client.get("https://localhost/read")).headers


async def test_the_interface_says_the_cookie_name(
    counter: App, client: TestClient
) -> None:
    class Named(SecureCookieSessionInterface):
        def get_cookie_name(self, app: App) -> str:
            return "sid"

    counter.session_interface = Named()
    response = await client.get("/count")
    assert response.headers["set-cookie"].startswith("sid=")
    assert (await client.get("/count")).text == "2"


async def test_the_globals_class_is_replaceable(app: App, client: TestClient) -> None:
    from app_framework import g
    from app_framework.ctx import AppGlobals

    class Globals(AppGlobals):
        def user_name(self) -> str:
            return str(self.get("user", "anonymous"))

    app.app_ctx_globals_class = Globals

    @app.route("/")
    async def index() -> str:
        return str(g.user_name())

    assert (await client.get("/")).text == "anonymous"


@pytest.mark.parametrize(
    ("path", "varies"),
    [
        ("/untouched", False),
        ("/read", True),
        ("/write", True),
        ("/clear", True),  # deletes the cookie
        ("/refresh", True),  # permanent: the cookie is sent again, unread
    ],
)
async def test_every_response_that_used_the_session_varies_by_cookie(
    app: App, path: str, varies: bool
) -> None:
    app.config["SESSION_REFRESH_EACH_REQUEST"] = True

    @app.route("/login")
    async def login() -> str:
        session["user"] = "ada"
        session.permanent = True
        return "in"

    @app.route("/untouched")
    async def untouched() -> str:
        return "-"

    @app.route("/read")
    async def read() -> str:
        return str(session.get("user"))

    @app.route("/write")
    async def write() -> str:
        session["seen"] = True
        return "-"

    @app.route("/clear")
    async def clear() -> str:
        session.clear()
        return "-"

    @app.route("/refresh", endpoint="refresh")
    async def refresh_view() -> str:
        return "-"

    async with app.test_client() as client:
        if path != "/untouched":  # a permanent session is refreshed, read or not
            await client.get("/login")
        response = await client.get(path)
    vary = {v.strip().lower() for v in response.headers.get("vary", "").split(",")}
    assert ("cookie" in vary) is varies
    if path == "/refresh":
        assert "set-cookie" in response.headers  # the refresh itself


async def test_vary_cookie_joins_an_existing_vary(app: App) -> None:
    @app.route("/both")
    async def both() -> Any:
        session["x"] = 1
        return "-", {"Vary": "Accept-Encoding"}

    async with app.test_client() as client:
        response = await client.get("/both")
    assert response.headers["vary"] == "Accept-Encoding, Cookie"


UNSTORABLE = [
    (datetime.date(2024, 5, 1), "holds a datetime.date"),
    (object(), "holds a builtins.object"),
    ({"tags": {"a", "b"}}, "contains a builtins.set"),
    ({"lines": [Decimal("1.50")]}, "contains a decimal.Decimal"),
    ((1, [uuid.UUID(int=7), Decimal(1)]), "contains a decimal.Decimal"),
]


def assert_one_clear_error(
    caplog: pytest.LogCaptureFixture, status: int, named: str
) -> None:
    """One error logged, its exception naming the key and the type and
    saying what to store; not the 500 page failing the same way after it."""
    assert status == 500
    errors = [r for r in caplog.records if r.levelno >= logging.ERROR]
    assert [r.getMessage() for r in errors] == ["Exception on /store [GET]"]
    assert errors[0].exc_info is not None
    message = str(errors[0].exc_info[1])
    assert f"session['when'] {named}" in message
    assert "Store a plain value instead" in message
    assert "register a JSONTag" in message  # (a type of one's own)
    assert "Error while finishing" not in caplog.text


@pytest.mark.parametrize(("value", "named"), UNSTORABLE)
async def test_a_value_the_cookie_cannot_hold_is_one_clear_500(
    app: App, caplog: pytest.LogCaptureFixture, value: Any, named: str
) -> None:
    app.testing = False

    @app.route("/store")
    async def store() -> str:
        session["when"] = value
        return "stored"

    async with app.test_client() as client:
        response = await client.get("/store")
        assert "session" not in response.cookies
    assert_one_clear_error(caplog, response.status_code, named)


async def test_open_session_can_match_the_url_first(
    app: App, client: TestClient
) -> None:
    from app_framework import request
    from app_framework.globals import request_ctx

    seen: list[Any] = []

    class PerEndpoint(SecureCookieSessionInterface):
        async def open_session(self, app: App, request_: Any) -> Any:
            request_ctx.match_request()
            seen.append((request.endpoint, dict(request.view_args or {})))
            return await super().open_session(app, request_)

    app.session_interface = PerEndpoint()

    @app.route("/cart/<int:item>")
    async def cart(item: int) -> str:
        return f"item {item}"

    assert (await client.get("/cart/3")).text == "item 3"
    assert (await client.get("/missing")).status_code == 404
    assert seen == [("cart", {"item": 3}), (None, {})]


async def test_plain_method_interfaces_as_flask_writes_them(app: App) -> None:
    from app_framework.globals import request_ctx
    from app_framework.sessions import Session

    saved: list[dict[str, Any]] = []

    class InMemory(SessionInterface):
        # Flask's signatures: plain methods; None asks for the null session.
        def open_session(self, app: App, request_: Any) -> Session | None:
            if request_.path.startswith("/anon"):
                return None
            return Session(visits=len(saved))

        def save_session(self, app: App, session: Any, response: Any) -> None:
            saved.append(dict(session))

    app.session_interface = InMemory()

    @app.route("/count")
    def count() -> str:
        session["visits"] += 1
        return str(session["visits"])

    @app.route("/anon")
    async def anon() -> str:
        return type(request_ctx.session).__name__

    client = app.test_client()
    assert [(await client.get("/count")).text for _ in range(2)] == ["1", "2"]
    assert saved == [{"visits": 1}, {"visits": 2}]
    assert (await client.get("/anon")).text == "NullSession"
    assert len(saved) == 2  # a null session is never saved


async def test_a_mock_standing_in_for_the_interface_is_opened_each_request() -> None:
    # Quart's own tests replace the interface with AsyncMock(spec=...): the
    # framework must call its open_session, not ask the mock whether the
    # session would be null (a mock's answer is a truthy coroutine).
    shop = App(__name__)
    shop.session_interface = AsyncMock(spec=SessionInterface)
    shop.session_interface.open_session.return_value = SecureCookieSession()
    shop.session_interface.is_null_session.return_value = False

    @shop.route("/basket")
    async def basket() -> str:
        session["items"] = 3
        return "ok"

    response = await shop.test_client().get("/basket")
    assert response.status_code == 200
    shop.session_interface.open_session.assert_called_once()
    shop.session_interface.save_session.assert_called_once()
