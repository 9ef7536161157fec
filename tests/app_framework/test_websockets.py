"""Websockets, background tasks and the serving signals."""

from __future__ import annotations

import threading
from typing import Any

import anyio
import pytest
from starlette.websockets import WebSocketDisconnect

from app_framework import (
    App,
    Blueprint,
    abort,
    g,
    has_request_context,
    request,
    session,
    signals,
    url_for,
    websocket,
)
from app_framework.testing import TestClient, WebsocketRejected, WebsocketResponseError

from .conftest import Trace

WS_SIGNALS = [
    "appcontext_pushed",
    "websocket_started",
    "websocket_received",
    "websocket_sent",
    "websocket_finished",
    "got_websocket_exception",
    "websocket_tearing_down",
    "appcontext_tearing_down",
    "appcontext_popped",
]


@pytest.fixture
def chat(app: App) -> App:
    @app.websocket("/ws/<room>")
    async def room(room: str) -> None:
        await websocket.accept()
        g.room = room
        while True:
            message = await websocket.receive_data()
            text = message if isinstance(message, str) else message.decode()
            if text == "bye":
                break
            await websocket.send_data(f"{g.room}: {text}")

    return app


async def test_echo_and_signal_order(chat: App, client: TestClient) -> None:
    trace = Trace(chat, WS_SIGNALS, async_first=True)
    async with client.websocket_connect("/ws/lobby") as ws:
        await ws.send("hello")
        assert await ws.receive() == "lobby: hello"
        await ws.send("bye")
        with pytest.raises(WebSocketDisconnect) as closed:
            await ws.receive()
    assert closed.value.code == 1000
    assert trace.names == [
        "appcontext_pushed",
        "websocket_started",
        "websocket_received",
        "websocket_sent",
        "websocket_received",
        "websocket_finished",
        "websocket_tearing_down",
        "appcontext_tearing_down",
        "appcontext_popped",
    ]
    assert trace.events[2] == ("websocket_received", {"message": "hello"})
    assert trace.events[3] == ("websocket_sent", {"data": "lobby: hello"})
    assert trace.kwargs("websocket_tearing_down") == {"exc": None}


async def test_client_leaving_ends_the_view_normally(
    chat: App, client: TestClient
) -> None:
    trace = Trace(chat, WS_SIGNALS, async_first=True)
    async with client.websocket_connect("/ws/a") as ws:
        await ws.send("x")
        assert await ws.receive() == "a: x"
    assert "got_websocket_exception" not in trace.names
    assert trace.names[-4:] == [
        "websocket_finished",
        "websocket_tearing_down",
        "appcontext_tearing_down",
        "appcontext_popped",
    ]


async def test_unhandled_error_closes_with_1011(app: App, client: TestClient) -> None:
    trace = Trace(app, WS_SIGNALS, async_first=True)
    torn: list[Any] = []
    error = ValueError("broken socket view")

    @app.teardown_websocket
    def teardown(exc: BaseException | None) -> None:
        torn.append(exc)

    @app.websocket("/ws")
    async def broken() -> None:
        await websocket.accept()
        await websocket.receive_data()
        raise error

    async with client.websocket_connect("/ws") as ws:
        await ws.send("boom")
        with pytest.raises(WebSocketDisconnect) as closed:
            await ws.receive()
    assert closed.value.code == 1011
    assert trace.kwargs("got_websocket_exception") == {"exception": error}
    assert trace.kwargs("websocket_tearing_down") == {"exc": error}
    assert trace.kwargs("appcontext_tearing_down") == {"exc": error}
    assert "websocket_finished" not in trace.names
    assert torn == [error]


async def test_unknown_route_and_abort_refuse(app: App, client: TestClient) -> None:
    @app.websocket("/private")
    async def private() -> None:
        abort(403, "members only")

    with pytest.raises(WebsocketResponseError) as missing:
        async with client.websocket_connect("/nowhere") as ws:
            await ws.receive()
    assert missing.value.status_code == 404
    with pytest.raises(WebsocketResponseError) as denied:
        async with client.websocket_connect("/private") as ws:
            await ws.receive()
    assert denied.value.status_code == 403 and "members only" in denied.value.text


async def test_before_websocket_can_refuse_and_sees_g(
    app: App, client: TestClient
) -> None:
    @app.before_websocket
    def check_token() -> str | None:
        g.token = websocket.args.get("token")
        return None if g.token == "ok" else "bad token"

    @app.websocket("/ws")
    async def ws_view() -> None:
        await websocket.accept()
        await websocket.send_json({"token": g.token, "path": websocket.path})

    with pytest.raises(WebsocketResponseError) as refused:
        async with client.websocket_connect("/ws?token=no") as ws:
            await ws.receive()
    assert (refused.value.status_code, refused.value.text) == (403, "bad token")
    async with client.websocket_connect("/ws?token=ok") as ws:
        assert await ws.receive_json() == {"token": "ok", "path": "/ws"}


async def test_error_handlers_apply_to_websockets(app: App, client: TestClient) -> None:
    class Full(Exception):
        pass

    @app.errorhandler(Full)
    async def room_full(exc: Full) -> None:
        await websocket.close(4000, "room is full")

    @app.websocket("/ws")
    async def ws_view() -> None:
        await websocket.accept()
        raise Full

    async with client.websocket_connect("/ws") as ws:
        with pytest.raises(WebSocketDisconnect) as closed:
            await ws.receive()
    assert (closed.value.code, closed.value.reason) == (4000, "room is full")


async def test_websocket_on_blueprint_with_session_and_url_for(
    app: App, client: TestClient
) -> None:
    rooms = Blueprint("rooms", __name__, url_prefix="/rooms")
    hooks: list[str] = []

    @rooms.before_websocket
    def rooms_only() -> None:
        hooks.append("rooms before")

    @rooms.websocket("/<int:number>")
    async def numbered(number: int) -> None:
        await websocket.accept()
        await websocket.send_json(
            {
                "number": number,
                "user": session.get("user"),
                "url": url_for(".numbered", number=number + 1),
                "blueprint": websocket.blueprint,
                "has_request": has_request_context(),
            }
        )
        await websocket.send_data(b"\x00binary")

    app.register_blueprint(rooms)

    @app.route("/login")
    async def login() -> str:
        session["user"] = "alice"
        return "ok"

    await client.get("/login")
    async with client.websocket_connect("/rooms/7") as ws:
        assert await ws.receive_json() == {
            "number": 7,
            "user": "alice",
            "url": "/rooms/8",
            "blueprint": "rooms",
            "has_request": False,
        }
        assert await ws.receive() == b"\x00binary"
    assert hooks == ["rooms before"]


async def test_request_proxy_in_a_websocket_says_so(
    app: App, client: TestClient
) -> None:
    @app.websocket("/ws")
    async def ws_view() -> None:
        await websocket.accept()
        try:
            request.path  # noqa: B018
        except RuntimeError as exc:
            await websocket.send_data(str(exc))

    async with client.websocket_connect("/ws") as ws:
        assert "use 'websocket'" in str(await ws.receive())


def test_websocket_views_must_be_async(app: App) -> None:
    with pytest.raises(TypeError, match="must be an async function"):
        app.add_url_rule("/ws", "ws", lambda: None, websocket=True)


async def test_cancelled_websocket_tears_down(chat: App) -> None:
    trace = Trace(chat, WS_SIGNALS, async_first=True)
    with anyio.move_on_after(0.05):
        async with chat.test_client() as client, client.websocket_connect("/ws/x"):
            await anyio.sleep_forever()
    assert trace.names.count("websocket_tearing_down") == 1
    assert trace.names[-1] == "appcontext_popped"


async def test_background_task_runs_after_the_response_without_the_request(
    app: App,
) -> None:
    ran: list[Any] = []
    finished = anyio.Event()

    async def work(n: int, *, label: str) -> None:
        g.mine = "background g"
        ran.append((n, label, has_request_context(), g.mine, g.get("view")))
        finished.set()

    @app.route("/")
    async def index() -> str:
        g.view = "view g"
        app.add_background_task(work, 1, label="async")
        ran.append("response built")
        return "ok"

    async with app.test_client() as client:
        assert (await client.get("/")).text == "ok"
        with anyio.fail_after(5):
            await finished.wait()
    assert ran == ["response built", (1, "async", False, "background g", None)]


async def test_sync_background_task_runs_in_a_thread(app: App) -> None:
    threads: list[int] = []
    async with app.test_client():
        app.add_background_task(lambda: threads.append(threading.get_ident()))
    assert threads and threads[0] != threading.get_ident()


async def test_shutdown_waits_for_background_tasks(app: App) -> None:
    done: list[str] = []

    async def slow() -> None:
        await anyio.sleep(0.05)
        done.append("slow finished")

    async with app.test_client():
        app.add_background_task(slow)
        assert len(app.background) == 1
    assert done == ["slow finished"]
    assert len(app.background) == 0


async def test_shutdown_cancels_tasks_past_the_timeout(
    app: App, caplog: pytest.LogCaptureFixture
) -> None:
    app.config["BACKGROUND_TASK_SHUTDOWN_TIMEOUT"] = 0.05
    cancelled: list[bool] = []

    async def forever() -> None:
        try:
            await anyio.sleep_forever()
        except BaseException:
            cancelled.append(True)
            raise

    async with app.test_client():
        app.add_background_task(forever)
    assert cancelled == [True]
    assert "Cancelling Background task" in caplog.text


async def test_background_exception_is_signalled_and_logged(
    app: App, caplog: pytest.LogCaptureFixture
) -> None:
    seen: list[Any] = []
    error = KeyError("background bug")

    async def fails() -> None:
        raise error

    def on_error(sender: App, exception: BaseException) -> None:
        seen.append(exception)

    with signals.got_background_exception.connected_to(on_error, app):
        async with app.test_client():
            app.add_background_task(fails)
    assert seen == [error]
    assert "Background task" in caplog.text


async def test_serving_signals(app: App) -> None:
    trace = Trace(app, ["serving_started", "serving_stopping"], async_first=True)
    order: list[str] = []
    app.before_serving(lambda: order.append("before_serving"))
    app.after_serving(lambda: order.append("after_serving"))
    async with app.test_client():
        order.append("serving")
    assert order == ["before_serving", "serving", "after_serving"]
    assert trace.names == ["serving_started", "serving_stopping"]


@pytest.mark.parametrize("phase", ["before_serving", "after_serving"])
async def test_got_serving_exception(app: App, phase: str) -> None:
    seen: list[Any] = []
    error = ConnectionError("no database")

    def broken() -> None:
        raise error

    getattr(app, phase)(broken)
    with signals.got_serving_exception.connected_to(
        lambda sender, exception: seen.append(exception), app
    ):
        with pytest.raises(ConnectionError):
            async with app.test_client():
                pass
    assert seen == [error]


def test_cli_lists_every_signal() -> None:
    import io

    from app_framework import App as AppClass
    from app_framework.cli import print_signals
    from app_framework.signals import all_signals

    out = io.StringIO()
    print_signals(AppClass("x"), out)
    assert len(all_signals()) == 20
    for name in ("websocket_sent", "serving_stopping", "got_background_exception"):
        assert f"{name}: " in out.getvalue()


async def test_a_faulty_appcontext_pushed_receiver_closes_with_1011(
    app: App, client: TestClient, caplog: pytest.LogCaptureFixture
) -> None:
    @app.websocket("/ws")
    async def hello() -> None:
        await websocket.accept()
        await websocket.send_data("hello")

    def faulty(sender: App) -> None:
        raise RuntimeError("faulty pushed receiver")

    app.testing = False  # as served: errors are answered, not propagated
    with signals.appcontext_pushed.connected_to(faulty, app):
        with pytest.raises(WebsocketRejected) as refused:
            async with client.websocket_connect("/ws") as ws:
                await ws.receive()
    assert refused.value.code == 1011
    assert "faulty pushed receiver" in caplog.text
    async with client.websocket_connect("/ws") as ws:  # works once it is gone
        assert await ws.receive() == "hello"


async def test_json_both_ways_and_the_wrong_proxy(app: App, client: TestClient) -> None:
    @app.websocket("/json")
    async def echo() -> None:
        await websocket.accept()
        data = await websocket.receive_json()
        with pytest.raises(RuntimeError, match="use 'websocket', not 'request'"):
            request.method  # noqa: B018 - the access is what is tested
        current = websocket._get_current_object()
        await current.send_json({"echo": data, "real": type(current).__name__})

    async with client.websocket_connect("/json") as ws:
        await ws.send_json({"n": 1})
        assert await ws.receive_json() == {"echo": {"n": 1}, "real": "Websocket"}


async def test_the_websocket_proxy_in_an_http_request_says_which_to_use(
    app: App, client: TestClient
) -> None:
    @app.route("/page")
    async def page() -> str:
        with pytest.raises(RuntimeError, match="use 'request', not 'websocket'"):
            websocket.path  # noqa: B018 - the access is what is tested
        return request._get_current_object().path

    assert (await client.get("/page")).text == "/page"
