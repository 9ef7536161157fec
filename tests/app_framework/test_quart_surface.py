"""Names Quart code imports from Quart's module paths, each doing what
Quart's does: the session class, the context helpers on ``ctx``, and the
request-building helpers of ``testing``."""

from __future__ import annotations

from app_framework import App, session


async def test_secure_cookie_session_is_the_session_a_request_opens() -> None:
    from app_framework.sessions import SecureCookieSession

    app = App(__name__)
    app.secret_key = "a key that signs the cookie of this one test"

    @app.route("/visit")
    async def visit() -> str:
        assert type(session._get_current_object()) is SecureCookieSession  # type: ignore[attr-defined]
        session["visits"] = session.get("visits", 0) + 1
        return str(session["visits"])

    client = app.test_client()
    assert (await client.get("/visit")).text == "1"
    assert (await client.get("/visit")).text == "2"
    basket = SecureCookieSession()
    assert not basket.modified
    basket["pears"] = 3
    assert basket.modified and basket.accessed
