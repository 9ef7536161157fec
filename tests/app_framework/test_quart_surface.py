"""Names Quart code imports from Quart's module paths, each doing what
Quart's does: the session class, the context helpers on ``ctx``, and the
request-building helpers of ``testing``."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from app_framework import App, Response, request, session


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


async def test_ctx_module_exports_the_context_helpers() -> None:
    from app_framework import ctx

    app = App(__name__)
    seen: list[str] = []

    @app.route("/late")
    async def late() -> str:
        assert ctx.has_request_context() and ctx.has_app_context()
        assert not ctx.has_websocket_context()

        @ctx.after_this_request
        def tag(response: Response) -> Response:
            response.headers["X-Tagged"] = "yes"
            return response

        def path() -> str:
            return request.path

        def name() -> str:
            return app.name

        seen.append(ctx.copy_current_request_context(path)())
        seen.append(ctx.copy_current_app_context(name)())
        return "done"

    response = await app.test_client().get("/late")
    assert response.headers["X-Tagged"] == "yes"
    assert seen == ["/late", app.name]
    assert not ctx.has_request_context()
    with pytest.raises(RuntimeError):
        ctx.copy_current_websocket_context(lambda: None)


async def test_helpers_stream_with_context_streams_inside_the_request() -> None:
    from app_framework.helpers import stream_with_context

    app = App(__name__)

    @app.route("/count")
    async def count() -> object:
        async def numbers() -> AsyncIterator[str]:
            for number in range(3):
                yield f"{request.args['label']}{number};"

        return stream_with_context(numbers())

    response = await app.test_client().get("/count?label=n")
    assert response.text == "n0;n1;n2;"
