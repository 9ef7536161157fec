"""Thousands of requests leave memory flat and nothing pushed."""

from __future__ import annotations

import gc
import sys
from collections.abc import MutableMapping
from typing import Any

import anyio
import pytest

from app_framework import App, g, has_app_context, session, signals

REQUESTS = 5_000


async def test_requests_keep_memory_flat(
    app: App, monkeypatch: pytest.MonkeyPatch
) -> None:
    app.testing = False
    # pytest keeps every captured log record (with its traceback) in memory,
    # which would look like a leak; the errors still take the logging path.
    monkeypatch.setattr(app.logger, "disabled", True)

    @app.route("/work/<int:n>")
    async def work(n: int) -> dict[str, Any]:
        g.n = n
        session["n"] = n
        if n % 100 == 0:
            raise ValueError("an occasional error")
        return {"n": n}

    async def receiver(sender: App, **kwargs: Any) -> None:
        await anyio.lowlevel.checkpoint()

    async with app.test_client() as client:

        async def batch(start: int, count: int) -> None:
            for n in range(start, start + count):
                response = await client.get(f"/work/{n}")
                if response.status_code != (500 if n % 100 == 0 else 200):
                    raise AssertionError(response.text)

        with (
            signals.request_started.connected_to(receiver, app),
            signals.request_tearing_down.connected_to(receiver, app),
        ):
            await batch(0, 1_000)  # warm-up
            gc.collect()
            # Live allocator blocks: free to count (tracemalloc would triple
            # the run time), and what CPython itself hunts leaks with.
            before = sys.getallocatedblocks()
            await batch(1_000, REQUESTS)
            gc.collect()
            growth = sys.getallocatedblocks() - before
    assert not has_app_context()
    # Leaking one object every ten requests would add REQUESTS / 10 blocks.
    assert growth < REQUESTS // 10, f"{growth} more memory blocks are in use"


async def _serve_like_uvicorn(app: App, path: str) -> list[Any]:
    """One request, sent to a ``send`` that copies the current context on
    the response's last message, as uvicorn's keep-alive timer does; the
    copies are returned."""
    import contextvars

    from app_framework._test_requests import make_scope

    copies: list[Any] = []

    async def receive() -> dict[str, Any]:
        return {"type": "http.request", "body": b"", "more_body": False}

    async def send(message: MutableMapping[str, Any]) -> None:
        if message["type"] == "http.response.body" and not message.get("more_body"):
            copies.append(contextvars.copy_context())

    scope = make_scope("http", path, "", {"host": "localhost"})
    scope["method"] = "GET"
    await app(scope, receive, send)
    return copies


@pytest.mark.parametrize("path", ["/plain", "/streamed", "/starlette"])
async def test_a_context_the_server_copies_does_not_keep_the_request_alive(
    app: App, path: str
) -> None:
    """A copy still holding the request would keep all its objects alive
    until the connection's next request, and with many keep-alive
    connections the collector then runs over and over (the p99 spikes that
    SECRET_KEY caused)."""
    import weakref

    from starlette.responses import PlainTextResponse

    from app_framework import request, stream_with_context
    from app_framework._contextvars import _cv_app, _cv_request

    app.config["SECRET_KEY"] = "k" * 32
    kept: list[Any] = []

    @app.route("/plain")
    async def plain() -> str:
        kept.append(weakref.ref(request._get_current_object()))
        return str(session.get("n"))

    @app.route("/streamed")
    async def streamed() -> Any:
        kept.append(weakref.ref(request._get_current_object()))

        @stream_with_context
        async def body() -> Any:
            yield request.path  # the request is there while streaming

        return body()

    @app.route("/starlette")
    async def starlette() -> Any:
        kept.append(weakref.ref(request._get_current_object()))
        return PlainTextResponse("from Starlette")

    gc.disable()  # freed by reference counting alone, or the test fails
    try:
        [copy] = await _serve_like_uvicorn(app, path)
        assert copy.run(_cv_request.get, None) is None
        assert copy.run(_cv_app.get, None) is None
        assert kept[0]() is None
    finally:
        gc.enable()
