"""Streamed responses whose client leaves, under a real uvicorn: the body's
iterator is closed, the request is torn down with ClientDisconnected, the
worker keeps serving, and SIGTERM ends the server at once."""

from __future__ import annotations

import asyncio
import signal
import time
from collections.abc import Iterator

import httpx
import pytest

from tests.helpers.servers import Server, uvicorn


@pytest.fixture
def server() -> Iterator[Server]:
    with uvicorn("tests.app_framework.apps.stream_app:app") as running:
        yield running


async def read_some_then_leave(server: Server, path: str, at_least: int) -> None:
    """GET ``path``, read ``at_least`` bytes of the response, then close
    the connection as a browser tab that is closed does."""
    reader, writer = await asyncio.open_connection("127.0.0.1", server.port)
    writer.write(f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n".encode())
    await writer.drain()
    received = 0
    while received < at_least:
        chunk = await asyncio.wait_for(reader.read(65536), 10)
        assert chunk, "the server closed first"
        received += len(chunk)
    writer.close()
    await writer.wait_closed()


async def events_after_teardown(server: Server) -> list[list[str]]:
    async with httpx.AsyncClient(timeout=15) as client:
        response = await client.get(f"{server.url}/events-seen")
    events: list[list[str]] = response.json()["events"]
    return events


async def test_an_event_stream_whose_client_left_is_closed_and_torn_down(
    server: Server,
) -> None:
    await read_some_then_leave(server, "/sse", at_least=100)
    events = await events_after_teardown(server)
    # The generator's finally ran, then the teardown, told why.
    assert events == [
        ["sse closed", "True"],
        ["teardown", "/sse", "ClientDisconnected"],
    ]


async def test_a_stream_that_never_awaits_does_not_freeze_the_worker(
    server: Server,
) -> None:
    await read_some_then_leave(server, "/busy", at_least=1_000_000)
    async with httpx.AsyncClient(timeout=5) as client:
        assert (await client.get(f"{server.url}/health")).text == "ok"
    events = await events_after_teardown(server)
    busy = [event for event in events if event[-1] != "NoneType"]  # /health's
    assert busy == [["busy closed"], ["teardown", "/busy", "ClientDisconnected"]]


async def test_a_sync_stream_with_context_whose_client_left_is_closed(
    server: Server,
) -> None:
    await read_some_then_leave(server, "/report?prefix=line", at_least=200_000)
    events = await events_after_teardown(server)
    # Its finally ran in the request (request.path still works there).
    assert events == [
        ["report closed", "/report"],
        ["teardown", "/report", "ClientDisconnected"],
    ]


async def test_sigterm_after_a_client_left_a_stream_stops_the_server(
    server: Server,
) -> None:
    await read_some_then_leave(server, "/sse", at_least=100)
    started = time.monotonic()
    # uvicorn ends by re-raising the SIGTERM it caught; a hang would be
    # ended by stop() with SIGKILL after 15 s.
    assert server.stop() == -signal.SIGTERM
    assert time.monotonic() - started < 5
    assert "Finished server process" in server.text
    assert "Waiting for background tasks" not in server.text
