"""The response: Flask's surface on Starlette's, every view return value
becoming ``app.response_class``, and changes in hooks being what is sent."""

from __future__ import annotations

import datetime
import gc
import warnings
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import pytest
from starlette.responses import PlainTextResponse
from werkzeug.datastructures import Headers

from app_framework import (
    App,
    Response,
    jsonify,
    make_response,
    render_template,
    request,
)
from app_framework.exceptions import RequestedRangeNotSatisfiable
from app_framework.testing import TestClient
from app_framework.wrappers import NotLoadedError


def test_flask_surface() -> None:
    response = Response("hello", 201, {"X-A": "1"}, mimetype="text/plain")
    assert (response.status_code, response.status) == (201, "201 CREATED")
    assert response.data == b"hello" and response.get_data(as_text=True) == "hello"
    assert response.content_type == "text/plain; charset=utf-8"
    assert response.mimetype == "text/plain"
    assert response.headers["x-a"] == "1"
    response.data = "changed ☃"
    assert response.content_length == len("changed ☃".encode())
    response.set_data(b"bytes")
    assert response.headers["content-length"] == "5"
    response.status = "404 NOT FOUND"
    assert response.status_code == 404
    response.status = 202
    assert response.status == "202 ACCEPTED"
    response.status_code = 299
    assert response.status == "299 UNKNOWN"
    response.mimetype = "application/xml"
    assert response.content_type == "application/xml; charset=utf-8"
    response.content_type = "image/png"
    assert response.mimetype == "image/png" and response.mimetype_params == {}
    response.location = "/next"
    assert response.headers["location"] == "/next"
    response.vary.add("Cookie")
    response.vary.add("Accept")
    assert response.headers["vary"] == "Cookie, Accept"
    response.cache_control.max_age = 60
    response.cache_control.public = True
    assert response.headers["cache-control"] in (
        "max-age=60, public",
        "public, max-age=60",
    )
    response.last_modified = datetime.datetime(2024, 1, 2, tzinfo=datetime.UTC)
    assert response.headers["last-modified"] == "Tue, 02 Jan 2024 00:00:00 GMT"
    response.set_etag("abc")
    assert response.get_etag() == ("abc", False)
    response.headers.add("Content-Disposition", "attachment", filename="a b.txt")
    assert response.headers["content-disposition"] == 'attachment; filename="a b.txt"'
    response.headers.set("X-A", "2")
    assert response.headers.getlist("x-a") == ["2"]
    response.headers.remove("X-A")
    assert "x-a" not in response.headers


def test_cookies_in_werkzeugs_format() -> None:
    response = Response()
    response.set_cookie(
        "id",
        "7",
        max_age=60,
        secure=True,
        httponly=True,
        samesite="Lax",
        partitioned=True,
    )
    response.delete_cookie("old", path="/app")
    cookies = response.headers.getlist("set-cookie")
    assert cookies[0].startswith("id=7; ") and "Partitioned" in cookies[0]
    assert "Max-Age=60" in cookies[0] and "SameSite=Lax" in cookies[0]
    assert (
        cookies[1].startswith("old=; Expires=Thu, 01 Jan 1970")
        and "Path=/app" in cookies[1]
    )


def test_an_oversized_cookie_is_warned_and_logged(
    caplog: pytest.LogCaptureFixture,
) -> None:
    assert Response().max_cookie_size == 4093  # no app: werkzeug's figure
    with pytest.warns(UserWarning, match="'big' cookie is too large"):
        Response().set_cookie("big", "x" * 5000)
    assert "The 'big' cookie is too large" in caplog.text
    assert "browsers will ignore it" in caplog.text


async def test_max_cookie_size_comes_from_the_app_config() -> None:
    app = App(__name__)
    assert App.default_config["MAX_COOKIE_SIZE"] == 4093
    assert app.config["MAX_COOKIE_SIZE"] == 4093
    app.config["MAX_COOKIE_SIZE"] = 64

    @app.get("/crumb")
    async def crumb() -> Response:
        reply = Response(status=204)
        reply.set_cookie("crumb", "c" * 80)
        return reply

    async with app.app_context():
        assert Response().max_cookie_size == 64
    client = app.test_client()
    with pytest.warns(UserWarning, match="over MAX_COOKIE_SIZE \\(64\\)"):
        assert (await client.get("/crumb")).status_code == 204
    app.config["MAX_COOKIE_SIZE"] = 0  # no check at all
    response = await client.get("/crumb")  # filterwarnings=error: none raised
    assert response.headers["set-cookie"].startswith("crumb=" + "c" * 80)


def test_default_config_is_read_only_and_each_app_gets_a_copy() -> None:
    with pytest.raises(TypeError):
        App.default_config["TESTING"] = True  # type: ignore[index]

    class Tuned(App):
        default_config = {**App.default_config, "MAX_COOKIE_SIZE": 8000}

    first, second = Tuned(__name__), Tuned(__name__)
    assert first.config["MAX_COOKIE_SIZE"] == 8000
    first.config["SECRET_KEY_FALLBACKS"].append("old")
    assert second.config["SECRET_KEY_FALLBACKS"] == []


async def test_data_consumes_a_sync_iterable_body_in_place() -> None:
    closed: list[str] = []

    def words() -> Iterator[str]:
        try:
            yield "ab"
            yield "cd"
        finally:
            closed.append("words")

    rv = Response(words())
    assert rv.is_streamed
    assert rv.data == b"abcd" and not rv.is_streamed
    assert closed == ["words"] and rv.content_length == 4
    assert make_response_parts(Response(iter([b"x", "y"]))) == b"xy"
    assert await Response(iter(["q", "r"])).get_data() == b"qr"
    passthrough = Response(iter(["kept"]), direct_passthrough=True)
    with pytest.raises(NotLoadedError, match="direct passthrough"):
        passthrough.data  # noqa: B018
    assert passthrough.is_streamed


def make_response_parts(rv: Response) -> bytes:
    data: bytes = rv.get_data()  # a plain call, as a Flask view writes it
    return data


def test_json_on_responses() -> None:
    response = Response('{"a": 1}', mimetype="application/json")
    assert response.is_json and response.json == {"a": 1}
    assert response.get_json() == {"a": 1}
    assert not Response("{}").get_json()  # text/html: not JSON
    assert Response("{}").get_json(force=True) == {}


async def test_awaitable_get_data_and_streams() -> None:
    assert await Response("x").get_data() == b"x"  # Quart's spelling

    async def chunks() -> AsyncIterator[str]:
        yield "a"
        yield "b"

    streamed = Response(chunks())
    assert streamed.is_streamed
    with pytest.raises(NotLoadedError, match="await response.get_data"):
        _ = streamed.data
    assert await streamed.get_data(as_text=True) == "ab"
    assert streamed.data == b"ab" and not streamed.is_streamed
    assert await make_response_outside() is not None


async def make_response_outside() -> Any:
    # A Response may be awaited (Quart's ``await make_response(...)``).
    return await Response("x")


@pytest.mark.parametrize(
    ("rv", "status", "body", "content_type", "header"),
    [
        ("text", 200, b"text", "text/html; charset=utf-8", None),
        (b"bytes", 200, b"bytes", "text/html; charset=utf-8", None),
        ({"a": 1}, 200, b'{"a":1}\n', "application/json", None),
        ([1, 2], 200, b"[1,2]\n", "application/json", None),
        (("created", 201), 201, b"created", "text/html; charset=utf-8", None),
        (("created", "201 CREATED"), 201, b"created", "text/html; charset=utf-8", None),
        (("h", {"X-A": "1"}), 200, b"h", "text/html; charset=utf-8", "1"),
        (("h", [("X-A", "1")]), 200, b"h", "text/html; charset=utf-8", "1"),
        (("h", Headers({"X-A": "1"})), 200, b"h", "text/html; charset=utf-8", "1"),
        (("both", 202, {"X-A": "1"}), 202, b"both", "text/html; charset=utf-8", "1"),
        (({"j": 1}, 201, {"X-A": "1"}), 201, b'{"j":1}\n', "application/json", "1"),
        (
            PlainTextResponse("starlette"),
            200,
            b"starlette",
            "text/plain; charset=utf-8",
            None,
        ),
    ],
)
async def test_every_view_return_value(
    app: App,
    client: TestClient,
    rv: Any,
    status: int,
    body: bytes,
    content_type: str,
    header: str | None,
) -> None:
    seen: list[type[Any]] = []

    @app.after_request
    def check(response: Any) -> Any:
        seen.append(type(response))
        return response

    app.add_url_rule("/", "index", lambda: rv)
    response = await client.get("/")
    assert response.status_code == status
    assert response.content == body
    assert response.headers["content-type"] == content_type
    assert response.headers.get("x-a") == header
    if not isinstance(rv, PlainTextResponse):  # Starlette's pass through as is
        assert seen == [Response]


async def test_generators_stream(app: App, client: TestClient) -> None:
    @app.route("/async")
    async def async_stream() -> AsyncIterator[bytes]:
        async def body() -> AsyncIterator[bytes]:
            yield b"a"
            yield b"b"

        return body()

    @app.route("/sync")
    def sync_stream() -> Iterator[str]:
        def body() -> Iterator[str]:
            yield "c"
            yield "d"

        return body()

    assert (await client.get("/async")).content == b"ab"
    assert (await client.get("/sync")).content == b"cd"


async def test_an_iterable_body_is_closed_in_the_request_once_sent(
    app: App, client: TestClient
) -> None:
    closed: list[tuple[str, str]] = []

    class Ledger:
        """Iterable, not an iterator: each iteration is a new generator."""

        def __iter__(self) -> Iterator[str]:
            yield "debit\n"
            yield "credit\n"

        def close(self) -> None:
            closed.append(("ledger", request.path))

    class Cursor:
        """Its own iterator: closed once, not twice."""

        def __init__(self) -> None:
            self.rows = iter(["r1 ", "r2"])

        def __iter__(self) -> Cursor:
            return self

        def __next__(self) -> str:
            return next(self.rows)

        def close(self) -> None:
            closed.append(("cursor", request.path))

    @app.route("/ledger")
    def ledger() -> Response:
        return Response(Ledger(), mimetype="text/plain")

    @app.route("/cursor")
    def cursor() -> Response:
        return Response(Cursor())

    @app.teardown_request
    def done(exc: BaseException | None) -> None:
        closed.append(("teardown", request.path))

    assert (await client.get("/ledger")).text == "debit\ncredit\n"
    assert (await client.get("/cursor")).text == "r1 r2"
    assert closed == [
        ("ledger", "/ledger"),
        ("teardown", "/ledger"),
        ("cursor", "/cursor"),
        ("teardown", "/cursor"),
    ]


async def test_an_after_request_hook_changes_what_is_sent(
    app: App, client: TestClient
) -> None:
    @app.route("/")
    async def index() -> str:
        return "<p>hi</p>"

    @app.after_request
    def change(response: Response) -> Response:
        response.mimetype = "text/plain"
        response.status = 203
        response.set_data(response.get_data(as_text=True).upper())
        response.headers["X-Hook"] = "yes"
        response.set_cookie("seen", "1")
        response.vary.add("Accept-Language")
        response.cache_control.no_store = True
        return response

    response = await client.get("/")
    assert response.status_code == 203
    assert response.text == "<P>HI</P>"
    assert response.headers["content-type"] == "text/plain; charset=utf-8"
    assert response.headers["content-length"] == "9"
    assert response.headers["x-hook"] == "yes"
    assert response.headers["set-cookie"] == "seen=1; Path=/"
    assert response.headers["vary"] == "Accept-Language"
    assert response.headers["cache-control"] == "no-store"


@pytest.mark.parametrize(
    ("args", "status", "body", "header"),
    [
        ((), 200, b"", None),
        (("body",), 200, b"body", None),
        (("body", 404), 404, b"body", None),
        (("body", {"X-A": "1"}), 200, b"body", "1"),
        (("body", 201, {"X-A": "1"}), 201, b"body", "1"),
        ((("body", 201, {"X-A": "1"}),), 201, b"body", "1"),
        (({"a": 1},), 200, b'{"a":1}\n', None),
    ],
)
async def test_make_response_takes_every_flask_form(
    app: App, args: tuple[Any, ...], status: int, body: bytes, header: str | None
) -> None:
    async with app.app_context():
        response = make_response(*args)
        same = await make_response(*args)  # Quart's spelling
    for made in (response, same):
        assert isinstance(made, Response)
        assert (made.status_code, made.body) == (status, body)
        assert made.headers.get("x-a") == header


async def test_jsonify_and_dicts_use_the_response_class(app: App) -> None:
    class Custom(Response):
        pass

    app.response_class = Custom
    async with app.app_context():
        assert type(jsonify(a=1)) is Custom
        assert type(make_response({"a": 1})) is Custom
        assert type(make_response("x")) is Custom


async def test_a_view_returning_something_else_is_a_clear_error(
    app: App, client: TestClient
) -> None:
    @app.route("/float")
    async def returns_a_float() -> Any:
        return 3.5

    @app.route("/none")
    async def returns_nothing() -> None:
        return None

    with pytest.raises(
        TypeError, match=r"'returns_a_float' did not .*: it was a float.*Return a str"
    ):
        await client.get("/float")
    with pytest.raises(
        TypeError, match=r"'returns_nothing' did not return a valid response"
    ):
        await client.get("/none")


async def test_an_unawaited_render_template_asks_for_await(tmp_path: Path) -> None:
    (tmp_path / "profile.html").write_text("<p>{{ user }}</p>")
    app = App("profiles", template_folder=str(tmp_path))
    app.testing = True

    @app.route("/me")
    async def profile() -> Any:
        return render_template("profile.html", user="ada")  # no await

    @app.route("/me/created")
    async def created_profile() -> Any:
        return render_template("profile.html", user="ada"), 201  # no await

    client = app.test_client()
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        for path, view in [("/me", "profile"), ("/me/created", "created_profile")]:
            with pytest.raises(TypeError) as error:
                await client.get(path)
            assert str(error.value) == (
                f"The view '{view}' did not return a valid response: it returned "
                "the coroutine render_template() without awaiting it. Did you "
                "forget 'await'? e.g. return await render_template(...)"
            )
        del error
        gc.collect()
    # The coroutine is closed, so Python does not warn about it a second time.
    assert not [w for w in caught if "never awaited" in str(w.message)]


async def test_a_tuple_with_headers_before_the_status_is_a_type_error(
    app: App,
) -> None:
    async with app.app_context():
        with pytest.raises(TypeError, match=r"not dict .*\(body, status, headers\)"):
            await app.make_response(("swapped", {"X-Kind": "swapped"}, 201))
    with pytest.raises(TypeError, match=r"not list"):
        Response("x").status = ["418"]  # type: ignore[assignment]


def test_more_of_the_flask_surface() -> None:
    from starlette.datastructures import Headers as StarletteHeaders

    response = Response(["a", b"b"], headers=StarletteHeaders({"X-S": "1"}))
    assert response.data == b"ab" and response.headers["x-s"] == "1"
    response.headers.extend({"X-E": "1"}, [("X-E", "2")], X_F="3")
    assert response.headers.getlist("x-e") == ["1", "2"]
    assert response.headers.get("x-e", type=int) == 1
    assert response.headers.get("x-s", -1, type=lambda v: int("nope")) == -1
    assert response.headers.get("missing", "d") == "d"
    response.expires = 0
    assert response.expires is not None and response.expires.year == 1970
    response.expires = None
    assert "expires" not in response.headers
    assert response.media_type == "text/html"
    response.headers["allow"] = "GET, POST"
    assert "POST" in response.allow
    response.vary = ["Cookie", "Accept"]
    assert response.headers["vary"] == "Cookie, Accept"
    response.vary = None
    assert "vary" not in response.headers
    response.location = None
    response.mimetype = None
    assert response.mimetype is None and response.content_type is None
    assert repr(Response("abc", 404)) == "<Response [404 NOT FOUND] 3 bytes>"
    empty = Response("no body", 204)
    assert "content-length" not in empty.headers
    with pytest.raises(ValueError, match="does not start with a status code"):
        Response(status="OK")
    with pytest.raises(TypeError, match="must be str, bytes"):
        Response(object())
    with pytest.raises(TypeError, match="takes str or bytes"):
        Response().set_data(1)  # type: ignore[arg-type]


async def test_streams_close_their_generators(app: App, client: TestClient) -> None:
    closed: list[bool] = []

    @app.route("/")
    async def index() -> Any:
        async def body() -> AsyncIterator[bytes]:
            try:
                yield b"a"
                yield b"b"
            finally:
                closed.append(True)

        return Response(body(), status=200, mimetype="text/plain")

    response = await client.get("/")
    assert response.content == b"ab" and closed == [True]
    assert repr(Response(iter([]))).endswith("streamed>")


async def test_werkzeug_and_starlette_responses_from_views(
    app: App, client: TestClient
) -> None:
    from werkzeug.wrappers import Response as WerkzeugResponse

    @app.route("/werkzeug")
    async def werkzeug_response() -> Any:
        return WerkzeugResponse("from werkzeug", 202, {"X-W": "1"})

    @app.route("/starlette")
    async def starlette_response() -> Any:
        return PlainTextResponse("from starlette"), 201

    wz = await client.get("/werkzeug")
    assert (wz.status_code, wz.text, wz.headers["x-w"]) == (202, "from werkzeug", "1")
    st = await client.get("/starlette")
    assert (st.status_code, st.text) == (201, "from starlette")


BROKEN = "a\r\nSet-Cookie: evil=1"


@pytest.mark.parametrize(
    ("setter", "name"),
    [
        (lambda r: Response("x", headers={"X-A": BROKEN}), "X-A"),
        (lambda r: Response("x", headers=[("X-A", "a\nb")]), "X-A"),
        (lambda r: Response("x", headers=Headers({"X-A": "a\0b"})), "X-A"),
        (lambda r: Response("x", headers={"X-A\r\nEvil": "1"}), "X-A\r\nEvil"),
        (lambda r: Response("x", content_type="text/plain\r\nX: y"), "Content-Type"),
        (lambda r: setattr(r, "headers", {"X-A": BROKEN}), "X-A"),
        (lambda r: r.headers.__setitem__("X-A", BROKEN), "X-A"),
        (lambda r: r.headers.append("X-A", BROKEN), "X-A"),
        (lambda r: r.headers.setdefault("X-A", BROKEN), "X-A"),
        (lambda r: r.headers.update({"X-A": BROKEN}), "X-A"),
        (lambda r: r.headers.add("X-A", BROKEN), "X-A"),
        (lambda r: r.headers.add("X-A", "v", note=BROKEN), "X-A"),
        (lambda r: r.headers.set("X-A", BROKEN), "X-A"),
        (lambda r: r.headers.extend({"X-A": BROKEN}), "X-A"),
        (lambda r: setattr(r, "location", "/next\r\nX: y"), "Location"),
        (lambda r: setattr(r, "mimetype", "text/x\ny"), "Content-Type"),
        (lambda r: setattr(r, "access_control_allow_origin", BROKEN), "Access-"),
        (lambda r: setattr(r, "retry_after", BROKEN), "Retry-After"),
        (lambda r: setattr(r, "content_security_policy", BROKEN), "Content-Se"),
        (lambda r: setattr(r, "vary", BROKEN), "Vary"),
        (lambda r: r.cache_control.__setitem__("private", BROKEN), "Cache-"),
        (lambda r: r.set_cookie("k", "v", domain="a.example\r\nX: y"), "Set-Cookie"),
        (lambda r: r.set_cookie("k\r\nX: y", "v"), "Set-Cookie"),
    ],
    ids=[
        "init-dict",
        "init-pairs",
        "init-werkzeug-headers",
        "init-name",
        "init-content_type",
        "headers=",
        "headers[]=",
        "append",
        "setdefault",
        "update",
        "add",
        "add-option",
        "set",
        "extend",
        "location",
        "mimetype",
        "access_control_allow_origin",
        "retry_after",
        "content_security_policy",
        "vary",
        "cache_control",
        "set_cookie-domain",
        "set_cookie-key",
    ],
)
def test_a_header_with_cr_lf_or_nul_is_refused_where_it_is_set(
    setter: Any, name: str
) -> None:
    response = Response("x")
    before = list(response.raw_headers)
    with pytest.raises(ValueError, match="CR, LF or NUL") as raised:
        setter(response)
    assert repr(name).rstrip("'") in str(raised.value)
    assert response.raw_headers == before  # nothing half-set


def test_a_cookie_value_with_a_line_break_is_quoted_not_refused() -> None:
    response = Response("x")
    response.set_cookie("k", "a\r\nb")  # werkzeug quotes the value itself
    assert response.headers["set-cookie"].startswith('k="a\\015\\012b"')


async def test_send_file_refuses_a_download_name_with_a_line_break(
    app: App,
) -> None:
    import io

    from app_framework import send_file

    async with app.test_request_context("/"):
        with pytest.raises(ValueError, match="'Content-Disposition'.*CR, LF or NUL"):
            send_file(io.BytesIO(b"x"), download_name="a\r\nb.txt")


async def test_a_header_with_a_line_break_is_the_apps_500(
    app: App, caplog: pytest.LogCaptureFixture
) -> None:
    app.testing = False

    @app.route("/")
    async def index() -> Response:
        response = Response("hi")
        response.headers["X-Tag"] = BROKEN  # say, from the query string
        return response

    async with app.test_client() as client:
        response = await client.get("/")
    assert response.status_code == 500
    [record] = [r for r in caplog.records if r.levelname == "ERROR"]
    assert record.exc_info is not None
    assert "'X-Tag'" in str(record.exc_info[1])


def test_direct_passthrough_is_kept_and_close_closes_the_body() -> None:
    rv = Response(b"raw bytes", 200, None, "text/plain", None, True)
    assert rv.direct_passthrough and rv.data == b"raw bytes"
    assert not Response("x").direct_passthrough

    finished: list[str] = []

    def rows() -> Iterator[str]:
        try:
            yield "id,total\n"
            yield "1,30\n"
        finally:
            finished.append("rows")

    body = rows()
    assert next(body) == "id,total\n"  # started: its finally is pending
    rv = Response(body, mimetype="text/csv")
    rv.call_on_close(lambda: finished.append("callback"))
    rv.close()
    assert finished == ["rows", "callback"]
    rv.close()  # each callback runs once
    assert finished == ["rows", "callback"]


async def test_call_on_close_runs_after_the_response_is_sent(
    app: App, client: TestClient
) -> None:
    log: list[str] = []

    @app.route("/greeting")
    async def greeting() -> Response:
        rv = Response("Hello")
        rv.call_on_close(lambda: log.append("greeting closed"))
        return rv

    @app.route("/feed")
    async def feed() -> Response:
        async def items() -> AsyncIterator[str]:
            try:
                yield "a"
                yield "b"
            finally:
                log.append("feed ended")

        rv = Response(items())

        @rv.call_on_close
        def closed() -> None:
            log.append("feed closed")

        return rv

    assert (await client.get("/greeting")).data == b"Hello"
    assert log == ["greeting closed"]
    assert (await client.get("/feed")).data == b"ab"
    assert log[1:] == ["feed ended", "feed closed"]


async def test_add_etag_plain_and_awaited(app: App) -> None:
    first, same, other = Response("page"), Response("page"), Response("other")
    first.add_etag()  # Flask's spelling
    await same.add_etag()  # Quart's
    other.add_etag(weak=True)
    tag, weak = first.get_etag()
    assert tag and not weak and same.get_etag() == (tag, False)
    assert other.get_etag()[0] != tag and other.get_etag()[1] is True

    kept = Response("page", headers={"ETag": '"mine"'})
    kept.add_etag()
    assert kept.get_etag() == ("mine", False)
    kept.add_etag(overwrite=True)
    assert kept.get_etag() == (tag, False)

    async def parts() -> AsyncIterator[bytes]:
        yield b"pa"
        yield b"ge"

    streamed = Response(parts())
    await streamed.add_etag()
    assert streamed.get_etag() == (tag, False)

    async with app.test_request_context("/", headers={"If-None-Match": f'"{tag}"'}):
        answered = first.make_conditional(request)
    assert answered.status_code == 304


async def test_a_given_length_answers_ranges_without_accept_ranges(app: App) -> None:
    # Quart's rule: the caller naming the whole length is enough for ranges.
    async with app.test_request_context("/", headers={"Range": "bytes=2-4"}):
        part = Response(b"0123456789").make_conditional(request, complete_length=10)
        assert (part.status_code, part.body) == (206, b"234")
        assert part.headers["content-range"] == "bytes 2-4/10"
        whole = Response(b"0123456789").make_conditional(request)
        assert (whole.status_code, whole.body) == (200, b"0123456789")
    for bad in ("lines=0-3", "bytes=0-1,5-6", "bytes=30-40"):
        async with app.test_request_context("/", headers={"Range": bad}):
            with pytest.raises(RequestedRangeNotSatisfiable):
                Response(b"0123456789").make_conditional(request, complete_length=10)
