"""The test client: httpx's, with Flask's and Quart's habits too."""

from __future__ import annotations

import dataclasses
import io
from typing import Any

import httpx
import pytest

from app_framework import (
    App,
    g,
    has_request_context,
    redirect,
    request,
    session,
    signals,
)
from app_framework.testing import TestClient, TestResponse


@dataclasses.dataclass
class Item:
    name: str


@pytest.fixture
def echo(app: App) -> App:
    @app.route("/echo", methods=["GET", "POST", "PUT"])
    async def echo() -> dict[str, Any]:
        form = await request.form
        files = await request.files
        return {
            "method": request.method,
            "args": request.args.to_dict(flat=False),
            "form": form.to_dict(flat=False),
            "files": {k: [f.filename, f.read().decode()] for k, f in files.items()},
            "json": await request.get_json(silent=True),
            "type": request.mimetype,
            "header": request.headers.get("X-Test"),
        }

    @app.route("/go")
    async def go() -> Any:
        return redirect("/echo?from=go")

    return app


async def test_response_has_flask_and_quart_names(
    echo: App, client: TestClient
) -> None:
    response = await client.get("/echo")
    assert isinstance(response, TestResponse) and isinstance(response, httpx.Response)
    assert response.status_code == 200 and response.status == "200 OK"
    assert response.data == response.content
    assert response.get_data() == response.content
    assert response.get_data(as_text=True) == response.text
    assert await response.get_data() == response.content  # Quart
    assert await response.get_data(as_text=True) == response.text
    assert response.get_json() == response.json() == response.json  # Flask, httpx
    assert (await response.get_json())["method"] == "GET"  # Quart
    assert response.is_json and response.mimetype == "application/json"
    assert response.headers.getlist("content-type") == ["application/json"]
    moved = await client.get("/go")
    assert (moved.status_code, moved.location) == (302, "/echo?from=go")
    followed = await client.get("/go", follow_redirects=True)
    assert followed.json["args"] == {"from": ["go"]}


async def test_flask_request_arguments(echo: App, client: TestClient) -> None:
    response = await client.post(
        "/echo",
        data={
            "title": "t",
            "tags": ["a", "b"],
            "doc": (io.BytesIO(b"body"), "doc.txt"),
        },
        query_string={"page": 2},
        headers={"X-Test": "yes"},
    )
    assert response.json == {
        "method": "POST",
        "args": {"page": ["2"]},
        "form": {"title": ["t"], "tags": ["a", "b"]},
        "files": {"doc": ["doc.txt", "body"]},
        "json": None,
        "type": "multipart/form-data",
        "header": "yes",
    }
    raw = await client.put(
        "/echo", data="a=1", content_type="application/x-www-form-urlencoded"
    )
    assert raw.json["form"] == {"a": ["1"]}
    opened = await client.open("/echo", method="PUT", query_string="x=1")
    assert (opened.json["method"], opened.json["args"]) == ("PUT", {"x": ["1"]})


async def test_quart_request_arguments(echo: App, client: TestClient) -> None:
    response = await client.post(
        "/echo", form={"a": "1"}, files={"up": ("u.txt", b"uploaded", "text/plain")}
    )
    assert response.json["form"] == {"a": ["1"]}
    assert response.json["files"] == {"up": ["u.txt", "uploaded"]}


async def test_json_goes_through_app_json(echo: App, client: TestClient) -> None:
    response = await client.post("/echo", json={"item": Item("pen")})
    assert response.json["json"] == {"item": {"name": "pen"}}
    assert response.json["type"] == "application/json"


async def test_httpx_arguments_still_work(echo: App, client: TestClient) -> None:
    response = await client.post(
        "/echo",
        params={"p": "1"},
        content=b'{"a": 1}',
        headers={"content-type": "application/json"},
    )
    assert response.json()["json"] == {"a": 1} and response.json()["args"] == {
        "p": ["1"]
    }


def test_conflicting_bodies_are_refused(echo: App) -> None:
    from app_framework._test_requests import build_body

    with pytest.raises(TypeError, match="only one of"):
        build_body(echo, data="raw", json={"a": 1})


async def test_contexts_stay_readable_inside_async_with_client(app: App) -> None:
    torn: list[str] = []

    @app.route("/login")
    async def login() -> str:
        session["user"] = request.args["name"]
        g.greeting = "hello"
        return "ok"

    app.teardown_request(lambda exc: torn.append(request.path))
    async with app.test_client() as client:
        await client.get("/login?name=ada")
        assert session["user"] == "ada"  # as Flask's 'with client:'
        assert g.greeting == "hello" and request.args["name"] == "ada"
        assert torn == []  # torn down when the next request starts
        await client.get("/login?name=bob")
        assert torn == ["/login"] and session["user"] == "bob"
    assert torn == ["/login", "/login"]
    assert not has_request_context()


async def test_nothing_outlives_its_request_outside_such_a_block(
    app: App, client: TestClient
) -> None:
    app.add_url_rule("/", "index", lambda: "ok")
    await client.get("/")  # the fixture's client: entered in another task
    assert not has_request_context()
    async with client:  # Flask's 'with client:' on an existing client
        await client.get("/")
        assert request.path == "/"
    assert not has_request_context()


async def test_a_failed_request_is_not_kept(app: App) -> None:
    @app.route("/")
    async def index() -> str:
        raise ValueError("boom")

    async with app.test_client() as client:
        with pytest.raises(ValueError, match="boom"):
            await client.get("/")
        assert not has_request_context()


async def test_test_request_context_takes_the_same_arguments(app: App) -> None:
    async with app.test_request_context(
        "/p",
        method="POST",
        data={"a": "1", "f": (io.BytesIO(b"x"), "f.txt")},
        query_string={"q": "z"},
    ):
        form = await request.form
        assert form["a"] == "1" and (await request.files)["f"].filename == "f.txt"
        assert request.args["q"] == "z"
    async with app.test_request_context("/", method="POST", json=Item("cup")):
        assert await request.get_json() == {"name": "cup"}
    async with app.test_request_context("/", method="POST", form={"b": "2"}):
        assert (await request.form)["b"] == "2"


async def test_signals_after_the_block(app: App) -> None:
    heard: list[str] = []

    def on_teardown(sender: App, **kwargs: Any) -> None:
        heard.append("request_tearing_down")

    app.add_url_rule("/", "index", lambda: "ok")
    with signals.request_tearing_down.connected_to(on_teardown, app):
        async with app.test_client() as client:
            await client.get("/")
            assert heard == []
    assert heard == ["request_tearing_down"]


async def test_responses_without_json(app: App, client: TestClient) -> None:
    @app.route("/html")
    async def html() -> str:
        return "<p>not json</p>"

    @app.route("/bad-json")
    async def bad_json() -> Any:
        from app_framework import Response

        return Response("{nope", mimetype="application/json")

    @app.route("/empty")
    async def empty() -> Any:
        from app_framework import Response

        return Response(b"", headers={"content-type": ""})

    html_response = await client.get("/html")
    assert not html_response.get_json() and not html_response.json
    assert html_response.get_json(force=True, silent=True) is not None  # stand-in
    assert not html_response.get_json(force=True, silent=True)
    assert html_response.content_type == "text/html; charset=utf-8"
    bad = await client.get("/bad-json")
    with pytest.raises(ValueError):
        bad.get_json()
    assert not bad.get_json(silent=True)
    empty_response = await client.get("/empty")
    assert empty_response.mimetype is None


# -- Flask's client, round 3: addressing, environ_base, cookies, reuse -------


async def test_get_without_a_path_requests_the_root(
    app: App, client: TestClient
) -> None:
    app.add_url_rule("/", "index", lambda: request.path)
    assert (await client.get()).data == b"/"
    assert (await client.open()).data == b"/"


async def test_server_name_and_application_root_are_the_defaults(
    app: App, client: TestClient
) -> None:
    app.config["SERVER_NAME"] = "example.com:1234"
    app.config["APPLICATION_ROOT"] = "/foo"

    @app.route("/")
    def index() -> str:
        return f"{request.url} {request.root_path} {request.path}"

    ctx = app.test_request_context()
    assert ctx.request.url == "http://example.com:1234/foo/"
    rv = await client.get("/")
    assert rv.data == b"http://example.com:1234/foo/ /foo /"


async def test_base_url_and_url_scheme_per_request(
    app: App, client: TestClient
) -> None:
    @app.route("/")
    def index() -> str:
        return f"{request.url} {request.root_path} {request.path}"

    rv = await client.get("/", base_url="https://example.com/app/")
    assert rv.data == b"https://example.com/app/ /app /"
    rv = await client.get("/", url_scheme="https")
    assert rv.data == b"https://localhost/  /"
    async with app.test_request_context(url_scheme="https"):
        assert request.url == "https://localhost/"
    with pytest.raises(TypeError, match="base_url= alone"):
        await client.get("/", base_url="https://example.com/", url_scheme="http")


async def test_subdomain_with_server_name() -> None:
    from app_framework import Blueprint

    app = App(__name__, subdomain_matching=True)
    app.config["SERVER_NAME"] = "example.com:1234"
    client = app.test_client()
    bp = Blueprint("company", __name__, subdomain="xxx")

    @bp.route("/")
    def index() -> str:
        return request.url

    app.register_blueprint(bp)
    ctx = app.test_request_context("/", subdomain="xxx")
    assert ctx.request.url == "http://xxx.example.com:1234/"
    async with ctx:
        assert ctx.request.blueprint == bp.name
    rv = await client.get("/", subdomain="xxx")
    assert rv.data == b"http://xxx.example.com:1234/"


async def test_environ_base(app: App, client: TestClient) -> None:
    @app.route("/")
    def index() -> str:
        return f"{request.remote_addr} {request.user_agent.string}"

    from importlib.metadata import version

    rv = await client.get("/")
    assert rv.text == f"127.0.0.1 Werkzeug/{version('werkzeug')}"
    client.environ_base["REMOTE_ADDR"] = "192.168.0.22"
    client.environ_base["HTTP_USER_AGENT"] = "Foo"
    assert (await client.get("/")).text == "192.168.0.22 Foo"
    rv = await client.get("/", environ_base={"REMOTE_ADDR": "10.0.0.1"})
    assert rv.text == "10.0.0.1 Foo"
    rv = await client.get("/", headers={"User-Agent": "Bar"})
    assert rv.text == "192.168.0.22 Bar"  # a header beats environ_base
    with pytest.raises(ValueError, match="has no meaning for an ASGI request"):
        await client.get("/", environ_base={"wsgi.bogus": 1})


async def test_open_sends_an_environ_builder(app: App, client: TestClient) -> None:
    from app_framework.testing import EnvironBuilder

    @app.route("/index", methods=["POST"])
    async def index() -> str:
        form = await request.form
        return f"{request.remote_addr} {request.url} {form['a']}"

    builder = EnvironBuilder(app, "/index?q=1", method="POST", data={"a": "b"})
    rv = await client.open(builder)
    assert rv.text == "127.0.0.1 http://localhost/index?q=1 b"
    environ = builder.get_environ()
    client.environ_base["REMOTE_ADDR"] = "127.0.0.2"
    rv = await client.open(environ)
    assert rv.text == "127.0.0.2 http://localhost/index?q=1 b"
    assert EnvironBuilder(app, "https://example.com/").host == "example.com"


async def test_use_cookies_false_keeps_no_cookie(app: App) -> None:
    @app.route("/")
    def index() -> str:
        session["n"] = session.get("n", 0) + 1
        return str(session["n"])

    client = app.test_client(use_cookies=False)
    assert (await client.get("/")).text == "1"
    assert (await client.get("/")).text == "1"  # the cookie was not kept
    with pytest.raises(TypeError, match="Cookies are disabled"):
        async with client.session_transaction():
            raise AssertionError("never entered")


async def test_allow_is_a_header_set(app: App, client: TestClient) -> None:
    app.add_url_rule("/", "index", lambda: "ok", methods=["GET", "POST"])
    rv = await client.put("/")
    assert rv.status_code == 405
    assert "get" in rv.allow and "POST" in rv.allow and "PUT" not in rv.allow


def test_test_client_class_and_cli_runner_class(app: App) -> None:
    from app_framework.testing import AppCliRunner

    class SubClient(TestClient):
        pass

    class SubRunner(AppCliRunner):
        pass

    app.test_client_class = SubClient
    app.test_cli_runner_class = SubRunner
    assert isinstance(app.test_client(), SubClient)
    assert isinstance(app.test_cli_runner(), SubRunner)


async def test_client_is_reusable_across_blocks(app: App) -> None:
    started: list[str] = []
    app.before_serving(lambda: started.append("start"))
    app.add_url_rule("/", "index", lambda: "ok")
    client = app.test_client()
    async with client:
        assert (await client.get("/")).text == "ok"
        assert request.path == "/"
    async with client:
        assert (await client.get("/")).text == "ok"
        assert request.path == "/"
    assert (await client.get("/")).text == "ok"  # after the blocks too
    assert not has_request_context()
    assert started == ["start", "start"]


async def test_session_transaction_keeps_the_current_context(
    app: App, client: TestClient
) -> None:
    app.add_url_rule("/", "index", lambda: str(session.get("foo")))
    async with app.test_request_context("/before"):
        async with client.session_transaction() as sess:
            assert request.path == "/before"  # no context of its own pushed
            sess["foo"] = 42
        assert request.path == "/before"
    assert not has_request_context()
    assert (await client.get("/")).text == "42"


async def test_session_transaction_under_server_name_and_root(
    app: App, client: TestClient
) -> None:
    app.config["SERVER_NAME"] = "example.com"
    app.config["APPLICATION_ROOT"] = "/app"
    app.add_url_rule("/", "index", lambda: str(session.get("foo")))
    async with client.session_transaction() as sess:
        sess["foo"] = "bar"
    assert (await client.get("/")).text == "bar"


async def test_session_transaction_without_a_session(app: App) -> None:
    app.config["SECRET_KEY"] = None
    async with app.test_client() as client:
        with pytest.raises(RuntimeError, match="did not open a session"):
            async with client.session_transaction():
                raise AssertionError("never entered")


async def test_close_is_sync(app: App, client: TestClient) -> None:
    app.add_url_rule("/", "index", lambda: "ok")
    rv = await client.get("/")
    rv.close()  # werkzeug's spelling: the body is read already
    assert rv.is_closed and rv.data == b"ok"
