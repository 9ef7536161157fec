"""The request: Quart's awaitable body, Flask's plain access once read,
werkzeug's data structures and properties, forms, uploads and limits."""

from __future__ import annotations

import base64
import io
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from starlette.types import Message

from app_framework import (
    App,
    Response,
    render_template_string,
    request,
)
from app_framework.datastructures import FileStorage
from app_framework.testing import TestClient, make_scope
from app_framework.wrappers import NotLoadedError


@pytest.fixture
def echo(app: App) -> App:
    @app.route("/form", methods=["POST"])
    async def form() -> dict[str, Any]:
        data = await request.form
        return {key: data.getlist(key) for key in data}

    @app.route("/spellings", methods=["POST"])
    async def spellings() -> dict[str, Any]:
        quart = await request.form  # Quart
        starlette = await request.form()  # Starlette
        flask = request.form  # Flask, once read
        return {
            "same": quart == starlette == flask,
            "files": len(await request.files),
            "values": (await request.values).to_dict(flat=False),
            "title": request.form["title"],
            "n": request.form.get("n", type=int),
            "bad_n": request.form.get("title", -1, type=int),
        }

    @app.route("/json", methods=["POST"])
    async def json_view() -> dict[str, Any]:
        quart = await request.json
        called = await request.get_json()
        return {"a": quart, "b": called, "c": request.json, "d": request.get_json()}

    @app.route("/data", methods=["POST"])
    async def data() -> dict[str, Any]:
        text = await request.get_data(as_text=True)
        return {
            "text": text,
            "body": (await request.body).decode(),
            "body_called": (await request.body()).decode(),
            "data": request.data.decode(),
            "plain": request.get_data().decode(),
        }

    return app


async def test_form_spellings_quart_starlette_and_flask(
    echo: App, client: TestClient
) -> None:
    response = await client.post(
        "/spellings?q=1", data={"title": "Hi", "n": "5", "multi": ["a", "b"]}
    )
    assert response.json == {
        "same": True,
        "files": 0,
        "values": {"q": ["1"], "title": ["Hi"], "n": ["5"], "multi": ["a", "b"]},
        "title": "Hi",
        "n": 5,
        "bad_n": -1,
    }


async def test_json_and_data_spellings(echo: App, client: TestClient) -> None:
    response = await client.post("/json", json={"x": [1, 2]})
    assert response.json == {key: {"x": [1, 2]} for key in "abcd"}
    raw = await client.post(
        "/data", content=b"raw text", headers={"content-type": "text/plain"}
    )
    assert raw.json == dict.fromkeys(
        ["text", "body", "body_called", "data", "plain"], "raw text"
    )


async def test_data_of_a_form_body_is_empty_as_in_flask(
    app: App, client: TestClient
) -> None:
    @app.route("/", methods=["POST"])
    async def index() -> dict[str, Any]:
        data = await request.data
        return {
            "data": data.decode(),
            "form": request.form.to_dict(),
            "raw": (await request.get_data()).decode(),
        }

    response = await client.post("/", data={"a": "1"})
    assert response.json == {"data": "", "form": {"a": "1"}, "raw": "a=1"}


async def test_stream_iterates_the_body_in_chunks(app: App, client: TestClient) -> None:
    @app.route("/", methods=["POST"])
    async def index() -> str:
        sizes = [len(chunk) async for chunk in request.body]
        return str(sum(sizes))

    async def chunks() -> Any:
        for _ in range(5):
            yield b"x" * 1000

    assert (await client.post("/", content=chunks())).text == "5000"


@pytest.mark.parametrize(
    ("spelling", "expected"),
    [
        ("form", "await request.form"),
        ("files", "await request.files"),
        ("values", "await request.values"),
        ("json", "await request.get_json()"),
        ("get_data", "await request.get_data()"),
        ("data", "await request.get_data()"),
    ],
)
async def test_plain_access_before_reading_names_the_view_and_what_to_write(
    app: App, client: TestClient, spelling: str, expected: str
) -> None:
    app.config["PRELOAD_REQUEST_BODY"] = False  # as a body too big to preload

    @app.route("/submit", methods=["POST"])
    async def submit() -> str:
        value = getattr(request, spelling)
        if spelling == "get_data":
            value = value()
        return str(value["title"])

    kwargs: dict[str, Any] = (
        {"json": {"title": "x"}} if spelling == "json" else {"data": {"title": "x"}}
    )
    with pytest.raises(NotLoadedError) as info:
        await client.post("/submit", **kwargs)
    assert expected in str(info.value)
    assert "view 'submit'" in str(info.value)


async def test_plain_access_works_once_a_hook_read_the_body(
    app: App, client: TestClient
) -> None:
    @app.before_request
    async def load() -> None:
        await request.form

    @app.route("/", methods=["POST"])
    def sync_view() -> str:  # a plain view, in a worker thread, as in Flask
        return str(request.form["title"])

    assert (
        await client.post("/", data={"title": "from the hook"})
    ).text == "from the hook"


async def test_templates_read_the_form_as_flasks_tutorial_does(
    app: App, client: TestClient
) -> None:
    page = "<input value=\"{{ request.form['title'] or post['title'] }}\">"

    @app.route("/edit", methods=["GET", "POST"])
    async def edit() -> str:
        if request.method == "POST":
            form = await request.form
            if not form["title"].strip():
                return await render_template_string(page, post={"title": "old"})
        return await render_template_string(page, post={"title": "old"})

    # GET: no body, so the (empty) form needs no await; the missing key is
    # undefined in Jinja, as in Flask.
    assert (await client.get("/edit")).text == '<input value="old">'
    sent = await client.post("/edit", data={"title": "<b>new</b>"})
    assert sent.text == '<input value="&lt;b&gt;new&lt;/b&gt;">'


async def test_uploads_are_file_storages(
    app: App, client: TestClient, tmp_path: Path
) -> None:
    @app.route("/upload", methods=["POST"])
    async def upload() -> dict[str, Any]:
        files = await request.files
        doc = files["doc"]
        assert isinstance(doc, FileStorage)
        first = doc.stream.read(3)
        doc.stream.seek(0)
        await doc.save(tmp_path / "quart.bin")  # Quart's spelling
        doc.stream.seek(0)
        doc.save(str(tmp_path / "flask.bin"))  # Flask's
        return {
            "filename": doc.filename,
            "mimetype": doc.mimetype,
            "first": first.decode(),
            "others": [f.filename for f in files.getlist("many")],
            "field": request.form["note"],
        }

    content = b"hello upload" * 100_000  # 1.2 MB: spooled to a temporary file
    flask_style = await client.post(
        "/upload",
        data={
            "doc": (io.BytesIO(content), "report.pdf"),
            "many": [(io.BytesIO(b"1"), "a.txt"), (io.BytesIO(b"2"), "b.txt")],
            "note": "n",
        },
    )
    assert flask_style.json == {
        "filename": "report.pdf",
        "mimetype": "application/pdf",
        "first": "hel",
        "others": ["a.txt", "b.txt"],
        "field": "n",
    }
    assert (tmp_path / "quart.bin").read_bytes() == content
    assert (tmp_path / "flask.bin").read_bytes() == content
    quart_style = await client.post(
        "/upload",
        form={"note": "q"},
        files={
            "doc": FileStorage(io.BytesIO(b"abc"), "q.txt", content_type="text/plain")
        },
    )
    assert quart_style.json["filename"] == "q.txt"
    assert quart_style.json["mimetype"] == "text/plain"


@pytest.mark.parametrize(
    ("config", "data", "status", "message"),
    [
        ({"MAX_FORM_MEMORY_SIZE": 10}, {"big": "x" * 11}, 413, "MAX_FORM_MEMORY_SIZE"),
        ({"MAX_FORM_PARTS": 2}, {"a": "1", "b": "2", "c": "3"}, 413, "MAX_FORM_PARTS"),
        ({"MAX_FORM_PARTS": 2}, {"a": "1", "b": "2"}, 200, ""),
    ],
)
@pytest.mark.parametrize("multipart", [False, True])
async def test_form_limits_of_flask_3_1(
    echo: App,
    client: TestClient,
    config: dict[str, Any],
    data: dict[str, str],
    status: int,
    message: str,
    multipart: bool,
) -> None:
    echo.config.update(config)
    if multipart:
        files = {"upload": ("f.bin", b"x" * 100)}  # files do not count as memory
        if "MAX_FORM_PARTS" in config:
            data = dict(list(data.items())[:-1])  # the file is one of the parts
        response = await client.post("/form", data=data, files=files)
    else:
        response = await client.post("/form", data=data)
    assert response.status_code == status, response.text
    assert message in response.text


@pytest.mark.parametrize(
    ("body", "content_type", "message"),
    [
        (b"x", "multipart/form-data", "no boundary"),
        (
            b"--b\r\nContent-Disposition: form-data\r\n\r\n1\r\n--b--\r\n",
            "multipart/form-data; boundary=b",
            "has no name",
        ),
        (
            b"--b\r\nContent-Disposition: form-data; name=a\r\n\r\n1",
            "multipart/form-data; boundary=b",
            "malformed",
        ),
    ],
)
async def test_a_bad_upload_is_a_400_that_says_what(
    echo: App, client: TestClient, body: bytes, content_type: str, message: str
) -> None:
    echo.testing = False
    response = await client.post(
        "/form", content=body, headers={"content-type": content_type}
    )
    assert response.status_code == 400 and message in response.text
    assert (await client.post("/form", data={"a": "1"})).json == {"a": ["1"]}


async def call_raw(
    app: App, headers: list[tuple[bytes, bytes]], body: bytes
) -> tuple[int, bytes]:
    """Call the app with headers httpx would refuse to send."""
    scope = make_scope("http", "/form", "", {})
    scope["method"] = "POST"
    scope["headers"] = headers
    messages: list[Message] = []
    sent = False

    async def receive() -> Message:
        nonlocal sent
        if sent:
            return {"type": "http.disconnect"}
        sent = True
        return {"type": "http.request", "body": body, "more_body": False}

    async def send(message: Message) -> None:
        messages.append(message)

    await app(scope, receive, send)
    return messages[0]["status"], b"".join(m.get("body", b"") for m in messages[1:])


@pytest.mark.parametrize("length", ["²", "-1", "1e3", "abc", "12 34"])
async def test_a_malformed_content_length_is_a_400(
    echo: App, client: TestClient, length: str
) -> None:
    echo.testing = False
    headers = [
        (b"content-type", b"application/x-www-form-urlencoded"),
        (b"content-length", length.encode()),
    ]
    status, body = await call_raw(echo, headers, b"a=1")
    assert status == 400 and b"is not a length" in body


async def test_deep_json_is_a_400(echo: App, client: TestClient) -> None:
    echo.testing = False
    deep = b"[" * 100_000 + b"]" * 100_000
    response = await client.post(
        "/json", content=deep, headers={"content-type": "application/json"}
    )
    assert response.status_code == 400 and "could not understand" in response.text
    echo.debug = True  # the reason is shown in debug mode only, as Flask
    response = await client.post(
        "/json", content=deep, headers={"content-type": "application/json"}
    )
    assert response.status_code == 400 and "nested too deeply" in response.text


async def test_request_properties(app: App) -> None:
    token = base64.b64encode(b"ada:secret").decode()
    headers = {
        "host": "example.com:8080",
        "content-type": "Application/JSON; charset=utf-8",
        "accept": "text/html;q=0.5, application/json",
        "authorization": f"Basic {token}",
        "x-forwarded-for": "10.0.0.1, 10.0.0.2",
        "cookie": "a=1; b=2",
    }
    async with app.test_request_context("/p/x?a=1&a=2", headers=headers):
        assert request.args.getlist("a") == ["1", "2"]
        assert request.args.get("a", type=int) == 1
        assert request.mimetype == "application/json"
        assert request.mimetype_params == {"charset": "utf-8"}
        assert request.is_json
        assert request.content_length is None
        assert request.method == "GET"
        assert request.remote_addr == "127.0.0.1"
        assert request.access_route == ["10.0.0.1", "10.0.0.2"]
        assert request.accept_mimetypes.best == "application/json"
        assert request.authorization is not None
        assert (request.authorization.username, request.authorization.password) == (
            "ada",
            "secret",
        )
        assert request.cookies.to_dict() == {"a": "1", "b": "2"}
        assert request.url == "http://example.com:8080/p/x?a=1&a=2"
        assert request.base_url == "http://example.com:8080/p/x"
        assert request.url_root == "http://example.com:8080/"
        assert request.host_url == "http://example.com:8080/"
        assert request.full_path == "/p/x?a=1&a=2"
        assert request.host == "example.com:8080"
        assert not request.is_secure
        assert request.headers.get("x-forwarded-for", type=str) == "10.0.0.1, 10.0.0.2"
    async with app.test_request_context(
        "/", headers={"authorization": "Bearer abc.def"}
    ):
        assert request.authorization is not None
        assert (request.authorization.type, request.authorization.token) == (
            "bearer",
            "abc.def",
        )


async def test_url_rule_routing_exception_and_the_mount_point(app: App) -> None:
    seen: dict[str, Any] = {}

    @app.route("/users/<int:user_id>")
    async def user(user_id: int) -> str:
        seen.update(
            rule=request.url_rule.rule if request.url_rule else None,
            path=request.path,
            root=request.root_path,
            url=request.url,
            endpoint=request.endpoint,
            view_args=request.view_args,
        )
        return "ok"

    @app.errorhandler(404)
    def missing(exc: Exception) -> tuple[str, int]:
        seen["routing_exception"] = type(request.routing_exception).__name__
        return "missing", 404

    scope = make_scope("http", "/api/users/3", "", {"host": "x"})
    scope.update(method="GET", root_path="/api")

    async def receive() -> Message:
        return {"type": "http.request", "body": b""}

    async def send(message: Message) -> None:
        return None

    await app(scope, receive, send)
    assert seen == {
        "rule": "/users/<int:user_id>",
        "path": "/users/3",
        "root": "/api",
        "url": "http://x/api/users/3",
        "endpoint": "user",
        "view_args": {"user_id": 3},
    }
    await app(dict(scope, path="/api/nobody"), receive, send)
    assert seen["routing_exception"] == "NotFound"


async def test_a_body_over_the_limit_is_refused_before_it_is_read(
    echo: App, client: TestClient
) -> None:
    echo.config["MAX_CONTENT_LENGTH"] = 10
    response = await client.post(
        "/form",
        content=b"a=" + b"x" * 20,
        headers={"content-type": "application/x-www-form-urlencoded"},
    )
    assert response.status_code == 413
    assert "MAX_CONTENT_LENGTH" in response.text


async def test_a_client_that_leaves_mid_body_is_a_400_not_a_500(app: App) -> None:
    app.testing = False
    finished: list[BaseException | None] = []

    @app.route("/form", methods=["POST"])
    async def form() -> str:
        await request.get_data()
        return "never"

    app.teardown_request(finished.append)
    scope = make_scope("http", "/form", "", {"content-length": "10"})
    scope["method"] = "POST"
    messages: Iterator[Message] = iter(
        [
            {"type": "http.request", "body": b"12345", "more_body": True},
            {"type": "http.disconnect"},
        ]
    )
    sent: list[Message] = []

    async def receive() -> Message:
        return next(messages)

    async def send(message: Message) -> None:
        sent.append(message)

    await app(scope, receive, send)
    assert sent[0]["status"] == 400
    assert finished == [None]  # handled as a client error, not an exception


def test_response_class_is_replaceable() -> None:
    class Custom(Response):
        default_mimetype = "text/plain"

    class CustomApp(App):
        response_class = Custom

    app = CustomApp("custom")
    assert app.response_class is Custom


async def test_reading_twice_and_the_stream_once(app: App) -> None:
    async with app.test_request_context("/", method="POST", data=b"abc") as ctx:
        chunks = [chunk async for chunk in request.stream()]
        assert chunks == [b"abc"]
        with pytest.raises(RuntimeError, match="already read as a stream"):
            await request.get_data()
        assert ctx.request is request._get_current_object()
    async with app.test_request_context("/", method="POST", data=b"abc"):
        assert await request.get_data() == b"abc"
        assert [chunk async for chunk in request.stream()] == [b"abc"]  # cached
        assert request.get_data(as_text=True) == "abc"


async def test_values_and_data_once_the_form_is_read(app: App) -> None:
    async with app.test_request_context("/?q=1"):
        assert request.values.to_dict() == {"q": "1"}  # GET: the query only
    async with app.test_request_context("/?q=1", method="POST", data={"a": "2"}):
        values = await request.values
        assert values.to_dict() == {"q": "1", "a": "2"}
        assert request.values.to_dict() == {"q": "1", "a": "2"}
        assert (
            request.data == b""
            and request.get_data(parse_form_data=True, as_text=True) == ""
        )
        assert (await request.files).to_dict() == {}


async def test_is_disconnected(app: App) -> None:
    async with app.test_request_context("/"):
        assert await request.is_disconnected()  # its receive says so at once
        assert await request.is_disconnected()
    async with app.test_request_context("/", method="POST", data=b"body"):
        assert not await request.is_disconnected()  # would lose the body
        assert await request.get_data() == b"body"


async def test_nested_blueprint_names(app: App) -> None:
    from app_framework.routing import Rule

    async with app.test_request_context("/") as ctx:
        assert request.blueprints == []
        rule = Rule.__new__(Rule)
        rule.endpoint = "shop.admin.index"
        ctx.request.url_rule = rule
        assert request.blueprint == "shop.admin"
        assert request.blueprints == ["shop.admin", "shop"]


async def test_an_https_scope_is_secure(app: App) -> None:
    seen: list[Any] = []

    @app.route("/")
    async def index() -> str:
        seen.append((request.is_secure, request.url, request.server))
        return ""

    scope = make_scope("http", "/", "", {"host": "example.com"})
    scope.update(method="GET", scheme="https", server=("example.com", 443))

    async def receive() -> Message:
        return {"type": "http.request", "body": b""}

    async def send(message: Message) -> None:
        return None

    await app(scope, receive, send)
    assert seen == [(True, "https://example.com/", ("example.com", 443))]


async def test_json_silent_and_a_custom_failure_handler(app: App) -> None:
    class Lenient(app.request_class):  # type: ignore[name-defined,misc]
        def on_json_loading_failed(self, e: Any) -> Any:
            return {"fallback": True}

    app.request_class = Lenient
    async with app.test_request_context(
        "/", method="POST", data=b"{bad", content_type="application/json"
    ):
        assert await request.get_json() == {"fallback": True}
    async with app.test_request_context(
        "/", method="POST", data=b"x", content_type="text/plain"
    ):
        assert request.get_json() == {"fallback": True}
        assert not request.get_json(silent=True)


MiB = 1024 * 1024


async def _post_chunks(
    app: App, path: str, chunks: int, headers: dict[str, str], first: bytes = b""
) -> tuple[int, int]:
    """POST ``chunks`` MiB (after ``first``), chunk by chunk; (status, chunks
    the app read)."""
    scope = make_scope("http", path, "", {"host": "localhost", **headers})
    scope["method"] = "POST"
    read = 0
    sent: list[Message] = []

    async def receive() -> Message:
        nonlocal read
        read += 1
        body = (first if read == 1 else b"") + b"x" * MiB
        return {"type": "http.request", "body": body, "more_body": read < chunks}

    async def send(message: Message) -> None:
        sent.append(message)

    await app(scope, receive, send)
    return sent[0]["status"], read


@pytest.mark.parametrize("kind", ["data", "json", "form", "multipart"])
async def test_bodies_read_into_memory_are_capped_at_16_mib_by_default(
    app: App, kind: str
) -> None:
    assert app.config["MAX_CONTENT_LENGTH"] == 16 * MiB

    @app.route("/read", methods=["POST"])
    async def read() -> str:
        if kind == "data":
            await request.get_data()
        elif kind == "json":
            await request.get_json(force=True)
        else:
            await request.form
        return "read"

    types = {
        "data": "application/octet-stream",
        "json": "application/json",
        "form": "application/x-www-form-urlencoded",
        "multipart": "multipart/form-data; boundary=b",
    }
    # Announced: refused before a byte is read.
    status, read_chunks = await _post_chunks(
        app, "/read", 20, {"content-type": types[kind], "content-length": str(20 * MiB)}
    )
    assert (status, read_chunks) == (413, 0)
    # Not announced (chunked): refused as soon as it passes the cap.
    # (For multipart, a file part: spooled, so only the cap stops it.)
    part = (
        b'--b\r\nContent-Disposition: form-data; name="f"; filename="a.bin"\r\n'
        b"Content-Type: application/octet-stream\r\n\r\n"
    )
    status, read_chunks = await _post_chunks(
        app,
        "/read",
        40,
        {"content-type": types[kind], "transfer-encoding": "chunked"},
        part if kind == "multipart" else b"",
    )
    # 17 MiB read is past 16 (16 with the part's headers ahead of the data).
    assert status == 413 and read_chunks == (16 if kind == "multipart" else 17)


async def test_a_streamed_read_is_not_capped(app: App) -> None:
    @app.route("/upload", methods=["POST"])
    async def upload() -> str:
        total = 0
        async for chunk in request.stream():
            total += len(chunk)
        return str(total)

    sent: list[Message] = []
    scope = make_scope(
        "http", "/upload", "", {"host": "localhost", "transfer-encoding": "chunked"}
    )
    scope["method"] = "POST"
    chunks = iter(range(20))

    async def receive() -> Message:
        number = next(chunks)
        return {"type": "http.request", "body": b"x" * MiB, "more_body": number < 19}

    async def send(message: Message) -> None:
        sent.append(message)

    await app(scope, receive, send)
    assert sent[0]["status"] == 200 and sent[1]["body"] == str(20 * MiB).encode()
