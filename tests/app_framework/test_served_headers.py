"""Bad header values, served by a real uvicorn: a forwarded port that is
not a port is ignored, and a response header holding CR/LF is the app's
normal 500 (logged, signalled) instead of a connection dropped with no
response."""

from __future__ import annotations

import time
from collections.abc import AsyncIterator, Iterator

import anyio
import httpx
import pytest

from tests.helpers.servers import Server, uvicorn


@pytest.fixture(scope="module")
def server() -> Iterator[Server]:
    with uvicorn("tests.app_framework.apps.headers_app:app") as running:
        yield running


@pytest.fixture
async def http(server: Server) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(base_url=server.url, timeout=10) as client:
        yield client


async def test_a_forwarded_port_that_is_not_a_port_is_ignored(
    http: httpx.AsyncClient,
) -> None:
    headers = {
        b"x-forwarded-host": b"shop.example.com",
        b"x-forwarded-port": "²".encode("latin-1"),  # isdigit() is True for it
    }
    response = await http.get("/where", headers=headers)
    assert response.status_code == 200
    assert response.json() == {"host": "shop.example.com"}


@pytest.mark.parametrize("path", ["/header", "/download", "/cookie"])
async def test_a_header_with_a_line_break_is_a_500_not_a_dropped_connection(
    server: Server, http: httpx.AsyncClient, path: str
) -> None:
    response = await http.get(path, params={"value": "a\r\nSet-Cookie: evil=1"})
    assert response.status_code == 500
    assert "Internal Server Error" in response.text
    assert "evil" not in response.headers.get("set-cookie", "")
    errors = (await http.get("/errors")).json()["errors"]
    assert any("CR, LF or NUL" in error for error in errors)
    # Logged before the response was sent; the pipe is read by a thread.
    deadline = time.monotonic() + 10
    while "ValueError: The response header" not in server.text:
        assert time.monotonic() < deadline, server.text
        await anyio.sleep(0.01)
    assert (await http.get(path, params={"value": "fine.example"})).status_code == 200
