"""Request and Response."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import pytest
from werkzeug.exceptions import BadRequest

from app_framework import App, Response, request
from app_framework.testing import TestClient
from app_framework.wrappers import html_response


@pytest.fixture
def echo(app: App) -> App:
    @app.route("/echo", methods=["POST"])
    async def echo() -> dict[str, Any]:
        return {"json": await request.get_json(), "blueprint": request.blueprint}

    @app.route("/raw", methods=["POST"])
    async def raw() -> bytes:
        data: bytes = await request.get_data()
        return data

    @app.route("/form", methods=["POST"])
    async def form() -> dict[str, Any]:
        data = await request.form()
        return {key: data.getlist(key) for key in data}

    return app


async def test_json_body(echo: App, client: TestClient) -> None:
    response = await client.post("/echo", json={"a": [1, 2]})
    assert response.json() == {"json": {"a": [1, 2]}, "blueprint": None}
    vendor = await client.post(
        "/echo", content=b"[1]", headers={"content-type": "application/vnd.x+json"}
    )
    assert vendor.json()["json"] == [1]


async def test_malformed_json_is_a_400(echo: App, client: TestClient) -> None:
    response = await client.post(
        "/echo", content=b"{nope", headers={"content-type": "application/json"}
    )
    assert response.status_code == 400
    # The parser's message only in debug mode, as Flask.
    assert "Failed to decode JSON object" not in response.text
    assert "could not understand" in response.text
    echo.debug = True
    response = await client.post(
        "/echo", content=b"{nope", headers={"content-type": "application/json"}
    )
    assert response.status_code == 400
    assert "Failed to decode JSON object: Expecting property name" in response.text


async def test_json_with_the_wrong_content_type_is_a_415(
    echo: App, client: TestClient
) -> None:
    response = await client.post(
        "/echo", content=b"{}", headers={"content-type": "text/plain"}
    )
    assert response.status_code == 415
    assert "Content-Type was not &#39;application/json&#39;" in response.text


async def test_get_json_force_and_silent(app: App) -> None:
    async with app.test_request_context("/", method="POST", data="{bad"):
        assert await request.get_json(silent=True) is None
        with pytest.raises(BadRequest) as raised:
            await request.get_json(force=True)
        assert "Failed to decode" in str(raised.value.__cause__)
        assert await request.get_json(force=True, silent=True) is None


async def test_form(echo: App, client: TestClient) -> None:
    response = await client.post("/form", data={"a": ["1", "2"], "b": "x"})
    assert response.json() == {"a": ["1", "2"], "b": ["x"]}


@pytest.mark.parametrize("announced", [True, False])
async def test_body_over_the_limit_is_a_413(
    echo: App, client: TestClient, announced: bool
) -> None:
    echo.config["MAX_CONTENT_LENGTH"] = 10
    chunks_read = 0

    async def body() -> AsyncIterator[bytes]:
        nonlocal chunks_read
        for _ in range(1000):
            chunks_read += 1
            yield b"x" * 8

    if announced:
        response = await client.post("/raw", content=b"x" * 11)
    else:
        response = await client.post("/raw", content=body())
    assert response.status_code == 413
    assert "larger than the limit of 10 bytes" in response.text
    assert chunks_read < 10  # refused early, not read to the end
    assert (await client.post("/raw", content=b"x" * 10)).content == b"x" * 10


async def test_request_properties(app: App) -> None:
    async with app.test_request_context(
        "/p?a=1&a=2", headers={"content-type": "Application/JSON; charset=utf-8"}
    ):
        assert request.args.getlist("a") == ["1", "2"]
        assert request.mimetype == "application/json"
        assert request.is_json
        assert request.content_length is None
        assert request.blueprint is None
        assert request.method == "GET"


def test_response_accepts_flask_and_starlette_names() -> None:
    flask_style = Response("hi", status=201, mimetype="text/plain")
    starlette_style = Response("hi", status_code=201, media_type="text/plain")
    for response in (flask_style, starlette_style):
        assert response.status_code == 201
        assert response.mimetype == "text/plain"
        assert response.data == b"hi"
    assert Response().status_code == 200
    assert Response('{"a": 1}', mimetype="application/json").get_json() == {"a": 1}
    assert not Response('{"a": 1}').get_json()  # not JSON by its mimetype
    assert Response("x").headers["content-type"] == "text/html; charset=utf-8"


@pytest.mark.parametrize(
    "content", ["hello", "", "żółw ☃", b"raw \xff bytes", bytearray(b"mutable")]
)
def test_the_fast_html_response_is_the_constructors_response(
    content: str | bytes | bytearray,
) -> None:
    fast = html_response(content)
    # Starlette's Response cannot render a bytearray (it has no .encode)
    slow = Response(bytes(content) if isinstance(content, bytearray) else content)
    assert type(fast) is type(slow) is Response
    assert vars(fast) == vars(slow)  # every attribute the constructor sets
    assert fast.headers["content-length"] == str(len(slow.body))
