"""Request data read Flask's way and Quart's way, with no traps: the body is
read before ``request_started`` (``PRELOAD_REQUEST_BODY``), and each
accessor gives what the framework whose spelling was written gives."""

from __future__ import annotations

import io
from typing import Any

import pytest

from app_framework import (
    App,
    render_template_string,
    request,
    signals,
    stream_request_body,
)
from app_framework.debughelpers import DebugFilesKeyError
from app_framework.testing import TestClient
from app_framework.wrappers import NotLoadedError


async def test_flask_spellings_work_without_await(app: App, client: TestClient) -> None:
    """As Flask's tutorial writes them, in an async view."""

    @app.route("/register", methods=["POST"])
    async def register() -> dict[str, Any]:
        username = request.form["username"]
        return {
            "username": username,
            "values": request.values["username"],
            "data": request.data.decode(),  # empty for a form, as in Flask
            "get_data": request.get_data(as_text=True),
        }

    response = await client.post("/register", data={"username": "ada"})
    assert response.json == {
        "username": "ada",
        "values": "ada",
        "data": "",
        "get_data": "username=ada",
    }


async def test_flask_json_gives_plain_values(app: App, client: TestClient) -> None:
    seen: dict[str, Any] = {}

    @app.route("/json", methods=["POST"])
    async def json_view() -> str:
        seen["get_json"] = request.get_json()
        seen["json"] = request.json
        seen["silent"] = request.get_json(silent=True)
        return "ok"

    await client.post("/json", json=[1, 2])
    assert type(seen["get_json"]) is list and seen["get_json"] == [1, 2]
    assert type(seen["json"]) is list
    await client.post(
        "/json", content=b"null", headers={"Content-Type": "application/json"}
    )
    assert seen["get_json"] is None and seen["json"] is None


async def test_silent_get_json_is_none_when_nothing_parsed(
    app: App, client: TestClient
) -> None:
    """Flask's ``request.get_json(silent=True) is None`` test, both ways."""
    results: list[Any] = []

    @app.route("/json", methods=["POST"])
    async def json_view() -> str:
        results.append(request.get_json(silent=True) is None)
        results.append(await request.get_json(silent=True) is None)
        return "ok"

    await client.post(
        "/json", content=b"{not json", headers={"Content-Type": "application/json"}
    )
    await client.post("/json", content=b"text", headers={"Content-Type": "text/plain"})
    assert results == [True, True, True, True]


async def test_quart_spellings_give_plain_values(app: App, client: TestClient) -> None:
    seen: dict[str, Any] = {}

    @app.route("/json", methods=["POST"])
    async def json_view() -> str:
        seen["get_json"] = await request.get_json()
        seen["json"] = await request.json
        seen["data"] = await request.get_data()
        return "ok"

    @app.route("/form", methods=["POST"])
    async def form_view() -> str:
        form = await request.form
        values = await request.values
        files = await request.files
        return f"{form['a']} {values['a']} {len(files)}"

    await client.post("/json", json=[1, 2])
    assert type(seen["get_json"]) is list and type(seen["json"]) is list
    assert type(seen["data"]) is bytes and seen["data"] == b"[1, 2]"
    assert (await client.post("/form", data={"a": "1"})).text == "1 1 0"


async def test_starlette_spellings_still_work(app: App, client: TestClient) -> None:
    @app.route("/form", methods=["POST"])
    async def form_view() -> str:
        form = await request.form()
        data = await request.json() if request.is_json else None
        return f"{form.get('a')} {data}"

    assert (await client.post("/form", data={"a": "1"})).text == "1 None"


async def test_hooks_receivers_templates_and_sync_views_read_without_await(
    app: App, client: TestClient
) -> None:
    seen: list[str] = []

    def on_started(sender: App, **kwargs: Any) -> None:
        seen.append("started: " + request.form["name"])  # a logging extension

    @app.before_request
    def check() -> None:
        seen.append("before: " + request.form["name"])

    @app.route("/hello", methods=["POST"])
    def hello() -> str:  # a sync view: a worker thread
        seen.append("view: " + request.form["name"])
        return "ok"

    @app.route("/page", methods=["POST"])
    async def page() -> str:
        return await render_template_string("Hi {{ request.form['name'] }}")

    with signals.request_started.connected_to(on_started, app):
        assert (await client.post("/hello", data={"name": "ada"})).text == "ok"
    assert seen == ["started: ada", "before: ada", "view: ada"]
    assert (await client.post("/page", data={"name": "bob"})).text == "Hi bob"


async def test_a_get_reads_nothing(app: App, client: TestClient) -> None:
    @app.route("/")
    async def index() -> str:
        return repr(request.get_data())

    assert (await client.get("/")).text == "b''"


@pytest.mark.parametrize("debug", [False, True])
async def test_json_of_a_bodiless_post_is_a_400_without_await(
    app: App, client: TestClient, debug: bool
) -> None:
    """An empty body (a zero length, or none announced and not chunked) has
    nothing to wait for: a sync view's ``request.get_json()`` parses it at
    once, and fails as Flask's does."""
    app.config.update(DEBUG=debug, TRAP_BAD_REQUEST_ERRORS=False)
    silently: list[Any] = []

    @app.route("/ping", methods=["POST"])
    def ping() -> str:
        silently.append(request.get_json(silent=True))
        request.get_json()
        return "parsed"

    response = await client.post("/ping", headers={"Content-Type": "application/json"})
    assert response.status_code == 400 and silently == [None]
    assert ("Failed to decode JSON object" in response.text) is debug


async def test_preloading_can_be_turned_off_or_narrowed(
    app: App, client: TestClient
) -> None:
    @app.route("/form", methods=["POST"])
    async def form_view() -> str:
        try:
            return str(request.form["a"])
        except NotLoadedError as error:
            return str(error)

    app.config["PRELOAD_REQUEST_BODY"] = 10  # bytes: a=1 fits, a longer one not
    assert (await client.post("/form", data={"a": "1"})).text == "1"
    text = (await client.post("/form", data={"a": "x" * 20})).text
    assert "write 'await request.form' first" in text and "view 'form_view'" in text
    app.config["PRELOAD_REQUEST_BODY"] = False
    assert "await request.form" in (await client.post("/form", data={"a": "1"})).text


async def test_a_body_over_the_limit_is_a_413_awaited_or_not(
    app: App, client: TestClient
) -> None:
    """Too big to read: plain access (Flask's spelling, a sync view's) is
    the same 413 that awaiting it gives, so a 413 handler sees it."""
    app.config["MAX_CONTENT_LENGTH"] = 10

    @app.route("/plain", methods=["POST"])
    async def plain() -> str:
        return str(request.get_data())

    @app.route("/awaited", methods=["POST"])
    async def awaited() -> str:
        return str(await request.get_data())

    @app.route("/upload", methods=["POST"])
    def upload() -> str:
        return str(request.form["note"])

    @app.errorhandler(413)
    def too_big(error: Exception) -> tuple[str, int]:
        return f"refused: {error}", 413

    for path in ("/plain", "/awaited"):
        response = await client.post(path, content=b"x" * 100)
        assert response.status_code == 413 and "limit of 10 bytes" in response.text
    response = await client.post("/upload", data={"note": "n" * 40})
    assert response.status_code == 413 and response.text.startswith("refused: 413")
    assert (await client.post("/upload", data={"note": "ok"})).text == "ok"


async def test_a_view_that_streams_the_upload_gets_it_unread(
    app: App, client: TestClient
) -> None:
    @app.route("/upload", methods=["POST"])
    @stream_request_body
    async def upload() -> str:
        chunks = [chunk async for chunk in request.stream()]
        return str(len(chunks))

    async def parts() -> Any:
        for _ in range(3):
            yield b"x" * 100

    assert (await client.post("/upload", content=parts())).text == "3"


async def test_a_malformed_form_is_the_error_of_the_view_that_reads_it(
    app: App, client: TestClient
) -> None:
    """As in Flask: a view that never reads the form is not refused for it."""

    @app.route("/ignore", methods=["POST"])
    async def ignore() -> str:
        return "fine"

    @app.route("/read", methods=["POST"])
    async def read() -> str:
        return str(request.form)

    body = b"--b\r\nContent-Disposition: form-data; name=x\r\n\r\nunterminated"
    headers = {"Content-Type": "multipart/form-data; boundary=b"}
    assert (await client.post("/ignore", content=body, headers=headers)).text == (
        "fine"
    )
    response = await client.post("/read", content=body, headers=headers)
    assert response.status_code == 400


async def test_debug_mode_explains_a_file_field_sent_as_text(
    app: App, client: TestClient
) -> None:
    # A form without enctype="multipart/form-data" sends only the file's
    # name; in debug mode reading it from request.files says so.
    @app.post("/upload")
    def upload() -> str:
        return request.files["avatar"].filename or ""

    app.debug = True
    with pytest.raises(DebugFilesKeyError) as caught:
        await client.post("/upload", data={"avatar": "me.png"})
    assert "no file contents were transmitted" in str(caught.value)
    assert "This was submitted: 'me.png'" in str(caught.value)
    assert isinstance(caught.value, KeyError | AssertionError)
    # A multipart upload is untouched; outside debug mode, a plain 400.
    sent = await client.post("/upload", data={"avatar": (io.BytesIO(b"x"), "me.png")})
    assert sent.text == "me.png"
    app.debug = False
    app.testing = False
    assert (await client.post("/upload", data={"avatar": "me.png"})).status_code == 400
