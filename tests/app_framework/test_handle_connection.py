"""``app.handle_request(request)`` and ``app.handle_websocket(websocket)``,
Quart's steps for a connection built by hand: the whole lifecycle in a
request context of its own, the response returned rather than sent."""

from __future__ import annotations

import asyncio
from typing import Any, cast

import pytest
from werkzeug.datastructures import Headers

from app_framework import App, g, request, websocket
from app_framework.wrappers import Websocket


class Boom(Exception):
    pass


def built(app: App, path: str) -> Any:
    return app.request_class(
        "GET", "http", path, b"q=7", Headers(), "", "1.1", {"type": "http"}
    )


async def test_the_response_comes_back_with_every_hook_run() -> None:
    app = App(__name__)
    calls: list[str] = []

    @app.before_request
    async def remember() -> None:
        g.seen = request.args["q"]

    @app.get("/number")
    async def number() -> str:
        return f"number {g.seen}"

    @app.after_request
    async def stamp(response: Any) -> Any:
        response.headers["X-Stamped"] = "yes"
        return response

    @app.teardown_request
    async def finish(exc: BaseException | None) -> None:
        calls.append("torn down")

    response = await app.handle_request(built(app, "/number"))
    assert response.status_code == 200
    assert await cast("Any", response).get_data() == b"number 7"
    assert response.headers["X-Stamped"] == "yes"
    assert calls == ["torn down"]
    missing = await app.handle_request(built(app, "/nowhere"))
    assert missing.status_code == 404


async def test_errors_are_handled_unless_they_propagate() -> None:
    app = App(__name__)

    @app.get("/fail")
    async def fail() -> str:
        raise Boom()

    assert (await app.handle_request(built(app, "/fail"))).status_code == 500
    app.testing = True
    with pytest.raises(Boom):
        await app.handle_request(built(app, "/fail"))

    @app.get("/cancelled")
    async def cancelled() -> str:
        raise asyncio.CancelledError()

    with pytest.raises(asyncio.CancelledError):
        await app.handle_request(built(app, "/cancelled"))


async def test_a_built_websocket_is_served() -> None:
    app = App(__name__)
    sent: list[dict[str, Any]] = []
    incoming: asyncio.Queue[dict[str, Any]] = asyncio.Queue()
    for message in (
        {"type": "websocket.connect"},
        {"type": "websocket.receive", "text": "ping"},
    ):
        incoming.put_nowait(message)

    @app.websocket("/echo")
    async def echo() -> None:
        await websocket.accept()
        text = await websocket.receive()
        await websocket.send(f"{text!s} back")

    async def send(message: dict[str, Any]) -> None:
        sent.append(message)
        if message["type"] == "websocket.close":
            incoming.put_nowait({"type": "websocket.disconnect", "code": 1000})

    scope = {"type": "websocket", "path": "/echo", "headers": [], "query_string": b""}
    connection = Websocket(scope, incoming.get, send, app)
    await app.handle_websocket(connection)
    assert [m["type"] for m in sent][:2] == ["websocket.accept", "websocket.send"]
    assert sent[1]["text"] == "ping back"
