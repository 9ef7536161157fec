"""When an HTTP error becomes its error page and when it is raised instead
(the ``TRAP_*`` settings, as in Flask 3.1), what ``abort`` and ``redirect``
ask the app for (``app.aborter``, ``app.redirect``), and the 400 a client
gets for a body that is not JSON."""

from __future__ import annotations

from typing import Any

import pytest
from werkzeug.exceptions import Aborter as WerkzeugAborter
from werkzeug.exceptions import (
    BadRequest,
    BadRequestKeyError,
    Forbidden,
    HTTPException,
    NotFound,
    Unauthorized,
)

from app_framework import App, abort, redirect, request
from app_framework.testing import TestClient


def add_bad_request_views(app: App) -> None:
    """Two ways to a 400: reading a form field the client did not send,
    and an explicit ``abort(400)``."""

    @app.route("/signup", methods=["GET", "POST"])
    async def signup() -> str:
        form = await request.form
        return str(form["nickname"])

    @app.route("/refuse")
    async def refuse() -> None:
        abort(400)


# Each row: DEBUG, TRAP_BAD_REQUEST_ERRORS, then whether the missing field
# and the plain abort(400) are raised out of the client (True) or answered
# with a 400 page (False).
TRAP_CASES = [
    pytest.param(False, None, False, False, id="production-default"),
    pytest.param(True, None, True, False, id="debug-traps-only-missing-keys"),
    pytest.param(False, True, True, True, id="trap-every-400"),
    pytest.param(True, False, False, False, id="explicit-false-beats-debug"),
]


@pytest.mark.parametrize(
    ("debug", "trap_setting", "key_raised", "abort_raised"), TRAP_CASES
)
async def test_which_bad_requests_are_trapped(
    app: App,
    client: TestClient,
    debug: bool,
    trap_setting: bool | None,
    key_raised: bool,
    abort_raised: bool,
) -> None:
    app.config.update(DEBUG=debug, TRAP_BAD_REQUEST_ERRORS=trap_setting)
    add_bad_request_views(app)

    if key_raised:
        with pytest.raises(BadRequestKeyError) as caught:
            await client.post("/signup", data={"email": "a@b.example"})
        # One error, two natures: a KeyError for the code that indexed the
        # form, a 400 for the client; its description names the field.
        assert isinstance(caught.value, KeyError)
        assert isinstance(caught.value, BadRequest)
        assert "nickname" in str(caught.value.get_description())
    else:
        page = await client.post("/signup", data={"email": "a@b.example"})
        assert page.status_code == 400
        # Flask only names the field in debug mode; here the client is told
        # in every mode, since it is the one that has to send it.
        assert "nickname" in page.text

    if abort_raised:
        with pytest.raises(BadRequest):
            await client.get("/refuse")
    else:
        assert (await client.get("/refuse")).status_code == 400


async def test_trap_http_exceptions_raises_any_abort(
    app: App, client: TestClient
) -> None:
    app.config["TRAP_HTTP_EXCEPTIONS"] = True

    @app.route("/secret")
    async def secret() -> None:
        abort(403)

    @app.route("/gone")
    async def gone() -> None:
        abort(404)

    with pytest.raises(Forbidden):
        await client.get("/secret")
    with pytest.raises(NotFound):
        await client.get("/gone")


async def test_outside_testing_a_trapped_error_becomes_a_server_error(
    app: App, client: TestClient
) -> None:
    app.testing = False
    app.config["TRAP_HTTP_EXCEPTIONS"] = True
    originals: list[BaseException] = []

    @app.errorhandler(403)
    async def on_forbidden(error: Exception) -> tuple[str, int]:
        return "no entry", 403

    @app.errorhandler(500)
    async def on_server_error(error: Any) -> tuple[str, int]:
        originals.append(error.original_exception)
        return "trapped", 500

    @app.route("/locked")
    async def locked() -> None:
        abort(403)

    @app.route("/vanished")
    async def vanished() -> None:
        abort(404)

    # A handler for the error's own code still gets it first.
    locked_page = await client.get("/locked")
    assert (locked_page.status_code, locked_page.text) == (403, "no entry")

    vanished_page = await client.get("/vanished")
    assert (vanished_page.status_code, vanished_page.text) == (500, "trapped")
    assert len(originals) == 1 and isinstance(originals[0], NotFound)

    # The router's own 404 (no rule matched) is trapped the same way.
    unrouted = await client.get("/no/such/page")
    assert (unrouted.status_code, unrouted.text) == (500, "trapped")
    assert isinstance(originals[1], NotFound)


class TeapotAborter(WerkzeugAborter):
    """An aborter that knows one extra status."""

    def __init__(self) -> None:
        super().__init__()
        self.mapping[418] = Teapot


class Teapot(HTTPException):
    code = 418
    description = "short and stout"


def test_aborter_class_picks_the_apps_aborter() -> None:
    class TeapotApp(App):
        aborter_class = TeapotAborter

    made = TeapotApp("teapots")
    assert type(made.aborter) is TeapotAborter
    assert made.aborter is made.aborter  # made once per app
    assert not isinstance(App("plain").aborter, TeapotAborter)


async def test_abort_asks_the_current_apps_aborter(app: App) -> None:
    class Overloaded(HTTPException):
        code = 599

    app.aborter.mapping[599] = Overloaded

    async with app.app_context():
        with pytest.raises(Overloaded):
            abort(599)

    # With no app about, abort knows werkzeug's statuses and nothing more.
    with pytest.raises(Unauthorized):
        abort(401)
    with pytest.raises(LookupError, match="599"):
        abort(599)


async def test_redirect_asks_the_current_apps_redirect(app: App) -> None:
    calls: list[tuple[str, int]] = []
    made_by_app = app.response_class("from the app", 303)

    def recording_redirect(location: str, code: int = 302) -> Any:
        calls.append((location, code))
        return made_by_app

    app.redirect = recording_redirect  # type: ignore[method-assign]

    async with app.app_context():
        assert redirect("/inbox", 303) is made_by_app
    assert calls == [("/inbox", 303)]

    # Outside an app, redirect builds the response itself.
    plain = redirect("https://docs.example/start", 308)
    assert (plain.status_code, plain.location) == (308, "https://docs.example/start")
    assert calls == [("/inbox", 303)]


async def test_app_redirect_uses_the_response_class(
    app: App, client: TestClient
) -> None:
    class Tagged(app.response_class):  # type: ignore[name-defined,misc]
        pass

    app.response_class = Tagged

    @app.route("/")
    async def index() -> Any:
        response = redirect("/target")
        return f"{type(response).__name__} {response.status_code}"

    assert (await client.get("/")).text == "Tagged 302"
    response = app.redirect("/elsewhere", 301)
    assert (type(response), response.location) == (Tagged, "/elsewhere")


@pytest.mark.parametrize("debug", [False, True], ids=["production", "debug"])
async def test_malformed_json_is_a_400_explained_only_in_debug(
    app: App, client: TestClient, debug: bool
) -> None:
    app.debug = debug
    app.config["TRAP_BAD_REQUEST_ERRORS"] = False

    @app.route("/ingest", methods=["POST"])
    async def ingest() -> str:
        payload = await request.get_json()
        return f"got {payload!r}"

    for body in (b"{not json", b""):
        answer = await client.post(
            "/ingest", content=body, headers={"Content-Type": "application/json"}
        )
        assert answer.status_code == 400
        assert ("Failed to decode JSON object" in answer.text) is debug
    ok = await client.post("/ingest", json={"n": 1})
    assert ok.text == "got {'n': 1}"
