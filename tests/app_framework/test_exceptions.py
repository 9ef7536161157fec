"""HTTP errors are werkzeug's: one class hierarchy for abort, views, hooks,
extensions and the framework's own errors."""

from __future__ import annotations

from typing import Any

import pytest
from werkzeug import exceptions as wz
from werkzeug.datastructures import WWWAuthenticate

from app_framework import App, Blueprint, HTTPException, abort, make_response, request
from app_framework.exceptions import describe, http_error
from app_framework.testing import TestClient


@pytest.fixture
def routes(app: App) -> App:
    app.testing = False

    @app.route("/abort/<int:code>")
    async def by_abort(code: int) -> str:
        abort(code)

    @app.route("/why")
    async def why() -> str:
        abort(403, "members only")

    @app.route("/raise")
    async def raising() -> str:
        raise wz.NotFound("no such thing")

    @app.route("/return")
    async def returning() -> Any:
        return wz.Gone()

    @app.route("/response")
    async def response() -> str:
        abort(make_response("custom body", 418, {"X-Custom": "1"}))

    @app.route("/form", methods=["POST"])
    async def form() -> str:
        await request.form
        return str(request.form["title"])

    return app


async def test_abort_raise_and_return_give_werkzeug_pages(
    routes: App, client: TestClient
) -> None:
    response = await client.get("/abort/404")
    assert response.status_code == 404
    assert response.headers["content-type"] == "text/html; charset=utf-8"
    assert "<title>404 Not Found</title>" in response.text
    why = await client.get("/why")
    assert why.status_code == 403 and "<p>members only</p>" in why.text
    raised = await client.get("/raise")
    assert raised.status_code == 404 and "no such thing" in raised.text
    returned = await client.get("/return")
    assert returned.status_code == 410 and "<h1>Gone</h1>" in returned.text
    custom = await client.get("/response")
    assert (custom.status_code, custom.text) == (418, "custom body")
    assert custom.headers["x-custom"] == "1"


@pytest.mark.parametrize("key", [404, wz.NotFound, HTTPException])
async def test_one_handler_catches_views_hooks_and_the_framework(
    routes: App, client: TestClient, key: Any
) -> None:
    caught: list[type[BaseException]] = []

    @routes.errorhandler(key)
    def handle(exc: HTTPException) -> tuple[str, int]:
        caught.append(type(exc))
        return f"handled {exc.code}", exc.code or 500

    @routes.before_request
    def hook() -> None:
        if request.args.get("hook"):
            raise wz.NotFound()  # as an extension's hook would

    assert (await client.get("/abort/404")).text == "handled 404"
    assert (await client.get("/raise")).text == "handled 404"
    assert (await client.get("/nowhere")).text == "handled 404"  # routing's own
    assert (await client.get("/abort/404?hook=1")).text == "handled 404"
    assert all(issubclass(cls, wz.NotFound) for cls in caught) and len(caught) == 4
    other = await client.get("/why")
    if key is HTTPException:
        assert other.text == "handled 403"
    else:
        assert other.status_code == 403 and "members only" in other.text


async def test_framework_errors_are_werkzeug_classes(
    routes: App, client: TestClient
) -> None:
    seen: dict[int, type[BaseException]] = {}

    @routes.errorhandler(HTTPException)
    def record(exc: HTTPException) -> Any:
        assert exc.code is not None
        seen[exc.code] = type(exc)
        return exc

    routes.config["MAX_CONTENT_LENGTH"] = 5
    await client.get("/nowhere")
    await client.delete("/why")
    await client.post("/form", content=b"title=far-too-long")
    await client.post("/form", data={"other": "x"})
    assert seen == {
        404: wz.NotFound,
        405: wz.MethodNotAllowed,
        413: wz.RequestEntityTooLarge,
        400: wz.BadRequestKeyError,
    }


async def test_a_missing_form_key_is_a_400_naming_the_key(
    routes: App, client: TestClient
) -> None:
    response = await client.post("/form", data={"other": "x"})
    assert response.status_code == 400
    assert "KeyError: &#39;title&#39;" in response.text
    assert (await client.post("/form", data={"title": "ok"})).text == "ok"


async def test_debug_tracebacks_are_html_escaped(app: App, client: TestClient) -> None:
    app.testing = False
    app.debug = True

    @app.route("/")
    async def index() -> str:
        raise ValueError("<script>alert(1)</script>")

    response = await client.get("/")
    assert response.status_code == 500
    assert "Traceback" in response.text
    assert "<script>" not in response.text
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in response.text


def test_abort_refuses_unknown_codes_and_extra_arguments_with_a_response() -> None:
    with pytest.raises(LookupError, match="no HTTP error class for status 299"):
        abort(299)
    with pytest.raises(TypeError, match="no other arguments"):
        abort(object(), "why")
    with pytest.raises(wz.Unauthorized) as info:
        abort(401, www_authenticate=WWWAuthenticate("basic", {"realm": "x"}))
    assert ("WWW-Authenticate", "Basic realm=x") in info.value.get_headers()


def test_describe_and_http_error() -> None:
    assert describe(wz.NotFound()) == "404 Not Found"
    assert describe(wz.NotFound("No user 7.")) == "404 Not Found: No user 7."
    assert describe(http_error(599, "Odd.")) == "599 Error: Odd."
    assert isinstance(http_error(404), wz.NotFound)


async def test_blueprint_handlers_come_before_the_apps(
    app: App, client: TestClient
) -> None:
    shop = Blueprint("shop", __name__, url_prefix="/shop")

    @shop.route("/item")
    async def item() -> str:
        abort(404)

    @shop.errorhandler(wz.NotFound)
    def shop_404(exc: HTTPException) -> tuple[str, int]:
        return "no such item", 404

    @app.errorhandler(404)
    def app_404(exc: HTTPException) -> tuple[str, int]:
        return "no such page", 404

    app.register_blueprint(shop)
    assert (await client.get("/shop/item")).text == "no such item"
    assert (await client.get("/elsewhere")).text == "no such page"


async def test_other_exceptions_with_a_code_attribute_are_not_http_errors(
    app: App, client: TestClient
) -> None:
    import urllib.error

    app.testing = False

    @app.errorhandler(404)
    def not_found(exc: HTTPException) -> str:
        return "wrongly handled"

    @app.route("/")
    async def index() -> str:
        raise urllib.error.HTTPError("http://x", 404, "nope", {}, None)  # type: ignore[arg-type]

    assert (await client.get("/")).status_code == 500
