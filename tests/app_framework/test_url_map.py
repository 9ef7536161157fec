"""``app.url_map`` and the URL surface of Flask 3.1, ported from Flask's
tests (test_basic.py, test_helpers.py, test_blueprints.py): URL processors
with ``is_endpoint_expecting``, ``inject_url_defaults``,
``handle_url_build_error``, ``_scheme``, custom converters, subdomains."""

from __future__ import annotations

from typing import Any

import pytest
from werkzeug.routing import BaseConverter, ValidationError
from werkzeug.routing import BuildError as WerkzeugBuildError

from app_framework import App, Blueprint, BuildError, g, url_for
from app_framework.testing import TestClient


async def test_url_processors(app: App, client: TestClient) -> None:
    @app.url_defaults
    def add_language_code(endpoint: str, values: dict[str, Any]) -> None:
        if g.lang_code is not None and app.url_map.is_endpoint_expecting(
            endpoint, "lang_code"
        ):
            values.setdefault("lang_code", g.lang_code)

    @app.url_value_preprocessor
    def pull_lang_code(endpoint: str | None, values: dict[str, Any]) -> None:
        g.lang_code = values.pop("lang_code", None)

    @app.route("/<lang_code>/")
    async def index() -> str:
        return url_for("about")

    @app.route("/<lang_code>/about")
    async def about() -> str:
        return url_for("something_else")

    @app.route("/foo")
    async def something_else() -> str:
        return url_for("about", lang_code="en")

    assert (await client.get("/de/")).text == "/de/about"
    assert (await client.get("/de/about")).text == "/foo"
    assert (await client.get("/foo")).text == "/en/about"


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


async def test_inject_blueprint_url_defaults(app: App) -> None:
    bp = Blueprint("foo", __name__, template_folder="template")

    @bp.url_defaults
    def bp_defaults(endpoint: str, values: dict[str, Any]) -> None:
        values["page"] = "login"

    @bp.route("/<page>")
    async def view(page: str) -> None:
        pass

    app.register_blueprint(bp)

    values: dict[str, Any] = {}
    app.inject_url_defaults("foo.view", values)
    expected = {"page": "login"}
    assert values == expected

    async with app.test_request_context("/somepage"):
        url = url_for("foo.view")
    expected_url = "/login"
    assert url == expected_url


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


async def test_build_error_handler(app: App) -> None:
    # Test base case, a URL which results in a BuildError.
    async with app.test_request_context():
        pytest.raises(BuildError, url_for, "spam")

    # Verify the error is re-raised if not the current exception.
    try:
        async with app.test_request_context():
            url_for("spam")
    except BuildError as err:
        error = err
    try:
        raise RuntimeError("Test case where BuildError is not current.")
    except RuntimeError:
        pytest.raises(BuildError, app.handle_url_build_error, error, "spam", {})

    # Test a custom handler.
    def handler(error: BuildError, endpoint: str, values: dict[str, Any]) -> str:
        # Just a test.
        return "/test_handler/"

    app.url_build_error_handlers.append(handler)
    async with app.test_request_context():
        assert url_for("spam") == "/test_handler/"


async def test_url_for_passes_special_values_to_build_error_handler(
    app: App,
) -> None:
    @app.url_build_error_handlers.append
    def handler(error: BuildError, endpoint: str, values: dict[str, Any]) -> str:
        assert values == {
            "_external": False,
            "_anchor": None,
            "_method": None,
            "_scheme": None,
        }
        return "handled"

    async with app.test_request_context():
        assert url_for("/") == "handled"


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


async def test_url_for_with_scheme_not_external(app: App) -> None:
    app.add_url_rule("/", endpoint="index")

    async with app.test_request_context():
        # Implicit external with scheme.
        url = url_for("index", _scheme="https")
        assert url == "https://localhost/"

        # Error when external=False with scheme
        with pytest.raises(ValueError):
            url_for("index", _scheme="https", _external=False)


async def test_custom_converters(app: App, client: TestClient) -> None:
    class ListConverter(BaseConverter):
        def to_python(self, value: str) -> list[str]:
            return value.split(",")

        def to_url(self, value: Any) -> str:
            base_to_url = super().to_url
            return ",".join(base_to_url(x) for x in value)

    app.url_map.converters["list"] = ListConverter

    @app.route("/<list:args>")
    async def index(args: list[str]) -> str:
        return "|".join(args)

    assert (await client.get("/1,2,3")).text == "1|2|3"

    async with app.test_request_context():
        assert url_for("index", args=[4, 5, 6]) == "/4,5,6"


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
            if int(value) % 2:
                raise ValidationError()
            return int(value)

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


async def test_subdomain_matching_set_after_the_app_is_made() -> None:
    app = App(__name__)
    app.subdomain_matching = True
    app.config.update(SERVER_NAME="localhost.localdomain:3000", TESTING=True)

    @app.route("/", subdomain="<user>")
    async def index(user: str) -> str:
        return f"index for {user}"

    async with app.test_client() as subclient:
        rv = await subclient.get("http://mitsuhiko.localhost.localdomain:3000/")
        assert rv.text == "index for mitsuhiko"
        assert (await subclient.get("http://127.0.0.1:3000/")).status_code == 404


async def test_child_and_parent_subdomain() -> None:
    app = App(__name__)
    app.subdomain_matching = True
    app.config["SERVER_NAME"] = "example.test"

    parent = Blueprint("parent", __name__)
    child = Blueprint("child", __name__, subdomain="api")

    @child.route("/")
    async def index() -> str:
        return "child"

    parent.register_blueprint(child)
    app.register_blueprint(parent, subdomain="parent")

    async with app.test_client() as client:
        response = await client.get("http://api.parent.example.test/")
        assert response.status_code == 200

        response = await client.get("http://parent.example.test/")
        assert response.status_code == 404
    async with app.app_context():
        assert url_for("parent.child.index") == "http://api.parent.example.test/"
