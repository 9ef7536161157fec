"""HTTP errors as Flask 3.1 raises and traps them, ported from Flask's
tests (test_basic.py, test_helpers.py, test_json.py): ``TRAP_*`` config,
``app.aborter``, ``app.redirect`` and the 400 for malformed JSON."""

from __future__ import annotations

from typing import Any

import pytest
import werkzeug.exceptions
from werkzeug.exceptions import BadRequest, NotFound

from app_framework import App, abort, redirect, request
from app_framework.testing import TestClient


@pytest.mark.parametrize(
    ("debug", "trap", "expect_key", "expect_abort"),
    [(False, None, True, True), (True, None, False, True), (False, True, False, False)],
)
async def test_trap_bad_request_key_error(
    app: App,
    client: TestClient,
    debug: bool,
    trap: bool | None,
    expect_key: bool,
    expect_abort: bool,
) -> None:
    app.config["DEBUG"] = debug
    app.config["TRAP_BAD_REQUEST_ERRORS"] = trap

    @app.route("/key")
    async def fail() -> None:
        (await request.form)["missing_key"]

    @app.route("/abort")
    async def allow_abort() -> None:
        abort(400)

    if expect_key:
        rv = await client.get("/key")
        assert rv.status_code == 400
        # Flask hides the key outside debug mode; this framework names it in
        # every mode (the client has to send it).
        assert "missing_key" in rv.text
    else:
        with pytest.raises(KeyError) as exc_info:
            await client.get("/key")

        assert exc_info.errisinstance(BadRequest)
        assert isinstance(exc_info.value, BadRequest)
        assert "missing_key" in exc_info.value.get_description()

    if expect_abort:
        rv = await client.get("/abort")
        assert rv.status_code == 400
    else:
        with pytest.raises(BadRequest):
            await client.get("/abort")


async def test_trapping_of_all_http_exceptions(app: App, client: TestClient) -> None:
    app.config["TRAP_HTTP_EXCEPTIONS"] = True

    @app.route("/fail")
    async def fail() -> None:
        abort(404)

    with pytest.raises(NotFound):
        await client.get("/fail")


async def test_a_trapped_error_is_a_500_unless_a_handler_takes_it(
    app: App, client: TestClient
) -> None:
    app.testing = False
    app.config["TRAP_HTTP_EXCEPTIONS"] = True
    seen: list[Any] = []

    @app.errorhandler(403)
    async def forbidden(error: Exception) -> tuple[str, int]:
        return "handled", 403

    @app.errorhandler(500)
    async def server_error(error: Any) -> tuple[str, int]:
        seen.append(error.original_exception)
        return "server error", 500

    @app.route("/forbidden")
    async def forbidden_view() -> None:
        abort(403)

    @app.route("/missing")
    async def missing_view() -> None:
        abort(404)

    assert (await client.get("/forbidden")).text == "handled"
    missing = await client.get("/missing")
    assert (missing.status_code, missing.text) == (500, "server error")
    assert isinstance(seen[0], NotFound)
    # Routing's own errors are trapped too, as in Flask.
    assert (await client.get("/nowhere")).status_code == 500


def test_app_aborter_class() -> None:
    class MyAborter(werkzeug.exceptions.Aborter):
        pass

    class MyApp(App):
        aborter_class = MyAborter

    app = MyApp(__name__)
    assert isinstance(app.aborter, MyAborter)


async def test_abort_with_app(app: App) -> None:
    class My900Error(werkzeug.exceptions.HTTPException):
        code = 900

    app.aborter.mapping[900] = My900Error

    async with app.app_context():
        with pytest.raises(My900Error):
            abort(900)
    # No app: werkzeug's classes only.
    with pytest.raises(werkzeug.exceptions.Unauthorized):
        abort(401)
    with pytest.raises(LookupError):
        abort(900)


async def test_redirect_with_app(app: App) -> None:
    def redirect_(location: str, code: int = 302) -> Any:
        raise ValueError

    app.redirect = redirect_  # type: ignore[method-assign]

    async with app.app_context():
        with pytest.raises(ValueError):
            redirect("other")
    response = redirect("https://localhost", 307)  # no app
    assert response.location == "https://localhost"
    assert response.status_code == 307


async def test_app_redirect_uses_the_response_class(
    app: App, client: TestClient
) -> None:
    class Custom(app.response_class):  # type: ignore[name-defined,misc]
        pass

    app.response_class = Custom

    @app.route("/")
    async def index() -> Any:
        response = redirect("/target")
        return f"{type(response).__name__} {response.status_code}"

    assert (await client.get("/")).text == "Custom 302"
    response = app.redirect("/elsewhere", 301)
    assert (type(response), response.location) == (Custom, "/elsewhere")


@pytest.mark.parametrize("debug", (True, False))
async def test_bad_request_debug_message(
    app: App, client: TestClient, debug: bool
) -> None:
    app.config["DEBUG"] = debug
    app.config["TRAP_BAD_REQUEST_ERRORS"] = False

    @app.route("/json", methods=["POST"])
    async def post_json() -> None:
        await request.get_json()
        return None

    rv = await client.post("/json", data=None, content_type="application/json")
    assert rv.status_code == 400
    contains = "Failed to decode JSON object" in rv.text
    assert contains == debug
