"""``app.url_map`` and building URLs as in Flask 3.1: URL value
preprocessors and defaults (with ``is_endpoint_expecting``),
``inject_url_defaults``, what happens when a URL cannot be built
(``url_build_error_handlers``, ``handle_url_build_error``), ``_scheme``,
converters of one's own, and subdomains (set late, and nested blueprints)."""

from __future__ import annotations

from typing import Any

import pytest
from werkzeug.routing import BaseConverter, Submount, ValidationError
from werkzeug.routing import BuildError as WerkzeugBuildError
from werkzeug.routing import Rule as WerkzeugRule

from app_framework import App, Blueprint, BuildError, g, request, url_for
from app_framework.testing import TestClient


async def test_a_region_prefix_pulled_from_the_path_and_put_back(
    app: App, client: TestClient
) -> None:
    # The common pattern: a preprocessor takes the region out of the view's
    # arguments into g, and a defaults hook puts it back into every URL
    # whose rule has a place for it.
    @app.url_value_preprocessor
    def take_region(endpoint: str | None, values: dict[str, Any] | None) -> None:
        g.region = (values or {}).pop("region", None)

    @app.url_defaults
    def keep_region(endpoint: str, values: dict[str, Any]) -> None:
        expects = app.url_map.is_endpoint_expecting(endpoint, "region")
        if expects and g.region is not None:
            values.setdefault("region", g.region)

    @app.route("/<region>/shop")
    async def shop() -> str:
        return url_for("basket")

    @app.route("/<region>/basket")
    async def basket() -> str:
        return url_for("help_page") + " " + url_for("shop", region="nz")

    @app.route("/help")
    async def help_page() -> str:
        return url_for("basket", region="uk") + " " + str(g.region)

    assert (await client.get("/fr/shop")).text == "/fr/basket"
    assert (await client.get("/fr/basket")).text == "/help /nz/shop"
    assert (await client.get("/help")).text == "/uk/basket None"


def test_is_endpoint_expecting(app: App) -> None:
    app.add_url_rule("/<lang>/page/<int:num>", "page", lambda lang, num: "")
    app.add_url_rule("/plain", "plain", lambda: "", defaults={"lang": "en"})
    assert app.url_map.is_endpoint_expecting("page", "lang")
    assert app.url_map.is_endpoint_expecting("page", "lang", "num")
    assert not app.url_map.is_endpoint_expecting("page", "lang", "other")
    assert app.url_map.is_endpoint_expecting("plain", "lang")  # a default counts
    with pytest.raises(KeyError):
        app.url_map.is_endpoint_expecting("missing", "lang")


def test_iter_rules_are_werkzeug_shaped(app: App) -> None:
    @app.route("/users/<int:id>", methods=["GET", "POST"], subdomain="api")
    async def user(id: int) -> str:
        return ""

    @app.websocket("/ws")
    async def ws() -> None:
        pass

    rules = {rule.endpoint: rule for rule in app.url_map.iter_rules()}
    assert set(rules) == {"static", "user", "ws"}
    rule = next(app.url_map.iter_rules("user"))
    assert (rule.rule, rule.endpoint, set(rule.arguments)) == (
        "/users/<int:id>",
        "user",
        {"id"},
    )
    assert rule.methods == {"GET", "HEAD", "OPTIONS", "POST"}
    assert (rule.websocket, rule.subdomain, rule.host) == (False, "api", None)
    assert rules["ws"].websocket
    assert [r.endpoint for r in app.url_map] == [r.endpoint for r in rules.values()]


async def test_inject_url_defaults_runs_the_blueprints_own_hooks(app: App) -> None:
    docs = Blueprint("docs", __name__)

    @docs.url_defaults
    def default_topic(endpoint: str, values: dict[str, Any]) -> None:
        values.setdefault("topic", "intro")

    @docs.route("/docs/<topic>")
    async def article(topic: str) -> str:
        return topic

    app.add_url_rule("/<topic>", "outside", lambda topic: topic)
    app.register_blueprint(docs)

    filled: dict[str, Any] = {}
    app.inject_url_defaults("docs.article", filled)
    assert filled == {"topic": "intro"}
    untouched: dict[str, Any] = {}
    app.inject_url_defaults("outside", untouched)  # not the blueprint's endpoint
    assert untouched == {}

    async with app.test_request_context("/docs/setup"):
        assert url_for("docs.article") == "/docs/intro"
        assert url_for("docs.article", topic="faq") == "/docs/faq"


async def test_app_url_defaults_from_a_blueprint_and_overriding_injection(
    app: App,
) -> None:
    bp = Blueprint("bp", __name__)

    @bp.app_url_defaults
    def everywhere(endpoint: str, values: dict[str, Any]) -> None:
        if app.url_map.is_endpoint_expecting(endpoint, "lang"):
            values.setdefault("lang", "de")

    app.register_blueprint(bp)
    app.add_url_rule("/<lang>/", "index", lambda lang: "")

    class Localized(App):
        def inject_url_defaults(self, endpoint: str, values: dict[str, Any]) -> None:
            values.setdefault("lang", "fr")

    other = Localized(__name__)
    other.add_url_rule("/<lang>/", "index", lambda lang: "")
    async with app.test_request_context():
        assert url_for("index") == "/de/"
    async with other.test_request_context():
        assert url_for("index") == "/fr/"


async def test_url_build_error_handlers_are_asked_in_turn(app: App) -> None:
    asked: list[tuple[str, str]] = []

    def declines(error: BuildError, endpoint: str, values: dict[str, Any]) -> None:
        asked.append(("declines", endpoint))

    def refuses(error: BuildError, endpoint: str, values: dict[str, Any]) -> str:
        asked.append(("refuses", endpoint))
        raise error

    def answers(error: BuildError, endpoint: str, values: dict[str, Any]) -> str:
        asked.append(("answers", endpoint))
        return f"/legacy/{endpoint}"

    async with app.test_request_context():
        with pytest.raises(BuildError):
            url_for("archive")

    # A handler that returns None or raises BuildError is passed over.
    app.url_build_error_handlers.extend([declines, refuses, answers])
    async with app.test_request_context():
        assert url_for("archive") == "/legacy/archive"
    assert asked == [
        ("declines", "archive"),
        ("refuses", "archive"),
        ("answers", "archive"),
    ]


async def test_handle_url_build_error_raises_the_given_error(app: App) -> None:
    async with app.test_request_context():
        with pytest.raises(BuildError) as first:
            url_for("archive")
    saved = first.value

    # Called while some other exception is being handled, it must raise the
    # BuildError it was given, not re-raise the exception in flight.
    try:
        int("not a number")
    except ValueError:
        with pytest.raises(BuildError) as second:
            app.handle_url_build_error(saved, "archive", {})
    assert second.value is saved


async def test_build_error_handlers_see_the_underscore_arguments(app: App) -> None:
    received: list[dict[str, Any]] = []

    def record(error: BuildError, endpoint: str, values: dict[str, Any]) -> str:
        received.append(dict(values))
        return "/recorded"

    app.url_build_error_handlers.append(record)
    async with app.test_request_context():
        assert url_for("ghost", page=2) == "/recorded"
        url_for("ghost", _anchor="top", _method="POST")
    assert received[0] == {
        "page": 2,
        "_external": False,
        "_anchor": None,
        "_method": None,
        "_scheme": None,
    }
    assert (received[1]["_anchor"], received[1]["_method"]) == ("top", "POST")


async def test_a_build_error_is_werkzeugs_and_handled_by_an_override(
    app: App,
) -> None:
    class Fallback(App):
        def handle_url_build_error(
            self, error: BuildError, endpoint: str, values: dict[str, Any]
        ) -> str:
            return f"/missing/{endpoint}"

    async with app.test_request_context():
        with pytest.raises(WerkzeugBuildError, match="no such endpoint"):
            url_for("nowhere")
    async with Fallback(__name__).test_request_context():
        assert url_for("nowhere") == "/missing/nowhere"


async def test_a_scheme_makes_the_url_absolute(app: App) -> None:
    @app.route("/pay")
    async def checkout() -> str:
        return ""

    async with app.test_request_context():
        assert url_for("checkout") == "/pay"
        assert url_for("checkout", _scheme="https") == "https://localhost/pay"
        assert url_for("checkout", _scheme="wss", _external=True).startswith("wss://")
        # Asking for a scheme on a relative URL is a contradiction.
        with pytest.raises(ValueError, match="_external"):
            url_for("checkout", _external=False, _scheme="https")


class PairConverter(BaseConverter):
    """``a+b`` in the path, a tuple in the view."""

    regex = r"[^/+]+\+[^/+]+"

    def to_python(self, value: str) -> tuple[str, str]:
        left, right = value.split("+")
        return left, right

    def to_url(self, value: Any) -> str:
        return "+".join(BaseConverter.to_url(self, part) for part in value)


async def test_a_converter_of_ones_own_both_ways(app: App, client: TestClient) -> None:
    app.url_map.converters["pair"] = PairConverter

    @app.route("/compare/<pair:items>")
    async def compare(items: tuple[str, str]) -> str:
        return f"{items[0]} vs {items[1]}"

    assert (await client.get("/compare/tea+coffee")).text == "tea vs coffee"
    assert (await client.get("/compare/tea")).status_code == 404
    async with app.test_request_context():
        # to_url quotes each part.
        assert url_for("compare", items=("a b", "c")) == "/compare/a%20b+c"


async def test_converters_with_arguments_and_their_own_regex(
    app: App, client: TestClient
) -> None:
    class RegexConverter(BaseConverter):
        def __init__(self, map: Any, pattern: str) -> None:
            super().__init__(map)
            self.regex = pattern

    class EvenConverter(BaseConverter):
        regex = r"\d+"

        def to_python(self, value: str) -> int:
            number = int(value)
            if number % 2:
                raise ValidationError()
            return number

    app.url_map.converters["regex"] = RegexConverter
    app.url_map.converters["even"] = EvenConverter

    @app.route('/code/<regex("[a-z]{3}"):code>')
    async def code(code: str) -> str:
        return f"code {code}"

    @app.route("/lang/<string(length=2):lang>")
    async def lang(lang: str) -> str:
        return f"lang {lang}"

    @app.route("/n/<even:n>")
    async def even(n: int) -> str:
        return f"even {n}"

    @app.route("/n/<n>")
    async def other(n: str) -> str:
        return f"other {n}"

    @app.route("/page/<any(about, help):page>")
    async def page(page: str) -> str:
        return f"page {page}"

    assert (await client.get("/code/abc")).text == "code abc"
    assert (await client.get("/code/abcd")).status_code == 404
    assert (await client.get("/lang/de")).text == "lang de"
    assert (await client.get("/lang/deu")).status_code == 404
    assert (await client.get("/n/4")).text == "even 4"
    assert (await client.get("/n/5")).status_code == 404  # refused: as werkzeug
    assert (await client.get("/page/help")).text == "page help"
    assert (await client.get("/page/other")).status_code == 404
    async with app.test_request_context():
        assert url_for("code", code="xyz") == "/code/xyz"
        assert url_for("page", page="about") == "/page/about"


def test_an_unknown_converter_says_how_to_add_one(app: App) -> None:
    with pytest.raises(ValueError, match=r"app.url_map.converters\['list'\]"):
        app.add_url_rule("/<list:args>", "index", lambda args: "")


async def test_subdomain_matching_can_be_turned_on_after_construction() -> None:
    shop = App("shop")
    assert not shop.subdomain_matching
    shop.subdomain_matching = True
    shop.config.from_mapping(TESTING=True, SERVER_NAME="shop.test:8080")

    @shop.route("/", subdomain="<tenant>")
    async def storefront(tenant: str) -> str:
        return f"storefront of {tenant}"

    async with shop.test_client() as browser:
        front = await browser.get("http://acme.shop.test:8080/")
        assert front.text == "storefront of acme"
        # A host that is not under SERVER_NAME matches no rule.
        assert (await browser.get("http://10.0.0.7:8080/")).status_code == 404


async def test_a_nested_blueprints_subdomain_goes_before_its_parents() -> None:
    site = App("site")
    site.subdomain_matching = True
    site.config["SERVER_NAME"] = "corp.test"

    outer = Blueprint("outer", __name__)
    inner = Blueprint("inner", __name__, subdomain="status")

    @inner.route("/")
    async def health() -> str:
        return "all good"

    outer.register_blueprint(inner)
    site.register_blueprint(outer, subdomain="eu")

    async with site.test_client() as browser:
        nested = await browser.get("http://status.eu.corp.test/")
        assert (nested.status_code, nested.text) == (200, "all good")
        assert (await browser.get("http://eu.corp.test/")).status_code == 404
        assert (await browser.get("http://status.corp.test/")).status_code == 404
    async with site.app_context():
        assert url_for("outer.inner.health") == "http://status.eu.corp.test/"


async def test_werkzeug_rule_factories_added_to_the_url_map(
    app: App, client: TestClient
) -> None:
    # Rules made by werkzeug go in as they are; their endpoints get views
    # afterwards, through the decorator or by assigning view_functions.
    app.url_map.add(
        Submount(
            "/docs",
            [
                WerkzeugRule("/", endpoint="contents"),
                WerkzeugRule("/<int:page>", endpoint="page", methods=["GET", "PUT"]),
            ],
        )
    )

    @app.endpoint("contents")
    def contents() -> str:
        return "table of contents"

    app.view_functions["page"] = lambda page: f"page {page} via {request.method}"
    assert (await client.get("/docs/")).text == "table of contents"
    assert (await client.put("/docs/12")).text == "page 12 via PUT"
    assert (await client.post("/docs/12")).status_code == 405
    async with app.test_request_context():
        assert url_for("page", page=3) == "/docs/3"
    with pytest.raises(TypeError, match="needs an endpoint name"):
        app.url_map.add(WerkzeugRule("/nameless"))


async def test_assigning_view_functions_replaces_the_view(
    app: App, client: TestClient
) -> None:
    @app.route("/motd")
    def motd() -> str:
        return "original"

    assert (await client.get("/motd")).text == "original"
    app.view_functions["motd"] = lambda: "replaced"
    assert app.view_functions["motd"]() == "replaced"
    assert (await client.get("/motd")).text == "replaced"
