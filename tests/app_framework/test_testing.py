"""The test client: httpx's, with Flask's and Quart's habits too."""

from __future__ import annotations

import dataclasses
import io
from collections.abc import AsyncIterator
from importlib.metadata import version
from typing import Any

import click
import httpx
import pytest

from app_framework import (
    App,
    Blueprint,
    Response,
    current_app,
    g,
    has_app_context,
    has_request_context,
    jsonify,
    redirect,
    request,
    session,
    signals,
    stream_with_context,
    url_for,
)
from app_framework._contextvars import _cv_request
from app_framework.cli import ScriptInfo
from app_framework.testing import (
    AppCliRunner,
    EnvironBuilder,
    TestClient,
    TestResponse,
)


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
        return Response("{nope", mimetype="application/json")

    @app.route("/empty")
    async def empty() -> Any:
        return Response(b"", headers={"content-type": ""})

    html_response = await client.get("/html")
    assert not html_response.get_json() and not html_response.json
    assert html_response.get_json(force=True, silent=True) is not None  # stand-in
    assert not html_response.get_json(force=True, silent=True)
    assert html_response.content_type == "text/html; charset=utf-8"
    bad = await client.get("/bad-json")
    with pytest.raises(ValueError, match="Expecting property name"):
        bad.get_json()
    assert not bad.get_json(silent=True)
    empty_response = await client.get("/empty")
    assert empty_response.mimetype is None


# -- Flask's client: addressing, environ_base, cookies, reuse ----------------


async def test_get_without_a_path_requests_the_root(
    app: App, client: TestClient
) -> None:
    app.add_url_rule("/", "index", lambda: request.path)
    assert (await client.get()).data == b"/"
    assert (await client.open()).data == b"/"


def where_am_i() -> str:
    """A view telling how its request was addressed."""
    return f"{request.url} {request.root_path} {request.path}"


async def test_server_name_and_application_root_are_the_defaults(
    app: App, client: TestClient
) -> None:
    app.config.update(SERVER_NAME="intranet.test:8080", APPLICATION_ROOT="/hr")
    app.add_url_rule("/", "where", where_am_i)
    made = app.test_request_context()
    assert made.request.url == "http://intranet.test:8080/hr/"
    answer = await client.get("/")
    assert answer.text == "http://intranet.test:8080/hr/ /hr /"


async def test_base_url_and_url_scheme_per_request(
    app: App, client: TestClient
) -> None:
    app.add_url_rule("/", "where", where_am_i)
    mounted = await client.get("/", base_url="https://tools.test/ops/")
    assert mounted.text == "https://tools.test/ops/ /ops /"
    secure = await client.get("/", url_scheme="https")
    assert secure.text == "https://localhost/  /"
    async with app.test_request_context(url_scheme="https"):
        assert request.url == "https://localhost/"
    with pytest.raises(TypeError, match="base_url= alone"):
        await client.get("/", base_url="https://tools.test/", url_scheme="http")


async def test_addressing_arguments_by_position(app: App, client: TestClient) -> None:
    # Flask's client takes the URL, base_url, subdomain and url_scheme in
    # that order; every verb forwards them.
    app.add_url_rule("/", "where", where_am_i, methods=["GET", "POST", "DELETE"])
    by_base = await client.get("/", "http://shop.test:9000/till/")
    assert by_base.text == "http://shop.test:9000/till/ /till /"
    posted = await client.post("/", "https://shop.test/")
    assert posted.text == "https://shop.test/  /"
    app.config["SERVER_NAME"] = "shop.test"
    deleted = await client.delete("/", None, "eu", "https")
    assert deleted.text == "https://eu.shop.test/  /"


async def test_a_blueprint_subdomain_under_server_name_and_root() -> None:
    site = App(__name__, subdomain_matching=True)
    site.config.update(SERVER_NAME="intranet.test:8080", APPLICATION_ROOT="/hr")
    payroll = Blueprint("payroll", __name__, subdomain="pay")
    payroll.add_url_rule("/", "where", lambda: request.url)
    site.register_blueprint(payroll)
    expected = "http://pay.intranet.test:8080/hr/"
    made = site.test_request_context("/", subdomain="pay")
    assert made.request.url == expected
    async with made:
        assert request.blueprint == "payroll"
    answer = await site.test_client().get("/", subdomain="pay")
    assert answer.text == expected


async def test_environ_base(app: App, client: TestClient) -> None:
    @app.route("/")
    def index() -> str:
        return f"{request.remote_addr} {request.user_agent.string}"

    first = await client.get("/")
    assert first.text == f"127.0.0.1 Werkzeug/{version('werkzeug')}"
    client.environ_base.update(REMOTE_ADDR="10.9.8.7", HTTP_USER_AGENT="probe/2")
    assert (await client.get("/")).text == "10.9.8.7 probe/2"
    one_off = await client.get("/", environ_base={"REMOTE_ADDR": "10.0.0.1"})
    assert one_off.text == "10.0.0.1 probe/2"
    by_header = await client.get("/", headers={"User-Agent": "curl/8"})
    assert by_header.text == "10.9.8.7 curl/8"  # a header beats environ_base
    with pytest.raises(ValueError, match="has no meaning for an ASGI request"):
        await client.get("/", environ_base={"wsgi.bogus": 1})


async def test_open_sends_an_environ_builder(app: App, client: TestClient) -> None:
    @app.route("/index", methods=["POST"])
    async def index() -> str:
        form = await request.form
        return f"{request.remote_addr} {request.url} {form['a']}"

    builder = EnvironBuilder(app, "/index?q=1", method="POST", data={"a": "b"})
    from_builder = await client.open(builder)
    assert from_builder.text == "127.0.0.1 http://localhost/index?q=1 b"
    wsgi_environ = builder.get_environ()
    client.environ_base["REMOTE_ADDR"] = "10.4.4.4"
    from_environ = await client.open(wsgi_environ)
    assert from_environ.text == "10.4.4.4 http://localhost/index?q=1 b"


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
    refused = await client.put("/")
    assert refused.status_code == 405
    assert "get" in refused.allow and "POST" in refused.allow
    assert "PUT" not in refused.allow


def test_test_client_class_and_cli_runner_class(app: App) -> None:
    class MyClient(TestClient):
        pass

    class MyRunner(AppCliRunner):
        pass

    app.test_client_class, app.test_cli_runner_class = MyClient, MyRunner
    assert isinstance(app.test_client(), MyClient)
    assert isinstance(app.test_cli_runner(), MyRunner)


async def test_client_is_reusable_across_blocks(app: App) -> None:
    started: list[str] = []
    app.before_serving(lambda: started.append("start"))
    app.add_url_rule("/", "index", lambda: "ok")
    reused = app.test_client()
    for _ in range(2):
        async with reused:
            assert (await reused.get("/")).text == "ok"
            assert request.path == "/"
    assert (await reused.get("/")).text == "ok"  # after the blocks too
    assert not has_request_context()
    assert started == ["start", "start"]


async def test_session_transaction_keeps_the_current_context(
    app: App, client: TestClient
) -> None:
    app.add_url_rule("/", "index", lambda: str(session.get("answer")))
    async with app.test_request_context("/before"):
        async with client.session_transaction() as stored:
            assert request.path == "/before"  # no context of its own pushed
            stored["answer"] = 42
        assert request.path == "/before"
    assert not has_request_context()
    assert (await client.get("/")).text == "42"


async def test_session_transaction_under_server_name_and_root(
    app: App, client: TestClient
) -> None:
    app.config.update(SERVER_NAME="intranet.test", APPLICATION_ROOT="/hr")
    app.add_url_rule("/", "index", lambda: str(session.get("team")))
    async with client.session_transaction() as stored:
        stored["team"] = "blue"
    assert (await client.get("/")).text == "blue"


async def test_session_transaction_without_a_session(app: App) -> None:
    app.config["SECRET_KEY"] = None
    async with app.test_client() as client:
        opening = client.session_transaction()
        with pytest.raises(RuntimeError, match="did not open a session"):
            async with opening:
                raise AssertionError("never entered")


async def test_close_is_sync(app: App, client: TestClient) -> None:
    app.add_url_rule("/", "index", lambda: "ok")
    answer = await client.get("/")
    answer.close()  # werkzeug's spelling: the body is read already
    assert answer.is_closed and answer.data == b"ok"


# -- Flask's client: redirects, errors, full URLs, JSON, the CLI runner -----


async def test_requests_default_to_plain_http_on_localhost(
    app: App, client: TestClient
) -> None:
    app.add_url_rule("/where", "where", lambda: request.url)
    async with app.test_request_context("/where"):
        assert request.url == "http://localhost/where"
    async with app.app_context():  # Flask's app_ctx fixture, under the block
        async with client:
            assert (await client.get("/where")).text == "http://localhost/where"
            assert request.host == "localhost" and request.scheme == "http"
        assert has_app_context() and not has_request_context()


def test_environ_builder_reads_a_full_url_and_encodes_with_app_json(
    app: App,
) -> None:
    built = EnvironBuilder(app, "https://docs.example.org/guide?page=2")
    assert (built.url_scheme, built.host) == ("https", "docs.example.org")
    assert (built.script_root, built.path) == ("", "/guide")
    assert built.query_string == "page=2"
    app.json.ensure_ascii = False  # type: ignore[attr-defined]
    body = EnvironBuilder(app, json={"price": "5 €"}).get_environ()["wsgi.input"]
    assert "5 €" in body.read().decode()


async def test_a_followed_redirect_carries_the_session_along(
    app: App, client: TestClient
) -> None:
    @app.route("/checkout")
    async def checkout() -> Any:
        session["cart_id"] = 7
        return redirect("/receipt")

    @app.route("/receipt")
    async def receipt() -> str:
        session["paid"] = True
        return "thanks"

    async with client:
        response = await client.get("/checkout", follow_redirects=True)
        assert response.text == "thanks" and request.path == "/receipt"
        assert dict(session) == {"cart_id": 7, "paid": True}


async def test_session_transaction_opens_what_the_next_request_sees(
    app: App, client: TestClient
) -> None:
    @app.route("/visit")
    async def visit() -> str:
        session["visits"] = session.get("visits", 0) + 1
        return f"{session['lang']} {session['visits']}"

    async with client.session_transaction() as fresh:
        assert dict(fresh) == {}
        fresh["lang"] = "eo"
    assert (await client.get("/visit")).text == "eo 1"
    async with client.session_transaction() as again:
        assert dict(again) == {"lang": "eo", "visits": 1}
        again["visits"] = 10
    assert (await client.get("/visit")).text == "eo 11"


async def test_an_error_answered_with_500_keeps_that_requests_context(
    app: App, client: TestClient
) -> None:
    app.testing = False

    @app.route("/fine")
    async def fine() -> str:
        g.mark = "set by /fine"
        return "fine"

    @app.route("/broken")
    async def broken() -> str:
        raise LookupError("no such shelf")

    async with client:
        assert (await client.get("/fine")).text == "fine"
        assert g.mark == "set by /fine"
    async with client:
        failed = await client.get("/broken")
        assert failed.status_code == 500 and "Internal Server Error" in failed.text
        assert request.path == "/broken" and "mark" not in g
    with pytest.raises(RuntimeError, match="outside of application context"):
        g.get("mark")


async def test_a_full_url_goes_to_its_host(app: App, client: TestClient) -> None:
    @app.route("/orders", methods=["POST"])
    async def orders() -> str:
        form = await request.form
        return f"{request.host} {request.args['ref']} {form['qty']}"

    async with client:
        response = await client.post(
            "http://api.example.net/orders?ref=abc", data={"qty": "3"}
        )
        assert response.text == "api.example.net abc 3"
        assert (await request.form)["qty"] == "3" and request.args["ref"] == "abc"


async def test_a_json_request_is_readable_after_it_in_the_block(
    app: App, client: TestClient
) -> None:
    @app.route("/mirror", methods=["POST"])
    async def mirror() -> Any:
        return jsonify(await request.get_json())

    order = {"lines": [{"sku": "k9", "qty": 2}], "gift": False}
    async with client:
        response = await client.post("/mirror", json=order)
        assert request.is_json and await request.get_json() == order
    assert response.is_json and response.get_json() == order


async def test_a_json_request_pushes_only_the_requests_app_context(
    app: App, client: TestClient
) -> None:
    popped: list[str] = []

    def on_popped(sender: App, **kwargs: Any) -> None:
        popped.append(sender.name)

    @app.route("/greet", methods=["POST"])
    async def greet() -> str:
        return f"hi {(await request.get_json())['who']}"

    with signals.appcontext_popped.connected_to(on_popped, app):
        response = await client.post("/greet", json={"who": "Zia"})
    assert response.text == "hi Zia"
    assert popped == [app.name]


async def test_urls_from_url_for_are_requestable_with_and_without_subdomain() -> None:
    app = App(__name__, subdomain_matching=True)
    app.config["SERVER_NAME"] = "shop.test"

    @app.route("/", subdomain="<tenant>")
    async def tenant_home(tenant: str) -> str:
        return f"home of {tenant}"

    @app.route("/items/<sku>")
    async def item(sku: str) -> str:
        return f"item {sku}"

    async with app.test_request_context():
        home = url_for("tenant_home", tenant="acme")
        one_item = url_for("item", sku="k9")
    assert (home, one_item) == ("http://acme.shop.test/", "/items/k9")
    async with app.test_client() as client:
        assert (await client.get(home)).text == "home of acme"
        assert (await client.get(one_item)).text == "item k9"


def test_cli_runner_finds_commands_and_honours_a_given_script_info(
    app: App,
) -> None:
    @app.cli.command("whoami")
    def whoami() -> None:
        click.echo(f"in {current_app.name}")

    runner = app.test_cli_runner()
    assert type(runner) is AppCliRunner
    assert runner.invoke(args=["whoami"]).output == "in test_app\n"
    assert runner.invoke(whoami).output == "in test_app\n"
    elsewhere = ScriptInfo(create_app=lambda: App("elsewhere"))
    assert runner.invoke(whoami, obj=elsewhere).output == "in elsewhere\n"


async def test_a_block_hands_back_the_context_that_was_pushed_before_it(
    app: App, client: TestClient
) -> None:
    @app.route("/stream")
    async def stream() -> Any:
        async def chunks() -> AsyncIterator[str]:
            yield f"streamed from {request.path}"

        return stream_with_context(chunks())

    async with app.test_request_context("/outer") as outer:
        async with client:
            streamed = await client.get("/stream")
            assert request.path == "/stream"
        streamed.close()
        assert streamed.text == "streamed from /stream"
        assert _cv_request.get(None) is outer and request.path == "/outer"


async def test_repeated_response_headers_by_every_werkzeug_name() -> None:
    app = App(__name__)

    @app.get("/twice")
    async def twice() -> Response:
        reply = Response("ok")
        reply.headers.add("X-Tag", "red")
        reply.headers.add("X-Tag", "blue")
        return reply

    reply = await app.test_client().get("/twice")
    assert reply.headers["x-tag"] == "red"
    assert reply.headers.get_all("X-Tag") == ["red", "blue"]
    assert reply.headers.get_all("X-Tag") == reply.headers.getlist("x-tag")
    assert reply.headers.get_all("X-Absent") == []
