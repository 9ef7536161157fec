"""Blueprints as Flask 3.1 has them: app-wide hooks, their own processors,
static and template folders, nesting, registering twice, record."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

from app_framework import (
    App,
    Blueprint,
    Response,
    abort,
    g,
    render_template_string,
    request,
    url_for,
    websocket,
)
from app_framework.blueprints import BlueprintSetupState
from app_framework.testing import TestClient


async def test_app_wide_hooks_from_a_blueprint(app: App, client: TestClient) -> None:
    calls: list[str] = []
    bp = Blueprint("bp", __name__)

    @bp.before_app_request
    def before() -> None:
        calls.append("before_app_request")

    @bp.after_app_request
    def after(response: Response) -> Response:
        calls.append("after_app_request")
        response.headers["X-App-Wide"] = "1"
        return response

    @bp.teardown_app_request
    def teardown(exc: BaseException | None) -> None:
        calls.append("teardown_app_request")

    @bp.app_errorhandler(404)
    def missing(exc: Exception) -> tuple[str, int]:
        return "app-wide 404", 404

    @bp.app_context_processor
    def inject() -> dict[str, Any]:
        return {"site": "Site"}

    @bp.app_url_value_preprocessor
    def pull(endpoint: str | None, values: dict[str, Any] | None) -> None:
        g.lang = (values or {}).pop("lang", "en")

    @bp.app_url_defaults
    def push(endpoint: str, values: dict[str, Any]) -> None:
        values.setdefault("lang", g.get("lang", "en"))

    @app.route("/<lang>/")
    async def index() -> str:  # the app's own view, not the blueprint's
        return await render_template_string(
            "{{ site }} {{ g.lang }} {{ url_for('index') }}"
        )

    app.register_blueprint(bp)
    response = await client.get("/fr/")
    assert response.text == "Site fr /fr/"
    assert response.headers["x-app-wide"] == "1"
    assert calls == ["before_app_request", "after_app_request", "teardown_app_request"]
    assert (await client.get("/")).text == "app-wide 404"


async def test_app_wide_template_functions(app: App, client: TestClient) -> None:
    bp = Blueprint("bp", __name__)

    @bp.app_template_filter()
    def shout(text: str) -> str:
        return text.upper()

    @bp.app_template_test("short")
    def is_short(text: str) -> bool:
        return len(text) < 3

    @bp.app_template_global()
    def answer() -> int:
        return 42

    bp.add_app_template_filter(str.lower, "lower_it")
    bp.add_app_template_test(str.isdigit, "digits")
    bp.add_app_template_global(len, "count")
    app.register_blueprint(bp)
    source = (
        "{{ 'a'|shout }} {{ 'ab' is short }} {{ answer() }} {{ 'B'|lower_it }} "
        "{{ '12' is digits }} {{ count('abc') }}"
    )
    async with app.test_request_context():
        assert await render_template_string(source) == "A True 42 b True 3"


async def test_a_blueprints_own_processors_apply_to_its_requests_only(
    app: App, client: TestClient
) -> None:
    shop = Blueprint("shop", __name__, url_prefix="/<lang>/shop")

    @shop.url_value_preprocessor
    def pull_lang(endpoint: str | None, values: dict[str, Any] | None) -> None:
        g.lang = (values or {}).pop("lang")

    @shop.url_defaults
    def add_lang(endpoint: str, values: dict[str, Any]) -> None:
        if "lang" not in values and "lang" in g:
            values["lang"] = g.lang

    @shop.context_processor
    def shop_name() -> dict[str, Any]:
        return {"shop_name": "The Shop"}

    @shop.route("/item/<int:item>")
    async def item(item: int) -> str:
        return await render_template_string(
            "{{ shop_name }} {{ g.lang }} {{ url_for('.item', item=2) }}", item=item
        )

    @app.route("/plain")
    async def plain() -> str:
        return await render_template_string("[{{ shop_name }}]")

    app.register_blueprint(shop)
    assert (await client.get("/de/shop/item/1")).text == "The Shop de /de/shop/item/2"
    assert (await client.get("/plain")).text == "[]"


async def test_static_and_template_folders(
    app: App, client: TestClient, tmp_path: Path
) -> None:
    (tmp_path / "assets").mkdir()
    (tmp_path / "assets" / "style.css").write_text("body {}")
    (tmp_path / "views").mkdir()
    (tmp_path / "views" / "hello.html").write_text("hello from {{ where }}")
    bp = Blueprint(
        "admin",
        __name__,
        static_folder="assets",
        static_url_path="/files",
        template_folder="views",
        url_prefix="/admin",
        root_path=str(tmp_path),
    )

    @bp.route("/")
    async def index() -> str:
        from app_framework import render_template

        return await render_template(
            "hello.html", where=url_for(".static", filename="style.css")
        )

    app.register_blueprint(bp)
    assert (await client.get("/admin/files/style.css")).text == "body {}"
    assert (await client.get("/admin/")).text == "hello from /admin/files/style.css"


async def test_nested_blueprints(app: App, client: TestClient) -> None:
    order: list[str] = []
    parent = Blueprint("parent", __name__, url_prefix="/parent")
    child = Blueprint("child", __name__, url_prefix="/child")
    grandchild = Blueprint("grandchild", __name__)

    for bp in (parent, child, grandchild):
        bp.before_request(lambda name=bp.name: order.append(f"{name} before"))

    @child.errorhandler(403)
    def forbidden(exc: Exception) -> tuple[str, int]:
        return "child handles 403", 403

    @grandchild.route("/deep")
    async def deep() -> str:
        return " ".join(
            [
                request.blueprint or "",
                str(request.blueprints),
                url_for(".deep"),
                url_for("parent.child.grandchild.deep"),
            ]
        )

    @grandchild.route("/forbid")
    async def forbid() -> str:
        abort(403)

    child.register_blueprint(grandchild, url_prefix="/gc")
    parent.register_blueprint(child)
    app.register_blueprint(parent)
    response = await client.get("/parent/child/gc/deep")
    assert response.text == (
        "parent.child.grandchild ['parent.child.grandchild', 'parent.child', 'parent'] "
        "/parent/child/gc/deep /parent/child/gc/deep"
    )
    assert order == ["parent before", "child before", "grandchild before"]
    assert (await client.get("/parent/child/gc/forbid")).text == "child handles 403"
    with pytest.raises(ValueError, match="on itself"):
        parent.register_blueprint(parent)


async def test_one_blueprint_twice_under_two_names(
    app: App, client: TestClient
) -> None:
    calls: list[str] = []
    api = Blueprint("api", __name__, url_defaults={"version": 1})

    @api.before_request
    def hook() -> None:
        calls.append(request.blueprint or "")

    @api.route("/items")
    async def items(version: int) -> dict[str, Any]:
        return {"version": version, "url": url_for(".items")}

    app.register_blueprint(api, url_prefix="/v1")
    app.register_blueprint(
        api, name="api2", url_prefix="/v2", url_defaults={"version": 2}
    )
    with pytest.raises(
        ValueError, match="'api' is already registered for this blueprint"
    ):
        app.register_blueprint(api, url_prefix="/v3")
    assert (await client.get("/v1/items")).json == {"version": 1, "url": "/v1/items"}
    assert (await client.get("/v2/items")).json == {"version": 2, "url": "/v2/items"}
    assert calls == ["api", "api2"]


async def test_record_and_record_once_for_extensions(app: App) -> None:
    states: list[BlueprintSetupState] = []
    bp = Blueprint("ext", __name__, url_prefix="/ext", subdomain=None)
    bp.record(states.append)
    once: list[str] = []
    bp.record_once(lambda state: once.append(state.name))
    app.register_blueprint(bp)
    app.register_blueprint(bp, name="ext2", url_prefix="/other")
    assert [(s.name, s.url_prefix, s.first_registration) for s in states] == [
        ("ext", "/ext", True),
        ("ext2", "/other", False),
    ]
    assert states[0].app is app and states[0].blueprint is bp
    assert once == ["ext"]


async def test_app_wide_websocket_hooks(app: App, client: TestClient) -> None:
    calls: list[str] = []
    bp = Blueprint("live", __name__)

    @bp.before_app_websocket
    def before() -> None:
        calls.append("before")

    @bp.after_app_websocket
    def after(response: Any) -> Any:
        calls.append("after")
        return response

    @bp.teardown_app_websocket
    def teardown(exc: BaseException | None) -> None:
        calls.append("teardown")

    @app.websocket("/ws")
    async def ws() -> None:
        await websocket.accept()
        await websocket.send_data("hi")

    app.register_blueprint(bp)
    async with client.websocket_connect("/ws") as conn:
        assert await conn.receive() == "hi"
    assert calls == ["before", "after", "teardown"]


def test_bad_blueprints_are_refused(app: App) -> None:
    with pytest.raises(ValueError, match="may not be empty"):
        Blueprint("", __name__)
    bp = Blueprint("bp", __name__)
    with pytest.raises(ValueError, match="'endpoint' may not contain a dot"):
        bp.add_url_rule("/", "a.b", lambda: "")
    with pytest.raises(ValueError, match="'name' may not contain a dot"):
        app.register_blueprint(bp, name="a.b")
    app.register_blueprint(bp)
    with pytest.raises(RuntimeError, match="already registered on an app"):
        bp.before_request(lambda: None)


async def test_static_files_cache_for_what_get_send_file_max_age_says(
    app: App, client: TestClient, tmp_path: Path
) -> None:
    (tmp_path / "media").mkdir()
    (tmp_path / "media" / "logo.svg").write_text("<svg/>")
    (tmp_path / "media" / "feed.xml").write_text("<feed/>")

    class ShortLivedFeeds(Blueprint):
        def get_send_file_max_age(self, filename: str | None) -> int | None:
            if filename is not None and filename.endswith(".xml"):
                return 60
            return super().get_send_file_max_age(filename)

    app.config["SEND_FILE_MAX_AGE_DEFAULT"] = timedelta(hours=2)
    media = ShortLivedFeeds(
        "media", __name__, static_folder="media", root_path=str(tmp_path)
    )
    app.register_blueprint(media, url_prefix="/m")
    feed = await client.get("/m/media/feed.xml")
    assert feed.headers["Cache-Control"] == "public, max-age=60"
    logo = await client.get("/m/media/logo.svg")
    assert logo.headers["Cache-Control"] == "public, max-age=7200"


async def test_a_nested_blueprint_given_none_keeps_its_own_prefix(
    app: App, client: TestClient
) -> None:
    shop = Blueprint("shop", __name__, url_prefix="/shop")
    cart = Blueprint("cart", __name__, url_prefix="/cart", subdomain="buy")

    @cart.get("/")
    async def view_cart() -> str:
        return "empty cart"

    shop.register_blueprint(cart, url_prefix=None, subdomain=None)
    app.register_blueprint(shop, url_prefix=None)
    (rule,) = app.url_map.iter_rules("shop.cart.view_cart")
    assert (rule.rule, rule.subdomain) == ("/shop/cart/", "buy")


async def test_blueprint_endpoint_views_for_own_and_app_rules(app: App) -> None:
    from werkzeug.routing import Rule

    from app_framework import request

    app.url_map.add(Rule("/legacy", endpoint="report"))
    shop = Blueprint("shop", __name__)
    shop.add_url_rule("/cart", endpoint="cart")
    parent = Blueprint("site", __name__)

    @shop.endpoint("report")  # no "shop.report" rule: the app's plain one
    async def report() -> str:
        return f"report via {request.endpoint}"

    @shop.endpoint("cart")  # the blueprint's own rule, prefixed
    async def cart() -> str:
        return f"cart via {request.endpoint}"

    parent.register_blueprint(shop, url_prefix="/shop")
    app.register_blueprint(parent)
    client = app.test_client()
    assert (await client.get("/legacy")).text == "report via report"
    assert (await client.get("/shop/cart")).text == "cart via site.shop.cart"
    assert (await client.get("/shop/report")).status_code == 404
