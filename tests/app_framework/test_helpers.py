"""make_response, jsonify, redirect."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import pytest

from app_framework import App, jsonify, make_response, redirect
from app_framework.testing import TestClient


@pytest.mark.parametrize(
    ("rv", "status", "body", "header"),
    [
        ("text", 200, b"text", None),
        (b"bytes", 200, b"bytes", None),
        ({"a": 1}, 200, b'{"a":1}\n', None),
        ([1, 2], 200, b"[1,2]\n", None),
        (("created", 201), 201, b"created", None),
        (("h", {"X-A": "1"}), 200, b"h", "1"),
        (("h", [("X-A", "1")]), 200, b"h", "1"),
        (("both", 202, {"X-A": "1"}), 202, b"both", "1"),
    ],
)
async def test_view_return_values(
    app: App, client: TestClient, rv: Any, status: int, body: bytes, header: str | None
) -> None:
    app.add_url_rule("/", "index", lambda: rv)
    response = await client.get("/")
    assert response.status_code == status
    assert response.content == body
    assert response.headers.get("x-a") == header


@pytest.mark.parametrize(
    ("rv", "message"),
    [
        (None, "returned None"),
        (3.5, "it was a float"),
        (True, "it was a bool"),
        (("a", 1, {}, 4), r"length 4, .* must have the form \(body, status\)"),
        (("a",), "tuple of length 1, but a response tuple must have the form"),
    ],
)
async def test_invalid_return_values_are_500s_that_say_why(
    app: App, client: TestClient, rv: Any, message: str
) -> None:
    app.add_url_rule("/", "index", lambda: rv)
    with pytest.raises(TypeError, match=message):
        await client.get("/")


async def test_async_generator_streams(app: App, client: TestClient) -> None:
    @app.route("/")
    async def index() -> AsyncIterator[bytes]:
        async def body() -> AsyncIterator[bytes]:
            yield b"a"
            yield b"b"

        return body()

    assert (await client.get("/")).content == b"ab"


async def test_make_response(app: App) -> None:
    async with app.app_context():
        assert make_response().status_code == 200
        response = make_response("x", 404)
        assert (response.status_code, response.body) == (404, b"x")
        response.headers["X-Extra"] = "1"
        assert make_response(response) is response


async def test_jsonify(app: App) -> None:
    async with app.app_context():
        assert jsonify({"a": 1}).body == b'{"a":1}\n'
        assert jsonify(1, 2).body == b"[1,2]\n"
        assert jsonify(a=1).body == b'{"a":1}\n'
        with pytest.raises(TypeError, match="not both"):
            jsonify(1, a=2)


def test_redirect_cannot_inject_headers() -> None:
    response = redirect("/next\r\nSet-Cookie: evil=1")
    assert response.status_code == 302
    location = response.headers["location"]
    assert "\r" not in location and "\n" not in location
    assert redirect("/x", 301).status_code == 301
