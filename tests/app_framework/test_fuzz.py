"""Property tests: URLs round-trip for every converter; no input makes a 500."""

from __future__ import annotations

import json
import uuid
from typing import Any
from urllib.parse import unquote

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from starlette.types import Message

from app_framework import (
    App,
    flash,
    has_app_context,
    render_template_string,
    request,
    session,
    url_for,
)

FUZZ = settings(
    max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow]
)


def make_app() -> App:
    app = App("fuzz")
    app.config.update(
        SECRET_KEY="fuzz-secret-key-long-enough-for-the-warning",
        MAX_CONTENT_LENGTH=4096,
    )

    @app.route("/s/<value>")
    async def as_string(value: str) -> dict[str, Any]:
        return {"value": value}

    @app.route("/i/<int:value>")
    async def as_int(value: int) -> dict[str, Any]:
        return {"value": value}

    @app.route("/f/<float:value>")
    async def as_float(value: float) -> dict[str, Any]:
        return {"value": value}

    @app.route("/p/<path:value>")
    async def as_path(value: str) -> dict[str, Any]:
        return {"value": value}

    @app.route("/u/<uuid:value>")
    async def as_uuid(value: uuid.UUID) -> dict[str, Any]:
        return {"value": str(value)}

    @app.route("/json", methods=["POST", "PUT"])
    async def echo_json() -> Any:
        return {"got": await request.get_json()}

    @app.route("/form", methods=["POST"])
    async def form() -> Any:
        data = await request.form()
        return {key: str(value) for key, value in data.items()}

    @app.route("/page")
    async def page() -> str:
        session["seen"] = request.args.get("q", "")
        await flash("hi")
        return await render_template_string("{{ request.args }}")

    return app


APP = make_app()


async def call(
    path: str,
    method: str = "GET",
    query: bytes = b"",
    headers: list[tuple[bytes, bytes]] | None = None,
    body: bytes = b"",
) -> tuple[int, bytes]:
    """One request straight into the ASGI app, as a server would pass it."""
    scope = {
        "type": "http",
        "asgi": {"version": "3.0", "spec_version": "2.4"},
        "http_version": "1.1",
        "method": method,
        "scheme": "http",
        "server": ("127.0.0.1", 80),
        "client": ("127.0.0.1", 5000),
        "root_path": "",
        "path": path,
        "raw_path": path.encode("utf-8", "surrogateescape"),
        "query_string": query,
        "headers": [(b"host", b"localhost"), *(headers or [])],
    }
    sent: list[Message] = []
    chunks = [body[i : i + 512] for i in range(0, len(body), 512)] or [b""]

    async def receive() -> Message:
        if chunks:
            chunk = chunks.pop(0)
            return {"type": "http.request", "body": chunk, "more_body": bool(chunks)}
        return {"type": "http.disconnect"}

    async def send(message: Message) -> None:
        sent.append(message)

    await APP(scope, receive, send)
    assert not has_app_context()
    status: int = sent[0]["status"]
    return status, b"".join(m.get("body", b"") for m in sent[1:])


# Text a URL path can carry: no surrogates, and not "." or ".." (which URL
# normalisation removes before a server sees them).
segment = st.text(
    st.characters(blacklist_categories=["Cs"]), min_size=1, max_size=20
).filter(lambda s: "/" not in s and s not in (".", ".."))


@st.composite
def converter_values(draw: st.DrawFn) -> tuple[str, Any]:
    kind = draw(st.sampled_from(["s", "i", "f", "p", "u"]))
    if kind == "s":
        return kind, draw(segment)
    if kind == "i":
        return kind, draw(st.integers(min_value=0, max_value=10**30))
    if kind == "f":
        return kind, draw(st.floats(min_value=0, max_value=1e12, allow_nan=False))
    if kind == "p":
        return kind, "/".join(draw(st.lists(segment, min_size=1, max_size=4)))
    return kind, draw(st.uuids())


@FUZZ
@given(converter_values())
async def test_url_for_round_trips_for_every_converter(case: tuple[str, Any]) -> None:
    kind, value = case
    endpoint = {
        "s": "as_string",
        "i": "as_int",
        "f": "as_float",
        "p": "as_path",
        "u": "as_uuid",
    }[kind]
    async with APP.test_request_context():
        url = url_for(endpoint, value=value)
    status, body = await call(unquote(url))  # the server decodes the path
    assert status == 200, (url, body)
    got = json.loads(body)["value"]
    expected = str(value) if kind == "u" else value
    if kind == "f":
        assert abs(got - value) <= 1e-9 * max(1.0, value)
    else:
        assert got == expected


header_names = st.sampled_from(
    [b"content-type", b"cookie", b"content-length", b"x-any", b"accept"]
)
header_values = st.one_of(
    st.sampled_from([
        b"application/json", b"multipart/form-data", b"multipart/form-data; boundary=x",
        b"application/x-www-form-urlencoded", b"session=garbage", b"-1", b"99999999999",
        b"text/plain",
    ]),
    st.binary(max_size=40).map(lambda b: bytes(c for c in b if c not in (10, 13))),
)  # fmt: skip


@FUZZ
@given(
    method=st.sampled_from(
        ["GET", "POST", "PUT", "DELETE", "HEAD", "OPTIONS", "PATCH", "BREW"]
    ),
    path=st.one_of(
        st.sampled_from(
            ["/json", "/form", "/page", "/s/x", "/i/1", "/static/../x", "/"]
        ),
        st.text(max_size=30).map(lambda s: "/" + s),
    ),
    query=st.binary(max_size=40),
    headers=st.lists(st.tuples(header_names, header_values), max_size=4),
    body=st.binary(max_size=6000),
)  # fmt: skip
async def test_random_requests_never_cause_a_500(
    method: str,
    path: str,
    query: bytes,
    headers: list[tuple[bytes, bytes]],
    body: bytes,
) -> None:
    status, text = await call(path, method, query, headers, body)
    assert status < 500, (status, text[:300])
