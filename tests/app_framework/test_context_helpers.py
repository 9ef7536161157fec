"""after_this_request, copy_current_*_context, stream_with_context, and a
flash that is never lost."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import anyio
import pytest

from app_framework import (
    App,
    Response,
    after_this_request,
    copy_current_app_context,
    copy_current_request_context,
    copy_current_websocket_context,
    current_app,
    flash,
    g,
    get_flashed_messages,
    request,
    session,
    signals,
    stream_with_context,
    websocket,
)
from app_framework.testing import TestClient


async def test_after_this_request_runs_before_the_after_request_hooks(
    app: App, client: TestClient
) -> None:
    order: list[str] = []

    @app.after_request
    def hook(response: Response) -> Response:
        order.append("after_request")
        return response

    @app.route("/")
    async def index() -> str:
        @after_this_request
        def first(response: Response) -> Response:
            order.append("first")
            response.headers["X-Once"] = "1"
            return response

        @after_this_request
        async def second(response: Response) -> Response:
            order.append("second")
            return response

        return "ok"

    app.add_url_rule("/plain", "plain", lambda: "plain")
    response = await client.get("/")
    assert response.headers["x-once"] == "1"
    assert order == ["first", "second", "after_request"]
    order.clear()
    assert "x-once" not in (await client.get("/plain")).headers  # this request only
    assert order == ["after_request"]


async def test_quart_s_name_for_the_after_this_request_list(app: App) -> None:
    def stamp(response: Response) -> Response:
        response.headers["X-Stamp"] = "1"
        return response

    async with app.test_request_context("/parcel") as ctx:
        after_this_request(stamp)
        assert ctx._after_request_functions == [stamp]
        assert ctx._after_request_functions is ctx.after_request_funcs


async def test_after_this_request_outside_a_request_says_so(app: App) -> None:
    async with app.app_context():
        with pytest.raises(RuntimeError, match="outside of request context"):
            after_this_request(lambda response: response)


async def test_copied_request_context_in_a_thread_and_a_task(
    app: App, client: TestClient
) -> None:
    @app.route("/")
    async def index() -> dict[str, Any]:
        g.user = "ada"
        session["cart"] = 3

        @copy_current_request_context
        def in_thread() -> str:
            return f"{request.path} {g.user} {session['cart']}"

        @copy_current_request_context
        async def in_task(results: list[str]) -> None:
            await anyio.lowlevel.checkpoint()
            results.append(f"{request.args['q']} {current_app.name}")

        results: list[str] = []
        async with anyio.create_task_group() as group:
            group.start_soon(in_task, results)
        return {"thread": await anyio.to_thread.run_sync(in_thread), "task": results}

    response = await client.get("/?q=hello")
    assert response.json == {"thread": "/ ada 3", "task": ["hello test_app"]}


async def test_copied_app_context_and_the_errors(app: App) -> None:
    async with app.app_context():
        g.value = 7

        @copy_current_app_context
        def read() -> int:
            return int(g.value)

        with pytest.raises(RuntimeError, match="outside of request context"):
            copy_current_request_context(read)
    assert await anyio.to_thread.run_sync(read) == 7  # after the context ended
    async with app.test_request_context("/"):
        with pytest.raises(RuntimeError, match="use copy_current_request_context"):
            copy_current_websocket_context(read)


async def test_copied_websocket_context(app: App, client: TestClient) -> None:
    @app.websocket("/ws")
    async def ws() -> None:
        await websocket.accept()

        @copy_current_websocket_context
        def path() -> str:
            return str(websocket.path)

        with pytest.raises(RuntimeError, match="use copy_current_websocket_context"):
            copy_current_request_context(path)
        await websocket.send_data(await anyio.to_thread.run_sync(path))

    async with client.websocket_connect("/ws") as conn:
        assert await conn.receive() == "/ws"


async def test_stream_with_context_is_kept_for_flask_code(
    app: App, client: TestClient
) -> None:
    @app.route("/")
    def index() -> Iterator[str]:
        @stream_with_context
        def generate() -> Iterator[str]:
            yield "path="
            yield request.path

        return generate()

    assert (await client.get("/")).text == "path=/"
    assert stream_with_context(index) is index


async def test_stream_with_context_needs_a_request_for_a_generator(
    app: App,
) -> None:
    def countdown() -> Iterator[str]:
        yield from ("3", "2", "1")

    outside = countdown()
    with pytest.raises(RuntimeError, match=r"^Working outside of request context\."):
        stream_with_context(outside)
    async with app.app_context():
        with pytest.raises(RuntimeError, match="outside of request context"):
            stream_with_context(countdown())
    # As a decorator it is applied at import time, outside any request.
    assert stream_with_context(countdown) is countdown
    async with app.test_request_context("/"):
        inside = countdown()
        assert stream_with_context(inside) is inside


async def test_a_flash_not_awaited_is_stored_and_sent(
    app: App, client: TestClient
) -> None:
    heard: list[str] = []

    def on_flash(sender: App, message: str, category: str) -> None:
        heard.append(message)

    @app.route("/save")
    async def save() -> str:
        flash("saved (Flask's spelling)")
        await flash("saved (Quart's spelling)", "info")
        return "ok"

    @app.route("/show")
    async def show() -> dict[str, Any]:
        return {"messages": get_flashed_messages(with_categories=True)}

    with signals.message_flashed.connected_to(on_flash, app):
        await client.get("/save")
    # Flask's spelling is heard too: a ported app's receivers never go quiet.
    assert heard == ["saved (Flask's spelling)", "saved (Quart's spelling)"]
    assert (await client.get("/show")).json == {
        "messages": [
            ["message", "saved (Flask's spelling)"],
            ["info", "saved (Quart's spelling)"],
        ]
    }


async def test_flask_s_flash_in_a_sync_view_reaches_async_receivers(
    app: App, client: TestClient
) -> None:
    heard: list[tuple[str, str]] = []

    def sync_receiver(sender: App, message: str, category: str) -> None:
        heard.append(("sync", message))

    async def async_receiver(sender: App, message: str, category: str) -> None:
        await anyio.lowlevel.checkpoint()
        heard.append(("async", message))

    @app.route("/save", methods=["POST"])
    def save() -> str:  # a Flask view, unchanged: runs in a worker thread
        flash("saved")
        return "ok"

    with (
        signals.message_flashed.connected_to(sync_receiver, app),
        signals.message_flashed.connected_to(async_receiver, app),
    ):
        assert (await client.post("/save")).text == "ok"
    assert heard == [("sync", "saved"), ("async", "saved")]


async def test_an_unawaited_flash_with_async_receivers_says_to_await(
    app: App, client: TestClient
) -> None:
    async def async_receiver(sender: App, message: str, category: str) -> None:
        pass

    @app.route("/save")
    async def save() -> str:
        flash("saved")  # forgot 'await' in an async view
        return "ok"

    with (
        signals.message_flashed.connected_to(async_receiver, app),
        pytest.raises(RuntimeError, match=r"write 'await flash\(\.\.\.\)'"),
    ):
        await client.get("/save")
