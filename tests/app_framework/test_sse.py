"""Server-Sent Events: the wire format, headers, heartbeats, Last-Event-ID,
and a client leaving a stream (in-process and under a real uvicorn)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Iterator
from contextvars import ContextVar
from typing import Any

import httpx
import pytest

from app_framework import App, EventStream, ServerSentEvent, last_event_id, websocket
from app_framework.testing import TestClient
from tests.helpers.servers import Server, uvicorn

# -- the wire format ---------------------------------------------------------


def test_every_field_is_written_in_its_own_line() -> None:
    event = ServerSentEvent(
        "two\nlines", event="score", id="e-9", retry=2500, comment="why"
    )
    assert event.encode() == (
        b": why\nevent: score\ndata: two\ndata: lines\nid: e-9\nretry: 2500\n\n"
    )


@pytest.mark.parametrize(
    ("data", "lines"),
    [
        ("crlf\r\nthen cr\rthen lf\nend", ["crlf", "then cr", "then lf", "end"]),
        ("", [""]),  # an empty message is still a message
        ("ends with a break\n", ["ends with a break", ""]),
        # Only CR and LF end a line for EventSource: not str.splitlines' others.
        ("form\x0cfeed\u2028sep", ["form\x0cfeed\u2028sep"]),
    ],
)
def test_data_is_split_where_the_browser_splits_it(data: str, lines: list[str]) -> None:
    sent = ServerSentEvent(data).encode().decode()
    assert sent == "".join(f"data: {line}\n" for line in lines) + "\n"


def test_an_event_without_data_carries_only_its_id() -> None:
    assert ServerSentEvent(id="41").encode() == b"id: 41\n\n"


@pytest.mark.parametrize(
    ("fields", "error", "says"),
    [
        ({"event": "a\nb"}, ValueError, "event must be one line"),
        ({"id": "7\r"}, ValueError, "id must be one line"),
        ({"id": "7\x00"}, ValueError, "NUL"),
        ({"retry": -1}, ValueError, "int >= 0"),
        ({"retry": 1.5}, TypeError, "milliseconds"),
        ({"retry": True}, TypeError, "milliseconds"),
        ({"data": {"n": 1}}, TypeError, "json.dumps(value)"),
    ],
)
def test_a_field_that_would_corrupt_the_stream_is_refused(
    fields: dict[str, Any], error: type[Exception], says: str
) -> None:
    with pytest.raises(error, match=says.replace("(", r"\(").replace(")", r"\)")):
        ServerSentEvent(**fields)


def test_event_stream_refuses_what_is_not_a_stream_of_events() -> None:
    with pytest.raises(TypeError, match="wrap one event in a list"):
        EventStream(ServerSentEvent("one"))  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="ping is in seconds"):
        EventStream([], ping=0)


# -- through the test client ---------------------------------------------------


async def test_a_view_streams_events_str_and_dicts_with_sse_headers(
    app: App, client: TestClient
) -> None:
    @app.route("/feed")
    async def feed() -> Any:
        async def events() -> AsyncIterator[Any]:
            yield ServerSentEvent("first", id="1")
            yield "just data"
            yield {"data": "a\nb", "event": "multi", "id": "3"}

        return EventStream(events(), retry=3000)

    response = await client.get("/feed")
    assert response.status_code == 200
    assert response.headers["content-type"] == "text/event-stream; charset=utf-8"
    assert response.headers["cache-control"] == "no-cache"
    assert response.headers["x-accel-buffering"] == "no"
    assert "content-length" not in response.headers
    assert response.text == (
        "retry: 3000\n\n"
        "data: first\nid: 1\n\n"
        "data: just data\n\n"
        "event: multi\ndata: a\ndata: b\nid: 3\n\n"
    )


async def test_a_sync_iterable_and_custom_headers(app: App, client: TestClient) -> None:
    @app.route("/list")
    def listed() -> Any:
        return EventStream(
            [ServerSentEvent("x"), "y"], headers={"Cache-Control": "no-store"}
        )

    response = await client.get("/list")
    assert response.text == "data: x\n\ndata: y\n\n"
    assert response.headers["cache-control"] == "no-store"


async def test_an_item_that_is_not_an_event_fails_the_stream_saying_why(
    app: App, client: TestClient
) -> None:
    @app.route("/bad")
    async def bad() -> Any:
        async def events() -> AsyncIterator[Any]:
            yield b"bytes are not an event"

        return EventStream(events())

    with pytest.raises(TypeError, match="not bytes"):
        await client.get("/bad")


async def test_the_source_keeps_its_own_context_changes_between_events(
    app: App, client: TestClient
) -> None:
    # With heartbeats on, each item is produced in a task of its own: they
    # share one context, so what the source sets it finds again.
    seen: ContextVar[str] = ContextVar("seen", default="unset")

    @app.route("/ctx")
    async def ctx() -> Any:
        async def events() -> AsyncIterator[str]:
            seen.set("set by the first step")
            yield "one"
            yield seen.get()

        return EventStream(events(), ping=5)

    assert (await client.get("/ctx")).text == (
        "data: one\n\ndata: set by the first step\n\n"
    )


async def test_last_event_id_comes_from_the_header_or_the_query(
    app: App, client: TestClient
) -> None:
    @app.route("/resume")
    async def resume() -> str:
        return repr(last_event_id())

    assert (await client.get("/resume")).text == "None"
    assert (await client.get("/resume?last_event_id=12")).text == "'12'"
    both = await client.get("/resume?last_event_id=12", headers={"Last-Event-ID": "9"})
    assert both.text == "'9'"  # the browser's own reconnection wins
    assert (await client.get("/resume", headers={"Last-Event-ID": ""})).text == "None"


async def test_last_event_id_in_a_websocket_reads_its_query(
    app: App, client: TestClient
) -> None:
    @app.websocket("/ws")
    async def ws() -> None:
        await websocket.accept()
        await websocket.send(repr(last_event_id("since")))

    async with client.websocket("/ws?since=1700-3") as socket:
        assert await socket.receive() == "'1700-3'"


# -- under a real uvicorn ------------------------------------------------------


@pytest.fixture
def server() -> Iterator[Server]:
    with uvicorn("tests.app_framework.apps.sse_app:app") as running:
        yield running


async def read_until(lines: AsyncIterator[str], wanted: str, seen: list[str]) -> None:
    async with asyncio.timeout(5):
        async for line in lines:
            seen.append(line)
            if line == wanted:
                return
    raise AssertionError(f"{wanted!r} never came: {seen}")


async def test_a_quiet_stream_is_pinged_then_goes_on_then_ends(server: Server) -> None:
    seen: list[str] = []
    async with httpx.AsyncClient(base_url=server.url, timeout=5) as client:
        headers = {"Last-Event-ID": "41"}
        async with client.stream("GET", "/quiet", headers=headers) as response:
            assert response.headers["content-type"].startswith("text/event-stream")
            assert response.headers["x-accel-buffering"] == "no"
            lines = response.aiter_lines()
            await read_until(lines, "data: after 41", seen)
            await read_until(lines, ": ping", seen)
            await read_until(lines, ": ping", seen)  # and again: an interval
            assert (await client.get("/release")).text == "ok"
            await read_until(lines, "data: released", seen)
            rest = [line async for line in lines]
        log = (await client.get("/log")).json()["log"]
    assert seen[:2] == ["retry: 1500", ""]
    assert rest == ["id: 2", ""]  # then the stream ended
    assert log == [["source closed", "True"], ["teardown", "NoneType"]]


async def test_a_client_leaving_a_quiet_stream_closes_its_source(
    server: Server,
) -> None:
    # The source is waiting (in its own step) when the client leaves.
    reader, writer = await asyncio.open_connection("127.0.0.1", server.port)
    writer.write(b"GET /quiet HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
    await writer.drain()
    received = b""
    async with asyncio.timeout(5):
        while b": ping" not in received:
            chunk = await reader.read(4096)
            assert chunk, "the server closed first"
            received += chunk
    writer.close()
    await writer.wait_closed()
    async with httpx.AsyncClient(base_url=server.url, timeout=10) as client:
        log = (await client.get("/log")).json()["log"]
    assert log == [["source closed", "False"], ["teardown", "ClientDisconnected"]]
