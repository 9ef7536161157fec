"""Names Quart code imports from Quart's module paths, each doing what
Quart's does: the session class, the context helpers on ``ctx``, and the
request-building helpers of ``testing``."""

from __future__ import annotations

import io
from collections.abc import AsyncIterator

import pytest
from werkzeug.datastructures import FileStorage, Headers

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


def test_make_test_headers_path_and_query_string_defaults() -> None:
    from app_framework.testing import make_test_headers_path_and_query_string

    app = App(__name__)
    app.config["SERVER_NAME"] = "shop.test"
    headers, path, query = make_test_headers_path_and_query_string(
        app, "/a%20b?x=1", subdomain="eu", auth=("ann", "pw")
    )
    assert (path, query) == ("/a b", b"x=1")
    assert headers["host"] == "eu.shop.test"
    assert headers["Authorization"] == "Basic YW5uOnB3"
    assert headers["User-Agent"]
    _, _, query = make_test_headers_path_and_query_string(
        app, "/list", query_string={"tag": ["a", "b"]}
    )
    assert query == b"tag=a&tag=b"
    with pytest.raises(ValueError, match="one place"):
        make_test_headers_path_and_query_string(app, "/?x=1", query_string={"y": 2})


async def test_make_test_body_with_headers_builds_bodies_a_request_reads() -> None:
    from app_framework.testing import (
        make_test_body_with_headers,
        make_test_headers_path_and_query_string,
        make_test_scope,
        no_op_push,
    )
    from app_framework.wrappers import Request

    app = App(__name__)
    upload = FileStorage(io.BytesIO(b"pear,3\n"), filename="stock.csv")
    body, body_headers = make_test_body_with_headers(
        form={"shop": "north"}, files={"stock": upload}
    )
    headers, path, query = make_test_headers_path_and_query_string(app, "/up")
    headers.update(body_headers)
    headers["Content-Length"] = str(len(body))  # what a client would send
    scope = make_test_scope(
        "http",
        path,
        "POST",
        headers,
        query,
        "http",
        "",
        "1.1",
        {"client": ("10.0.0.9", 5)},
    )
    assert scope["client"] == ("10.0.0.9", 5) and scope["raw_path"] == b"/up"

    async def receive() -> dict[str, object]:
        return {"type": "http.request", "body": body, "more_body": False}

    built = Request(
        "POST",
        "http",
        path,
        query,
        headers,
        "",
        "1.1",
        scope,
        send_push_promise=no_op_push,
        receive=receive,
    )
    files = await built.files
    assert (await built.form)["shop"] == "north"
    assert files["stock"].filename == "stock.csv"
    assert files["stock"].read() == b"pear,3\n"
    files["stock"].close()
    assert make_test_body_with_headers(json=[1]) == (
        b"[1]",
        Headers({"Content-Type": "application/json"}),
    )
    with pytest.raises(ValueError, match="one of data="):
        make_test_body_with_headers(data=b"x", form={"a": "b"})
    await no_op_push("/style.css", Headers())  # accepted, and nothing is sent


async def test_quart_client_is_the_test_client() -> None:
    from app_framework.testing import QuartClient

    app = App(__name__)

    @app.get("/")
    async def index() -> str:
        return "hello"

    client = QuartClient(app)
    assert isinstance(app.test_client(), QuartClient)
    assert (await client.get("/")).text == "hello"


async def test_quart_map_and_rule_are_the_url_map_and_its_rules() -> None:
    from app_framework.routing import QuartMap, QuartRule

    app = App(__name__)

    @app.get("/item/<int:number>")
    async def item(number: int) -> str:
        assert isinstance(request.url_rule, QuartRule)
        return str(number * 2)

    assert isinstance(app.url_map, QuartMap)
    assert [rule.rule for rule in app.url_map.iter_rules("item")] == [
        "/item/<int:number>"
    ]
    assert (await app.test_client().get("/item/21")).text == "42"


def test_typing_names_the_scope_types() -> None:
    from app_framework.typing import HTTPScope, WebsocketScope

    def path_of(scope: HTTPScope | WebsocketScope) -> str:
        return str(scope["path"])

    assert path_of({"type": "http", "path": "/a"}) == "/a"
    assert HTTPScope is WebsocketScope


def test_url_map_rules_by_endpoint_lists_each_endpoints_rules() -> None:
    app = App(__name__)

    async def feed() -> str:
        return "feed"

    app.add_url_rule("/feed", "feed", feed, methods=["POST"])
    app.add_url_rule("/feed.xml", "feed", feed)
    rules = app.url_map._rules_by_endpoint["feed"]
    assert [rule.rule for rule in rules] == ["/feed", "/feed.xml"]
    assert "POST" in rules[0].methods and "POST" not in rules[1].methods
    assert "missing" not in app.url_map._rules_by_endpoint
