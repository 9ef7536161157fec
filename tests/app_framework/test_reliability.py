"""Faults, hostile input and load: clear answers, nothing lost, nothing left."""

from __future__ import annotations

import logging
import random
from typing import Any

import anyio
import pytest

from app_framework import (
    App,
    flash,
    g,
    has_app_context,
    render_template_string,
    request,
    session,
    signals,
)
from app_framework.testing import TestClient

# signal -> what a receiver that raises there leads to
FAULTS = {
    "appcontext_pushed": 500,
    "request_started": 500,
    "before_render_template": 500,
    "template_rendered": 500,
    "message_flashed": 500,
    "request_finished": 500,
    "request_tearing_down": 200,
    "appcontext_tearing_down": 200,
    "appcontext_popped": 200,
}


@pytest.fixture
def page(app: App) -> App:
    app.testing = False  # a real server's behaviour: errors become responses

    @app.route("/page")
    async def view() -> str:
        await flash("hello")
        return await render_template_string("{{ 1 + 1 }}")

    return app


@pytest.mark.parametrize(("name", "status"), list(FAULTS.items()))
async def test_a_faulty_receiver_on_each_signal(
    page: App,
    client: TestClient,
    name: str,
    status: int,
    caplog: pytest.LogCaptureFixture,
) -> None:
    reported: list[BaseException] = []
    torn: list[str] = []

    def faulty(sender: App, **kwargs: Any) -> None:
        raise RuntimeError(f"faulty {name} receiver")

    page.teardown_request(lambda exc: torn.append("request"))
    page.teardown_appcontext(lambda exc: torn.append("appcontext"))

    def on_exception(sender: App, exception: BaseException) -> None:
        reported.append(exception)

    # The fixture's client: the request's contexts are popped before get()
    # returns, while the faulty receiver is still connected.
    with (
        getattr(signals, name).connected_to(faulty, page),
        signals.got_request_exception.connected_to(on_exception, page),
        caplog.at_level(logging.ERROR),
        anyio.fail_after(5),  # nothing hangs
    ):
        response = await client.get("/page")
    assert response.status_code == status
    assert f"faulty {name} receiver" in caplog.text  # always logged
    if status == 500:
        assert [str(e) for e in reported] == [f"faulty {name} receiver"]
        assert "faulty" not in response.text  # no details without DEBUG
    else:
        assert response.text == "2" and reported == []
    if name != "appcontext_pushed":  # that one fails before anything is pushed
        assert "appcontext" in torn
    assert not has_app_context()
    async with page.test_client() as client:  # the next request is fine
        assert (await client.get("/missing")).status_code == 404


async def test_a_faulty_got_request_exception_receiver_is_only_logged(
    page: App, caplog: pytest.LogCaptureFixture
) -> None:
    @page.route("/boom")
    async def boom() -> str:
        raise ValueError("the real problem")

    def faulty(sender: App, exception: BaseException) -> None:
        raise RuntimeError("faulty reporter")

    with signals.got_request_exception.connected_to(faulty, page):
        async with page.test_client() as client:
            response = await client.get("/boom")
    assert response.status_code == 500
    assert "faulty reporter" in caplog.text and "the real problem" in caplog.text


async def test_faulty_websocket_started_receiver_closes_1011(app: App) -> None:
    from starlette.websockets import WebSocketDisconnect

    from app_framework import websocket

    @app.websocket("/ws")
    async def ws() -> None:
        await websocket.accept()

    def faulty(sender: App) -> None:
        raise RuntimeError("bad receiver")

    with signals.websocket_started.connected_to(faulty, app):
        async with app.test_client() as client:
            from app_framework.testing import WebsocketRejected

            with pytest.raises((WebsocketRejected, WebSocketDisconnect)) as closed:
                async with client.websocket_connect("/ws") as session_:
                    await session_.receive()
    assert getattr(closed.value, "code", None) == 1011


async def test_push_failure_propagates_when_testing(
    app: App, client: TestClient
) -> None:
    def faulty(sender: App) -> None:
        raise LookupError("push failed")

    app.add_url_rule("/", "index", lambda: "ok")
    with (
        signals.appcontext_pushed.connected_to(faulty, app),
        pytest.raises(LookupError),
    ):
        await client.get("/")


async def test_thousand_concurrent_requests_are_isolated(
    app: App, client: TestClient
) -> None:
    async def on_started(sender: App) -> None:
        await anyio.sleep(random.random() / 500)
        g.n = request.headers["x-n"]

    async def on_finished(sender: App, response: Any) -> None:
        await anyio.sleep(random.random() / 500)
        assert request.headers["x-n"] == g.n

    @app.route("/mine")
    async def mine() -> dict[str, str]:
        session["n"] = request.headers["x-n"]
        await anyio.sleep(random.random() / 500)
        return {"header": request.headers["x-n"], "g": g.n, "session": session["n"]}

    results: dict[int, Any] = {}

    async def one(n: int) -> None:
        response = await client.get("/mine", headers={"x-n": str(n)})
        results[n] = response.json()

    with (
        signals.request_started.connected_to(on_started, app),
        signals.request_finished.connected_to(on_finished, app),
    ):
        async with anyio.create_task_group() as group:
            for n in range(1000):
                group.start_soon(one, n)
    assert len(results) == 1000
    for n, seen in results.items():
        assert seen == {"header": str(n), "g": str(n), "session": str(n)}


@pytest.fixture
def forms(app: App) -> App:
    app.testing = False

    @app.route("/form", methods=["POST"])
    async def form() -> dict[str, Any]:
        data = await request.form
        return {key: str(value) for key, value in data.items()}

    @app.route("/echo")
    async def echo() -> dict[str, Any]:
        return {"x": request.args.get("x"), "session": dict(session)}

    @app.route("/thing", methods=["GET", "POST"])
    async def thing() -> str:
        return "thing"

    return app


MALFORMED_MULTIPART = (
    b'--b\r\nContent-Disposition: form-data; name="a"\r\n\r\n1\r\n--b'
    b"\r\nContent-Disposition: nonsense\r\n\r\n2\r\n--b--\r\n"
)


@pytest.mark.parametrize(
    ("method", "path", "kwargs", "status", "text"),
    [
        (
            "POST",
            "/form",
            {
                "content": MALFORMED_MULTIPART,
                "headers": {"content-type": "multipart/form-data; boundary=b"},
            },
            400,
            "400 Bad Request",
        ),
        (
            "POST",
            "/form",
            {"content": b"x", "headers": {"content-type": "multipart/form-data"}},
            400,
            "400 Bad Request",
        ),
        ("GET", "/%ff%fe", {}, 404, "was not found"),
        ("GET", "/echo?x=%ff%fe", {}, 200, '"x":"'),
        (
            "GET",
            "/echo",
            {"headers": {"cookie": "session=" + "A" * 8000}},
            200,
            '"session":{}',
        ),
        ("BREW", "/thing", {}, 405, "The method BREW is not allowed"),
    ],
)
async def test_hostile_input_gets_a_clear_answer(
    forms: App, method: str, path: str, kwargs: dict[str, Any], status: int, text: str
) -> None:
    async with forms.test_client() as client:
        response = await client.request(method, path, **kwargs)
        assert response.status_code == status, response.text
        assert text in response.text
        if status == 405:
            assert response.headers["allow"] == "GET, HEAD, OPTIONS, POST"
        assert (await client.get("/thing")).text == "thing"  # still serving
