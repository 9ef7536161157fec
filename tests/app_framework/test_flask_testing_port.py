"""Flask 3.1's tests/test_testing.py, ported: ``flask`` -> ``app_framework``,
``Flask`` -> ``App``, ``await``/``async with`` where a call became a
coroutine (a view that awaits is ``async def``), and type annotations. The
fixtures are Flask's tests/conftest.py ones, ported the same way."""

from __future__ import annotations

import importlib.metadata
import os
from collections.abc import AsyncIterator
from typing import Any

import click
import pytest

import app_framework
from app_framework import appcontext_popped
from app_framework.cli import ScriptInfo
from app_framework.ctx import AppContext, RequestContext
from app_framework.globals import _cv_request
from app_framework.json import jsonify
from app_framework.testing import AppCliRunner, EnvironBuilder, TestClient


@pytest.fixture
def app() -> app_framework.App:
    app = app_framework.App("flask_test", root_path=os.path.dirname(__file__))
    app.config.update(
        TESTING=True,
        SECRET_KEY="test key",
    )
    return app


@pytest.fixture
async def app_ctx(app: app_framework.App) -> AsyncIterator[AppContext]:
    async with app.app_context() as ctx:
        yield ctx


@pytest.fixture
async def req_ctx(app: app_framework.App) -> AsyncIterator[RequestContext]:
    async with app.test_request_context() as ctx:
        yield ctx


@pytest.fixture
def client(app: app_framework.App) -> TestClient:
    return app.test_client()


async def test_environ_defaults_from_config(
    app: app_framework.App, client: TestClient
) -> None:
    app.config["SERVER_NAME"] = "example.com:1234"
    app.config["APPLICATION_ROOT"] = "/foo"

    @app.route("/")
    def index() -> Any:
        return app_framework.request.url

    ctx = app.test_request_context()
    assert ctx.request.url == "http://example.com:1234/foo/"

    rv = await client.get("/")
    assert rv.data == b"http://example.com:1234/foo/"


async def test_environ_defaults(
    app: app_framework.App,
    client: TestClient,
    app_ctx: AppContext,
    req_ctx: RequestContext,
) -> None:
    @app.route("/")
    def index() -> Any:
        return app_framework.request.url

    ctx = app.test_request_context()
    assert ctx.request.url == "http://localhost/"
    async with client:
        rv = await client.get("/")
        assert rv.data == b"http://localhost/"


async def test_environ_base_default(app: app_framework.App, client: TestClient) -> None:
    @app.route("/")
    def index() -> Any:
        app_framework.g.remote_addr = app_framework.request.remote_addr
        app_framework.g.user_agent = app_framework.request.user_agent.string
        return ""

    async with client:
        await client.get("/")
        assert app_framework.g.remote_addr == "127.0.0.1"
        assert app_framework.g.user_agent == (
            f"Werkzeug/{importlib.metadata.version('werkzeug')}"
        )


async def test_environ_base_modified(
    app: app_framework.App, client: TestClient
) -> None:
    @app.route("/")
    def index() -> Any:
        app_framework.g.remote_addr = app_framework.request.remote_addr
        app_framework.g.user_agent = app_framework.request.user_agent.string
        return ""

    client.environ_base["REMOTE_ADDR"] = "192.168.0.22"
    client.environ_base["HTTP_USER_AGENT"] = "Foo"

    async with client:
        await client.get("/")
        assert app_framework.g.remote_addr == "192.168.0.22"
        assert app_framework.g.user_agent == "Foo"


async def test_client_open_environ(
    app: app_framework.App, client: TestClient, request: pytest.FixtureRequest
) -> None:
    @app.route("/index")
    def index() -> Any:
        return app_framework.request.remote_addr

    builder = EnvironBuilder(app, path="/index", method="GET")
    request.addfinalizer(builder.close)

    rv = await client.open(builder)
    assert rv.data == b"127.0.0.1"

    environ = builder.get_environ()
    client.environ_base["REMOTE_ADDR"] = "127.0.0.2"
    rv = await client.open(environ)
    assert rv.data == b"127.0.0.2"


async def test_specify_url_scheme(app: app_framework.App, client: TestClient) -> None:
    @app.route("/")
    def index() -> Any:
        return app_framework.request.url

    ctx = app.test_request_context(url_scheme="https")
    assert ctx.request.url == "https://localhost/"

    rv = await client.get("/", url_scheme="https")
    assert rv.data == b"https://localhost/"


def test_path_is_url(app: app_framework.App) -> None:
    eb = EnvironBuilder(app, "https://example.com/")
    assert eb.url_scheme == "https"
    assert eb.host == "example.com"
    assert eb.script_root == ""
    assert eb.path == "/"


def test_environbuilder_json_dumps(app: app_framework.App) -> None:
    """EnvironBuilder.json_dumps() takes settings from the app."""
    app.json.ensure_ascii = False  # type: ignore[attr-defined]
    eb = EnvironBuilder(app, json="\u20ac")
    assert eb.input_stream.read().decode("utf8") == '"\u20ac"'  # type: ignore[union-attr]


async def test_blueprint_with_subdomain() -> None:
    app = app_framework.App(__name__, subdomain_matching=True)
    app.config["SERVER_NAME"] = "example.com:1234"
    app.config["APPLICATION_ROOT"] = "/foo"
    client = app.test_client()

    bp = app_framework.Blueprint("company", __name__, subdomain="xxx")

    @bp.route("/")
    def index() -> Any:
        return app_framework.request.url

    app.register_blueprint(bp)

    ctx = app.test_request_context("/", subdomain="xxx")
    assert ctx.request.url == "http://xxx.example.com:1234/foo/"

    async with ctx:
        assert ctx.request.blueprint == bp.name

    rv = await client.get("/", subdomain="xxx")
    assert rv.data == b"http://xxx.example.com:1234/foo/"


async def test_redirect_session(
    app: app_framework.App, client: TestClient, app_ctx: AppContext
) -> None:
    @app.route("/redirect")
    def index() -> Any:
        app_framework.session["redirect"] = True
        return app_framework.redirect("/target")

    @app.route("/target")
    def get_session() -> Any:
        app_framework.session["target"] = True
        return ""

    async with client:
        await client.get("/redirect", follow_redirects=True)
        assert app_framework.session["redirect"] is True
        assert app_framework.session["target"] is True


async def test_session_transactions(app: app_framework.App, client: TestClient) -> None:
    @app.route("/")
    def index() -> Any:
        return str(app_framework.session["foo"])

    async with client:
        async with client.session_transaction() as sess:
            assert len(sess) == 0
            sess["foo"] = [42]
            assert len(sess) == 1
        rv = await client.get("/")
        assert rv.data == b"[42]"
        async with client.session_transaction() as sess:
            assert len(sess) == 1
            assert sess["foo"] == [42]


async def test_session_transactions_no_null_sessions() -> None:
    app = app_framework.App(__name__)

    async with app.test_client() as c:
        with pytest.raises(RuntimeError) as e:
            async with c.session_transaction():
                pass
        assert "Session backend did not open a session" in str(e.value)


async def test_session_transactions_keep_context(
    app: app_framework.App, client: TestClient, req_ctx: RequestContext
) -> None:
    await client.get("/")
    req = app_framework.request._get_current_object()
    assert req is not None
    async with client.session_transaction():
        assert req is app_framework.request._get_current_object()


async def test_session_transaction_needs_cookies(app: app_framework.App) -> None:
    c = app.test_client(use_cookies=False)

    with pytest.raises(TypeError, match="Cookies are disabled."):
        async with c.session_transaction():
            pass


async def test_test_client_context_binding(
    app: app_framework.App, client: TestClient
) -> None:
    app.testing = False

    @app.route("/")
    def index() -> Any:
        app_framework.g.value = 42
        return "Hello World!"

    @app.route("/other")
    def other() -> Any:
        raise ZeroDivisionError

    async with client:
        resp = await client.get("/")
        assert app_framework.g.value == 42
        assert resp.data == b"Hello World!"
        assert resp.status_code == 200

    async with client:
        resp = await client.get("/other")
        assert not hasattr(app_framework.g, "value")
        assert b"Internal Server Error" in resp.data
        assert resp.status_code == 500
        app_framework.g.value = 23

    with pytest.raises(RuntimeError):
        app_framework.g.value  # noqa: B018


async def test_reuse_client(client: TestClient) -> None:
    c = client

    async with c:
        assert (await client.get("/")).status_code == 404

    async with c:
        assert (await client.get("/")).status_code == 404


async def test_full_url_request(app: app_framework.App, client: TestClient) -> None:
    @app.route("/action", methods=["POST"])
    def action() -> Any:
        return "x"

    async with client:
        rv = await client.post("http://domain.com/action?vodka=42", data={"gin": 43})
        assert rv.status_code == 200
        assert "gin" in await app_framework.request.form
        assert "vodka" in app_framework.request.args


async def test_json_request_and_response(
    app: app_framework.App, client: TestClient
) -> None:
    @app.route("/echo", methods=["POST"])
    async def echo() -> Any:
        return jsonify(await app_framework.request.get_json())

    async with client:
        json_data = {"drink": {"gin": 1, "tonic": True}, "price": 10}
        rv = await client.post("/echo", json=json_data)

        # Request should be in JSON
        assert app_framework.request.is_json
        assert await app_framework.request.get_json() == json_data

        # Response should be in JSON
        assert rv.status_code == 200
        assert rv.is_json
        assert rv.get_json() == json_data


async def test_client_json_no_app_context(
    app: app_framework.App, client: TestClient
) -> None:
    @app.route("/hello", methods=["POST"])
    async def hello() -> Any:
        return f"Hello, {(await app_framework.request.json)['name']}!"

    class Namespace:
        count = 0

        def add(self, app: app_framework.App) -> None:
            self.count += 1

    ns = Namespace()

    with appcontext_popped.connected_to(ns.add, app):
        rv = await client.post("/hello", json={"name": "App"})

    assert rv.get_data(as_text=True) == "Hello, App!"
    assert ns.count == 1


async def test_subdomain() -> None:
    app = app_framework.App(__name__, subdomain_matching=True)
    app.config["SERVER_NAME"] = "example.com"
    client = app.test_client()

    @app.route("/", subdomain="<company_id>")
    def view(company_id: str) -> Any:
        return company_id

    async with app.test_request_context():
        url = app_framework.url_for("view", company_id="xxx")

    async with client:
        response = await client.get(url)

    assert 200 == response.status_code
    assert b"xxx" == response.data


async def test_nosubdomain(app: app_framework.App, client: TestClient) -> None:
    app.config["SERVER_NAME"] = "example.com"

    @app.route("/<company_id>")
    def view(company_id: str) -> Any:
        return company_id

    async with app.test_request_context():
        url = app_framework.url_for("view", company_id="xxx")

    async with client:
        response = await client.get(url)

    assert 200 == response.status_code
    assert b"xxx" == response.data


def test_cli_runner_class(app: app_framework.App) -> None:
    runner = app.test_cli_runner()
    assert isinstance(runner, AppCliRunner)

    class SubRunner(AppCliRunner):
        pass

    app.test_cli_runner_class = SubRunner
    runner = app.test_cli_runner()
    assert isinstance(runner, SubRunner)


def test_cli_invoke(app: app_framework.App) -> None:
    @app.cli.command("hello")
    def hello_command() -> Any:
        click.echo("Hello, World!")

    runner = app.test_cli_runner()
    # invoke with command name
    result = runner.invoke(args=["hello"])
    assert "Hello" in result.output
    # invoke with command object
    result = runner.invoke(hello_command)
    assert "Hello" in result.output


def test_cli_custom_obj(app: app_framework.App) -> None:
    class NS:
        called = False

    def create_app() -> Any:
        NS.called = True
        return app

    @app.cli.command("hello")
    def hello_command() -> Any:
        click.echo("Hello, World!")

    script_info = ScriptInfo(create_app=create_app)
    runner = app.test_cli_runner()
    runner.invoke(hello_command, obj=script_info)
    assert NS.called


async def test_client_pop_all_preserved(
    app: app_framework.App, req_ctx: RequestContext, client: TestClient
) -> None:
    @app.route("/")
    def index() -> Any:
        # stream_with_context pushes a third context, preserved by response
        return app_framework.stream_with_context("hello")

    # req_ctx fixture pushed an initial context
    async with client:
        # request pushes a second request context, preserved by client
        rv = await client.get("/")

    # close the response, releasing the context held by stream_with_context
    rv.close()
    # only req_ctx fixture should still be pushed
    assert _cv_request.get(None) is req_ctx
