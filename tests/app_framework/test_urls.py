"""URL rules and url_for as Flask has them: defaults, endpoints, URL
processors, build-error handlers, automatic OPTIONS, slashes, redirects,
SERVER_NAME, and host and subdomain matching."""

from __future__ import annotations

from typing import Any

import pytest

from app_framework import App, BuildError, g, request, url_for
from app_framework.exceptions import SetupConflictError
from app_framework.testing import TestClient


async def test_route_defaults_match_build_and_redirect(
    app: App, client: TestClient
) -> None:
    @app.route("/page/", defaults={"num": 1})
    @app.route("/page/<int:num>")
    async def page(num: int) -> str:
        return f"page {num}: {url_for('page', num=num)}"

    assert (await client.get("/page/")).text == "page 1: /page/"
    assert (await client.get("/page/3")).text == "page 3: /page/3"
    moved = await client.get("/page/1")  # the defaults' own URL is canonical
    assert (moved.status_code, moved.location) == (308, "http://localhost/page/")
    async with app.test_request_context():
        assert url_for("page") == "/page/"


async def test_an_endpoint_without_a_view_then_its_view(
    app: App, client: TestClient
) -> None:
    app.add_url_rule("/later", endpoint="later")

    @app.endpoint("later")
    async def later() -> str:
        return "given later"

    with pytest.raises(ValueError, match="no URL rule has the endpoint 'nothing'"):
        app.endpoint("nothing")(later)
    assert (await client.get("/later")).text == "given later"


async def test_a_rule_never_given_a_view_says_so(app: App, client: TestClient) -> None:
    app.add_url_rule("/orphan", endpoint="orphan")
    with pytest.raises(RuntimeError, match=r"has no view: .*@app.endpoint\('orphan'\)"):
        await client.get("/orphan")


async def test_app_url_processors(app: App, client: TestClient) -> None:
    @app.url_value_preprocessor
    def pull(endpoint: str | None, values: dict[str, Any] | None) -> None:
        g.lang = (values or {}).pop("lang", None)

    @app.url_defaults
    def push(endpoint: str, values: dict[str, Any]) -> None:
        if "lang" not in values and g.get("lang"):
            values["lang"] = g.lang

    @app.route("/<lang>/about")
    async def about() -> str:
        return f"{g.lang} {url_for('about')} {url_for('about', lang='fr')}"

    assert (await client.get("/en/about")).text == "en /en/about /fr/about"


async def test_build_error_handlers(app: App) -> None:
    def external(
        error: BuildError, endpoint: str, values: dict[str, Any]
    ) -> str | None:
        if endpoint == "docs":
            return "https://docs.example.com/"
        return None

    app.url_build_error_handlers.append(external)
    async with app.test_request_context():
        assert url_for("docs") == "https://docs.example.com/"
        with pytest.raises(BuildError, match="no such endpoint"):
            url_for("missing")


async def test_automatic_options(app: App, client: TestClient) -> None:
    async def view() -> str:
        return "view"

    app.add_url_rule("/auto", "auto", view, methods=["GET", "POST"])
    app.add_url_rule("/manual", "manual", view, provide_automatic_options=False)

    async def explicit() -> str:
        return "explicit options" if request.method == "OPTIONS" else "get"

    app.add_url_rule("/explicit", "explicit", explicit, methods=["GET", "OPTIONS"])
    auto = await client.options("/auto")
    assert (
        auto.status_code == 200 and auto.headers["allow"] == "GET, HEAD, OPTIONS, POST"
    )
    assert (await client.options("/manual")).status_code == 405
    assert (await client.options("/explicit")).text == "explicit options"


async def test_rule_methods_list_options_only_when_added_automatically(
    app: App, client: TestClient
) -> None:
    async def report() -> str:
        return "report"

    report.required_methods = {"GET"}  # type: ignore[attr-defined]
    app.add_url_rule("/implied", "implied", report, methods=["PUT"])
    app.add_url_rule("/asked", "asked", report, provide_automatic_options=True)
    app.add_url_rule("/off", "off", report, provide_automatic_options=False)
    methods = {rule.endpoint: rule.methods for rule in app.url_map.iter_rules()}
    # Required GET brings HEAD along; OPTIONS joins only when implied.
    assert methods["implied"] == {"GET", "HEAD", "OPTIONS", "PUT"}
    assert methods["asked"] == {"GET", "HEAD"}
    assert methods["off"] == {"GET", "HEAD"}
    # Asked for, the automatic answer is still given, listing OPTIONS.
    asked = await client.options("/asked")
    assert asked.status_code == 200 and asked.headers["allow"] == "GET, HEAD, OPTIONS"
    assert (await client.options("/off")).status_code == 405


async def test_the_config_turns_automatic_options_off(
    app: App, client: TestClient
) -> None:
    app.config["PROVIDE_AUTOMATIC_OPTIONS"] = False
    app.add_url_rule("/", "index", lambda: "x")
    assert (await client.options("/")).status_code == 405


async def test_strict_slashes(app: App, client: TestClient) -> None:
    app.add_url_rule("/strict/", "strict", lambda: "strict")
    app.add_url_rule("/loose/", "loose", lambda: "loose", strict_slashes=False)
    assert (await client.get("/strict")).status_code == 308
    assert (await client.get("/loose")).text == "loose"
    assert (await client.get("/loose/")).text == "loose"


async def test_redirect_to(app: App, client: TestClient) -> None:
    app.add_url_rule("/old/<int:id>", "old", redirect_to="/new/<id>")
    app.add_url_rule(
        "/legacy/<name>",
        "legacy",
        redirect_to=lambda adapter, name: f"/users/{name.lower()}",
    )
    old = await client.get("/old/7")
    assert (old.status_code, old.location) == (308, "http://localhost/new/7")
    assert "Redirecting..." in old.text
    legacy = await client.get("/legacy/ADA")
    assert legacy.location == "http://localhost/users/ada"


async def test_url_for_outside_a_request(app: App) -> None:
    app.add_url_rule("/users/<int:id>", "user", lambda id: "")
    app.config.update(
        SERVER_NAME="example.com:8080",
        APPLICATION_ROOT="/app",
        PREFERRED_URL_SCHEME="https",
    )
    async with app.app_context():
        assert url_for("user", id=1) == "https://example.com:8080/app/users/1"
        assert url_for("user", id=1, _external=False) == "/app/users/1"
        assert url_for("user", id=1, _anchor="top", q="x y") == (
            "https://example.com:8080/app/users/1?q=x+y#top"
        )


async def test_server_name_wins_over_the_host_header(app: App) -> None:
    app.add_url_rule("/reset", "reset", lambda: "")
    app.config["SERVER_NAME"] = "example.com"
    async with app.test_request_context("/", headers={"host": "evil.example.net"}):
        assert url_for("reset", _external=True) == "http://example.com/reset"
    app.config["SERVER_NAME"] = None
    async with app.test_request_context("/", headers={"host": "other.net"}):
        assert url_for("reset", _external=True) == "http://other.net/reset"


async def test_subdomain_matching(client: TestClient) -> None:
    app = App("subdomains", subdomain_matching=True)
    app.config.update(SERVER_NAME="example.com", TESTING=True)

    @app.route("/")
    async def index() -> str:
        return "main " + url_for("user_home", user="bob") + " " + url_for("api_root")

    @app.route("/", subdomain="<user>")
    async def user_home(user: str) -> str:
        return f"home of {user} " + url_for("user_home", user=user)

    @app.route("/", subdomain="api")
    async def api_root() -> str:
        return "api"

    async with app.test_client() as subclient:
        main = await subclient.get("http://example.com/")
        assert main.text == "main http://bob.example.com/ http://api.example.com/"
        assert (await subclient.get("http://api.example.com/")).text == "api"
        home = await subclient.get("http://ada.example.com/")
        assert home.text == "home of ada /"  # same subdomain: a relative URL
        assert (await subclient.get("http://elsewhere.org/")).status_code == 404


async def test_a_subdomain_rule_turns_subdomain_matching_on() -> None:
    # Quart's rule: naming a subdomain is enough, without subdomain_matching.
    app = App("implied_subdomains")
    app.config["SERVER_NAME"] = "example.com"
    app.add_url_rule("/", "api", lambda: "api", subdomain="api")
    app.add_url_rule("/", "index", lambda: "index")
    async with app.test_client() as client:
        assert (await client.get("http://api.example.com/")).text == "api"
        assert (await client.get("http://example.com/")).text == "index"
        assert (await client.get("http://www.example.com/")).status_code == 404
        # A host outside SERVER_NAME still reaches the rules without one.
        assert (await client.get("http://other.org/")).text == "index"
        async with app.app_context():
            assert url_for("api") == "http://api.example.com/"


async def test_without_subdomain_rules_every_host_matches() -> None:
    app = App("no_subdomains")
    app.config["SERVER_NAME"] = "example.com"
    app.add_url_rule("/", "index", lambda: "index")
    async with app.test_client() as client:
        assert (await client.get("http://api.example.com/")).text == "index"
        assert (await client.get("http://other.org/")).text == "index"  # as Flask


async def test_host_matching() -> None:
    app = App("hosts", host_matching=True, static_host="static.example.com")

    @app.route("/", host="example.com")
    async def index() -> str:
        return (
            "main "
            + url_for("shop", name="acme")
            + " "
            + url_for("static", filename="a.css")
        )

    @app.route("/", host="<name>.shop.example.com")
    async def shop(name: str) -> str:
        return "shop " + name

    async with app.test_client() as client:
        assert (await client.get("http://example.com/")).text == (
            "main http://acme.shop.example.com/ http://static.example.com/static/a.css"
        )
        assert (await client.get("http://acme.shop.example.com/")).text == "shop acme"
        assert (await client.get("http://nowhere.org/")).status_code == 404


def test_static_host_and_host_matching_go_together() -> None:
    with pytest.raises(SetupConflictError, match="needs static_host="):
        App("hosts", host_matching=True)
    # Flask raises AssertionError here: catching that works too.
    with pytest.raises(AssertionError, match="needs host_matching=True"):
        App("hosts", static_host="cdn.example.com")
    # Without static files there is no static route to give a host.
    bare = App("hosts", host_matching=True, static_folder=None)
    assert "static" not in bare.view_functions


def test_unknown_route_options_are_refused(app: App) -> None:
    with pytest.raises(TypeError, match=r"unknown route option\(s\) \['colour'\]"):
        app.add_url_rule("/", "x", lambda: "", colour="red")
    with pytest.raises(TypeError, match="use route"):
        app.get("/", methods=["POST"])


async def test_more_specific_rules_win_whatever_the_order(
    app: App, client: TestClient
) -> None:
    app.add_url_rule("/files/<path:rest>", "files", lambda rest: f"path {rest}")
    app.add_url_rule("/users/<name>", "user", lambda name: f"name {name}")
    app.add_url_rule("/users/<int:id>", "user_id", lambda id: f"id {id}")
    app.add_url_rule("/users/new", "new_user", lambda: "the form")
    app.add_url_rule("/files/readme", "readme", lambda: "readme")
    assert (await client.get("/users/new")).text == "the form"
    assert (await client.get("/users/7")).text == "id 7"
    assert (await client.get("/users/ada")).text == "name ada"
    assert (await client.get("/files/readme")).text == "readme"
    assert (await client.get("/files/a/b")).text == "path a/b"


@pytest.mark.parametrize(
    "value", ["<img src=x onerror=alert(1)>", "a b&c=d;e@f!", "ž?#%", "o'k(1)+2,3:4$"]
)
async def test_url_for_quotes_a_part_as_flask_does(app: App, value: str) -> None:
    import flask

    peer = flask.Flask("peer")
    peer.add_url_rule("/s/<name>", "one", lambda name: "")
    peer.add_url_rule("/p/<path:name>", "many", lambda name: "")
    app.add_url_rule("/s/<name>", "one", lambda name: "")
    app.add_url_rule("/p/<path:name>", "many", lambda name: "")
    with peer.test_request_context():
        expected = (flask.url_for("one", name=value), flask.url_for("many", name=value))
    async with app.test_request_context():
        assert (url_for("one", name=value), url_for("many", name=value)) == expected


async def test_a_default_wins_over_the_value_matched_for_its_name() -> None:
    # As werkzeug: any host matches the catch-all rule, and its view gets
    # the default, not the host; the more specific host rule gets its part.
    site = App("hosts", host_matching=True, static_folder=None)

    @site.route("/", host="<tenant>", defaults={"tenant": "public"})
    @site.route("/", host="<tenant>.saas.test")
    def home(tenant: str) -> str:
        return tenant

    client = site.test_client()
    assert (await client.get("http://saas.test/")).text == "public"
    assert (await client.get("http://elsewhere.test/")).text == "public"
    assert (await client.get("http://acme.saas.test/")).text == "acme"
