"""Rules, converters, matching, and url_for."""

from __future__ import annotations

import uuid
from typing import Any

import httpx
import pytest
from starlette.applications import Starlette
from starlette.routing import Mount

from app_framework import App, Blueprint, BuildError, url_for
from app_framework.routing import translate
from app_framework.testing import TestClient
from app_framework.wrappers import route_path as _route_path


@pytest.mark.parametrize(
    ("rule", "expected"),
    [
        ("/", "/"),
        ("/users/<int:user_id>", "/users/{user_id:int}"),
        ("/p/<name>/<string:other>", "/p/{name:str}/{other:str}"),
        ("/f/<float:x>/<path:rest>", "/f/{x:float}/{rest:app_framework_path}"),
        ("/u/<uuid:id>", "/u/{id:uuid}"),
    ],
)
def test_translate(rule: str, expected: str) -> None:
    assert translate(rule)[0] == expected


@pytest.mark.parametrize(
    ("rule", "message"),
    [
        ("users", "must start with '/'"),
        ("/<bogus:x>", "unknown converter 'bogus'"),
        ("/<a>/<int:a>", "uses <a> twice"),
        ("/<int:>", "malformed"),
        ("/{x}", "malformed"),
    ],
)
def test_bad_rules_are_refused_clearly(rule: str, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        App("x").add_url_rule(rule, "e", lambda: "")


async def test_converters_match_and_convert(app: App, client: TestClient) -> None:
    @app.route("/int/<int:n>")
    async def as_int(n: int) -> dict[str, object]:
        return {"value": n, "type": type(n).__name__}

    @app.route("/float/<float:x>")
    async def as_float(x: float) -> dict[str, object]:
        return {"value": x, "type": type(x).__name__}

    @app.route("/uuid/<uuid:u>")
    async def as_uuid(u: uuid.UUID) -> dict[str, object]:
        return {"value": str(u), "type": type(u).__name__}

    @app.route("/path/<path:rest>")
    async def as_path(rest: str) -> dict[str, object]:
        return {"value": rest, "type": type(rest).__name__}

    assert (await client.get("/int/42")).json() == {"value": 42, "type": "int"}
    assert (await client.get("/int/x")).status_code == 404
    assert (await client.get("/float/1.5")).json() == {"value": 1.5, "type": "float"}
    u = uuid.uuid4()
    assert (await client.get(f"/uuid/{u}")).json() == {"value": str(u), "type": "UUID"}
    assert (await client.get("/path/a/b/c")).json() == {"value": "a/b/c", "type": "str"}


async def test_url_for_round_trips(app: App) -> None:
    @app.route("/users/<int:user_id>/<name>")
    async def user(user_id: int, name: str) -> str:
        return ""

    @app.route("/files/<path:rest>")
    async def files(rest: str) -> str:
        return ""

    async with app.test_request_context("/"):
        assert url_for("user", user_id=3, name="a b") == "/users/3/a%20b"
        assert url_for("user", user_id=3, name="x", page=2) == "/users/3/x?page=2"
        assert url_for("files", rest="a/b c") == "/files/a/b%20c"
        assert url_for("user", user_id=1, name="n", _anchor="top") == "/users/1/n#top"
        assert url_for("user", user_id=1, name="n", _external=True) == (
            "http://localhost/users/1/n"
        )
        assert url_for(
            "user", user_id=1, name="n", _scheme="https", _external=True
        ).startswith("https://")
        with pytest.raises(ValueError, match="'_external' must be True"):
            url_for("user", user_id=1, name="n", _scheme="https", _external=False)


async def test_url_for_outside_a_request_uses_server_name(app: App) -> None:
    app.add_url_rule("/", "index", lambda: "")
    async with app.app_context():
        with pytest.raises(RuntimeError, match="without 'SERVER_NAME' configured"):
            url_for("index")
        app.config.update(
            SERVER_NAME="example.com",
            APPLICATION_ROOT="/app",
            PREFERRED_URL_SCHEME="https",
        )
        assert url_for("index") == "https://example.com/app/"  # absolute, as Flask
        assert url_for("index", _external=False) == "/app/"


@pytest.mark.parametrize(
    ("values", "message"),
    [
        ({"user_id": -1}, "cannot fill an <int"),
        ({"user_id": True}, "cannot fill an <int"),
        ({}, "It needs"),
    ],
)
async def test_url_for_errors(app: App, values: dict[str, Any], message: str) -> None:
    app.add_url_rule("/u/<int:user_id>", "user", lambda user_id: "")
    async with app.test_request_context():
        with pytest.raises(BuildError, match=message):
            url_for("user", **values)
        with pytest.raises(BuildError, match="no such endpoint"):
            url_for("nobody")


async def test_url_for_string_part_refuses_a_slash(app: App) -> None:
    app.add_url_rule("/n/<name>", "named", lambda name: "")
    async with app.test_request_context():
        with pytest.raises(BuildError, match="has '/'"):
            url_for("named", name="a/b")


async def test_url_for_by_method(app: App) -> None:
    app.add_url_rule("/read", "item", lambda: "", methods=["GET"])
    async with app.test_request_context():
        assert url_for("item", _method="GET") == "/read"
        with pytest.raises(BuildError):
            url_for("item", _method="POST")


async def test_an_endpoint_belongs_to_one_view(app: App) -> None:
    app.add_url_rule("/a", "same", lambda: "a")
    with pytest.raises(ValueError, match="overwriting an existing endpoint"):
        app.add_url_rule("/b", "same", lambda: "b")
    # Flask raises AssertionError there: that spelling catches it too.
    with pytest.raises(AssertionError, match="Give it another endpoint name"):
        app.add_url_rule("/c", "same", lambda: "c")


def test_methods_as_one_string_are_refused(app: App) -> None:
    with pytest.raises(TypeError, match=r"write methods=\['PUT', 'PATCH'\]"):
        app.add_url_rule("/edit", "edit", lambda: "", methods="PUT PATCH")
    with pytest.raises(TypeError, match="not the string 'GET'"):
        app.route("/read", methods="GET")(lambda: "")


async def test_one_objects_method_may_serve_several_rules(
    app: App, client: TestClient
) -> None:
    # Reading ``shelf.show`` twice gives two bound methods; they are equal,
    # so the second rule is the same view, not an overwrite.
    class Shelf:
        def show(self, slot: str = "top") -> str:
            return f"{slot} shelf"

    shelf = Shelf()
    app.add_url_rule("/shelf", "show", shelf.show)
    app.add_url_rule("/shelf/<slot>", "show", shelf.show)
    with pytest.raises(ValueError, match="overwriting an existing endpoint"):
        app.add_url_rule("/other", "show", Shelf().show)
    assert (await client.get("/shelf")).text == "top shelf"
    assert (await client.get("/shelf/bottom")).text == "bottom shelf"


async def test_blueprints(app: App, client: TestClient) -> None:
    calls: list[str] = []
    admin = Blueprint("admin", __name__, url_prefix="/admin")

    @admin.before_request
    def admin_only() -> None:
        calls.append("admin before")

    @admin.after_request
    def admin_after(response: object) -> object:
        calls.append("admin after")
        return response

    @admin.teardown_request
    def admin_teardown(exc: BaseException | None) -> None:
        calls.append("admin teardown")

    @admin.errorhandler(404)
    async def admin_404(exc: Exception) -> tuple[str, int]:
        return "no such admin page", 404

    @admin.route("/users/<int:n>")
    async def users(n: int) -> str:
        return url_for(".users", n=n + 1)

    @admin.get("/missing")
    async def missing() -> str:
        from app_framework import abort

        abort(404)

    @app.before_request
    def app_before() -> None:
        calls.append("app before")

    @app.route("/")
    async def index() -> str:
        return url_for("admin.users", n=1)

    app.register_blueprint(admin)
    assert (await client.get("/admin/users/1")).text == "/admin/users/2"
    assert calls == ["app before", "admin before", "admin after", "admin teardown"]
    calls.clear()
    assert (await client.get("/")).text == "/admin/users/1"
    assert calls == ["app before"]
    assert (await client.get("/admin/missing")).text == "no such admin page"
    assert "<title>404 Not Found</title>" in (await client.get("/nothing")).text


async def test_blueprint_rules(app: App) -> None:
    shop = Blueprint("shop", __name__)
    with pytest.raises(ValueError, match="may not contain a dot"):
        Blueprint("a.b", __name__)
    with pytest.raises(ValueError, match="may not contain"):
        shop.add_url_rule("/", "x.y", lambda: "")
    with pytest.raises(TypeError, match="needs a view_func"):
        shop.add_url_rule("/")
    shop.add_url_rule("/cart", "cart", lambda: "cart")
    app.register_blueprint(shop, url_prefix="/store/")
    with pytest.raises(ValueError, match="already registered for this blueprint"):
        app.register_blueprint(shop)  # the same name twice: Flask 3.1 refuses
    with pytest.raises(ValueError, match=r"registered for blueprint .*:shop"):
        app.register_blueprint(Blueprint("shop", "other.module"))
    with pytest.raises(RuntimeError, match="already registered"):
        shop.add_url_rule("/late", "late", lambda: "")
    async with app.test_client() as client:
        assert (await client.get("/store/cart")).text == "cart"


async def test_paths_with_newlines_match_exactly(app: App) -> None:
    """Found by the fuzz tests: Starlette's patterns let a trailing newline
    through and its path converter stopped at newlines."""

    @app.route("/int/<int:n>")
    async def as_int(n: int) -> str:
        return str(n)

    @app.route("/files/<path:rest>")
    async def files(rest: str) -> str:
        return repr(rest)

    async with app.test_client() as client:
        assert (await client.get("/int/5%0A")).status_code == 404
        assert (await client.get("/int/5")).text == "5"
        assert (await client.get("/files/a%0Ab")).text == repr("a\nb")
        assert (await client.get("/files/%0A")).text == repr("\n")


async def test_mounted_under_a_root_path(app: App) -> None:
    """Mounted in a Starlette app, rules match the path below the mount
    point, and URLs are built with it."""

    @app.route("/users/<int:user_id>")
    async def user(user_id: int) -> dict[str, Any]:
        return {"id": user_id, "url": url_for("user", user_id=user_id)}

    @app.route("/docs/")
    async def docs() -> str:
        return "docs"

    outer = Starlette(routes=[Mount("/api", app=app)])
    transport = httpx.ASGITransport(app=outer)
    async with httpx.AsyncClient(transport=transport, base_url="http://x") as client:
        response = await client.get("/api/users/5")
        assert response.json() == {"id": 5, "url": "/api/users/5"}
        moved = await client.get("/api/docs")
        assert moved.status_code == 308
        assert moved.headers["location"] == "http://x/api/docs/"
        missing = await client.get("/api/users/x")
        assert missing.status_code == 404 and "<h1>Not Found</h1>" in missing.text
        assert (await client.get("/users/5")).status_code == 404  # not mounted there


@pytest.mark.parametrize(
    ("path", "root_path", "route_path"),
    [
        ("/api/users", "/api", "/users"),
        ("/api", "/api", "/"),
        ("/apix/users", "/api", "/apix/users"),  # not below the mount point
        ("/users", "", "/users"),
    ],
)
def test_route_path_drops_only_a_real_mount_point(
    path: str, root_path: str, route_path: str
) -> None:
    assert _route_path({"path": path, "root_path": root_path}) == route_path
