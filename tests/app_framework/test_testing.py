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
