"""Smaller pieces: HTTP error bodies, URL building of every converter,
the shortcut decorators, the module entry point, test helpers."""

from __future__ import annotations

import runpy
import sys
import uuid
from collections.abc import AsyncIterator
from typing import Any

import pytest

from app_framework import App, BuildError, url_for
from app_framework.exceptions import NotFound, describe, http_error
from app_framework.scaffold import Scaffold
from app_framework.testing import TestClient


def test_error_descriptions() -> None:
    assert describe(NotFound()) == "404 Not Found"  # werkzeug's long text left out
    assert describe(NotFound("No user 7.")) == "404 Not Found: No user 7."
    assert describe(http_error(599, "Odd.")) == "599 Error: Odd."
    assert isinstance(http_error(404), NotFound)


async def test_url_building_for_every_converter(app: App) -> None:
    app.add_url_rule("/f/<float:x>", "f", lambda x: "")
    app.add_url_rule("/u/<uuid:u>", "u", lambda u: "")
    app.add_url_rule("/p/<path:rest>", "p", lambda rest: "")
    value = uuid.UUID("12345678-1234-5678-1234-567812345678")
    async with app.test_request_context():
        assert url_for("f", x=1.5) == "/f/1.5"
        assert url_for("f", x=2) == "/f/2.0"
        assert url_for("u", u=value) == f"/u/{value}"
        assert url_for("u", u=str(value)) == f"/u/{value}"
        for endpoint, values in (
            ("f", {"x": -1.0}),
            ("f", {"x": float("nan")}),
            ("u", {"u": "not-a-uuid"}),
            ("p", {"rest": ""}),
        ):
            with pytest.raises(BuildError):
                url_for(endpoint, **values)


@pytest.mark.parametrize("method", ["put", "patch", "delete", "get", "post"])
async def test_method_shortcuts(app: App, client: TestClient, method: str) -> None:
    getattr(app, method)("/thing")(lambda: method)
    response = await client.request(method.upper(), "/thing")
    assert response.text == method


def test_scaffold_is_abstract() -> None:
    with pytest.raises(NotImplementedError):
        Scaffold(__name__).add_url_rule("/", "x", lambda: "")


def test_python_dash_m_entry_point(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setattr(
        sys, "argv", ["app_framework", "--app", "examples.tour:app", "routes"]
    )
    with pytest.raises(SystemExit) as exited:
        runpy.run_module("app_framework", run_name="__main__")
    assert exited.value.code == 0
    assert "/api/status" in capsys.readouterr().out


async def test_signals_command_says_when_nobody_listens(app: App) -> None:
    import io

    from app_framework.cli import print_signals

    out = io.StringIO()
    print_signals(app, out)
    assert "request_started: " in out.getvalue()
    assert "    (no receivers)" in out.getvalue()


async def test_client_without_lifespan_and_request_body_after_disconnect(
    app: App,
) -> None:
    from app_framework import request

    @app.route("/", methods=["POST"])
    async def index() -> bytes:
        first = await request.body()
        return first + b"|" + str(await request.is_disconnected()).encode()

    client = TestClient(app)  # not entered: no lifespan
    await client.__aexit__()
    async with app.test_request_context("/", method="POST", data="payload") as ctx:
        assert await ctx.request.body() == b"payload"
        assert await ctx.request.is_disconnected()


async def test_exception_from_a_streamed_body(app: App) -> None:
    from app_framework import signals

    reported: list[Any] = []

    @app.route("/")
    async def index() -> AsyncIterator[str]:
        async def body() -> AsyncIterator[str]:
            yield "start"
            raise ValueError("broken stream")

        return body()

    def on_exception(sender: App, exception: BaseException) -> None:
        reported.append(exception)

    async with app.test_client() as client:
        with signals.got_request_exception.connected_to(on_exception, app):
            with pytest.raises(ValueError, match="broken stream"):
                await client.get("/")
    assert [str(e) for e in reported] == ["broken stream"]
