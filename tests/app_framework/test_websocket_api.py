"""The websocket proxy speaks Quart; the test client too."""

from __future__ import annotations

import dataclasses
import logging
from collections.abc import MutableMapping
from typing import Any

import anyio
import pytest

from app_framework import App, abort, session, websocket
from app_framework.sessions import Session, SessionInterface
from app_framework.testing import (
    TestClient,
    TestWebsocketConnection,
    WebsocketDisconnectError,
    WebsocketRejected,
    WebsocketResponseError,
)
from app_framework.wrappers.websocket import trim_reason


@dataclasses.dataclass
class Point:
    x: int


async def test_receive_and_send_data_accepting_implicitly(
    app: App, client: TestClient
) -> None:
    @app.websocket("/echo")
    async def echo() -> None:  # no accept(): the first receive accepts
        while True:
            data = await websocket.receive()
            await websocket.send(data if isinstance(data, bytes) else data.upper())

    async with client.websocket("/echo") as ws:
        assert isinstance(ws, TestWebsocketConnection)
        await ws.send("hi")
        assert await ws.receive() == "HI"
        await ws.send(b"\x00\xff")
        assert await ws.receive() == b"\x00\xff"


async def test_json_through_app_json_and_the_aliases(
    app: App, client: TestClient
) -> None:
    @app.websocket("/json")
    async def json_view() -> None:
        received = await websocket.receive_json()
        await websocket.send_json({"got": received, "point": Point(3)})
        await websocket.send_json(a=1)
        await websocket.send_data(await websocket.receive_data())  # Starlette-era names

    async with client.websocket("/json") as ws:
        await ws.send_json({"n": 1})
        assert await ws.receive_json() == {"got": {"n": 1}, "point": {"x": 3}}
        assert await ws.receive_json() == {"a": 1}
        await ws.send("alias")
        assert await ws.receive() == "alias"


async def test_accept_with_headers_and_a_subprotocol(
    app: App, client: TestClient
) -> None:
    @app.websocket("/proto")
    async def proto() -> None:
        offered = websocket.requested_subprotocols
        await websocket.accept(headers={"X-Room": "lobby"}, subprotocol=offered[-1])
        await websocket.accept()  # twice: nothing more happens
        await websocket.send(",".join(offered))

    async with client.websocket("/proto", subprotocols=["chat.v1", "chat.v2"]) as ws:
        assert ws.subprotocol == "chat.v2"
        assert ws.accept_headers == {"x-room": "lobby"}
        assert await ws.receive() == "chat.v1,chat.v2"


async def test_request_data_on_the_websocket(app: App, client: TestClient) -> None:
    @app.websocket("/rooms/<int:number>")
    async def room(number: int) -> None:
        await websocket.send_json(
            {
                "args": websocket.args.to_dict(),
                "header": websocket.headers.get("X-Token"),
                "cookie": websocket.cookies.get("flavour"),
                "path": websocket.path,
                "view_args": websocket.view_args,
                "endpoint": websocket.endpoint,
                "blueprint": websocket.blueprint,
                "scheme": websocket.scheme,
                "host": websocket.host,
            }
        )

    client.cookies.set("flavour", "oat")
    async with client.websocket("/rooms/7?x=1", headers={"X-Token": "t"}) as ws:
        assert await ws.receive_json() == {
            "args": {"x": "1"},
            "header": "t",
            "cookie": "oat",
            "path": "/rooms/7",
            "view_args": {"number": 7},
            "endpoint": "room",
            "blueprint": None,
            "scheme": "ws",
            "host": "localhost",
        }


async def test_close_trims_the_reason_without_splitting_a_character(
    app: App, client: TestClient
) -> None:
    reason = "ž" * 100  # 200 bytes in UTF-8

    @app.websocket("/close")
    async def close() -> None:
        await websocket.accept()
        await websocket.close(4001, reason)
        await websocket.close(4002)  # twice: nothing more happens

    async with client.websocket("/close") as ws:
        with pytest.raises(WebsocketDisconnectError) as closed:
            await ws.receive()
    assert closed.value.code == 4001
    assert closed.value.reason == "ž" * 61 and len(closed.value.reason.encode()) == 122
    assert trim_reason("a" * 123) == "a" * 123
    assert trim_reason("a" * 122 + "ž") == "a" * 122


async def test_starlettes_raw_messages_stay_reachable(
    app: App, client: TestClient
) -> None:
    @app.websocket("/raw")
    async def raw() -> None:
        await websocket.accept()
        message = await websocket.raw.receive()
        await websocket.raw.send({"type": "websocket.send", "text": message["type"]})

    async with client.websocket("/raw") as ws:
        await ws.send("x")
        assert await ws.receive() == "websocket.receive"


async def test_starlettes_typed_spellings_work(app: App, client: TestClient) -> None:
    @app.websocket("/typed")
    async def typed() -> None:
        await websocket.send_text((await websocket.receive_text()).upper())
        await websocket.send_bytes((await websocket.receive_bytes())[::-1])
        await websocket.receive_text()  # gets bytes: the client's mistake

    async with client.websocket("/typed") as ws:
        await ws.send("hi")
        assert await ws.receive() == "HI"
        await ws.send(b"ab")
        assert await ws.receive() == b"ba"
        await ws.send(b"not text")
        with pytest.raises(WebsocketDisconnectError) as closed:
            await ws.receive()
    assert (closed.value.code, closed.value.reason) == (
        1003,
        "Expected a text message.",
    )


async def test_sending_something_else_says_what_to_use(
    app: App, client: TestClient, caplog: pytest.LogCaptureFixture
) -> None:
    @app.websocket("/wrong")
    async def wrong() -> None:
        await websocket.send({"a": 1})  # type: ignore[arg-type]

    async with client.websocket("/wrong") as ws:
        with pytest.raises(WebsocketDisconnectError) as closed:
            await ws.receive()
    assert closed.value.code == 1011  # a programmer's mistake: an error
    assert "takes str or bytes, not dict; use send_json()" in caplog.text


async def test_the_session_is_read_only_and_says_why(
    app: App, client: TestClient
) -> None:
    @app.route("/login")
    async def login() -> str:
        session["user"] = "ada"
        return "ok"

    @app.websocket("/ws")
    async def ws_view() -> None:
        await websocket.send(session["user"])
        try:
            session["user"] = "bob"
        except RuntimeError as exc:
            await websocket.send(str(exc))

    await client.get("/login")
    async with client.websocket("/ws") as ws:
        assert await ws.receive() == "ada"
        assert "read-only in a websocket" in str(await ws.receive())


class _TokenStore(SessionInterface):
    """A store on the server, keyed by a header: nothing for a websocket to
    set on a response, so it can keep what a websocket changed."""

    def __init__(self) -> None:
        self.data: dict[str, dict[str, Any]] = {}
        self.saved_with: list[Any] = []

    async def open_session(self, app: App, request: Any) -> Session:
        return Session(self.data.get(request.headers.get("x-token", ""), {}))

    async def save_session(self, app: App, sess: Session, response: Any) -> None:
        self.saved_with.append(response)
        if sess.modified:
            self.data["t1"] = dict(sess)


async def test_a_server_side_session_keeps_what_a_websocket_changed(
    app: App, client: TestClient
) -> None:
    store = app.session_interface = _TokenStore()
    store.data["t1"] = {"visits": 1}

    @app.websocket("/visit")
    async def visit() -> None:
        session["visits"] += 1
        await websocket.send(str(session["visits"]))

    async with client.websocket("/visit", headers={"x-token": "t1"}) as ws:
        assert await ws.receive() == "2"
    assert store.data["t1"] == {"visits": 2}
    assert store.saved_with == [None]  # Quart's call: no response to carry a cookie


@pytest.mark.parametrize(
    ("send", "code", "reason"),
    [
        ("not json", 1007, "not valid JSON"),
        ("x" * 11, 1009, "larger than 10 bytes"),
    ],
)
async def test_bad_messages_close_with_a_code_and_are_logged_at_info(
    app: App,
    client: TestClient,
    caplog: pytest.LogCaptureFixture,
    send: str,
    code: int,
    reason: str,
) -> None:
    app.config["MAX_WEBSOCKET_MESSAGE_SIZE"] = 10
    cleaned: list[bool] = []
    torn: list[Any] = []
    app.teardown_websocket(torn.append)

    @app.websocket("/json")
    async def json_view() -> None:
        try:
            await websocket.receive_json()
        finally:
            cleaned.append(True)

    with caplog.at_level(logging.INFO):
        async with client.websocket("/json") as ws:
            await ws.send(send)
            with pytest.raises(WebsocketDisconnectError) as closed:
                await ws.receive()
    assert closed.value.code == code and reason in closed.value.reason
    assert cleaned == [True] and torn == [None]
    records = [r for r in caplog.records if reason in r.getMessage()]
    assert records and all(r.levelno == logging.INFO for r in records)
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR]


async def test_refusals_before_accept_are_http_responses(
    app: App, client: TestClient
) -> None:
    @app.websocket("/auth")
    async def auth() -> Any:
        if websocket.args.get("token") != "ok":
            abort(401, "log in first")
        await websocket.send("welcome")

    @app.websocket("/returned")
    async def returned() -> Any:
        return "not here", 404

    with pytest.raises(WebsocketResponseError) as refused:
        async with client.websocket("/auth") as ws:
            await ws.receive()
    assert refused.value.response.status_code == 401
    assert "log in first" in refused.value.text
    with pytest.raises(WebsocketResponseError) as missing:
        async with client.websocket("/returned") as ws:
            await ws.receive()
    assert (missing.value.status_code, missing.value.data) == (404, b"not here")
    async with client.websocket("/auth?token=ok") as ws:
        assert await ws.receive() == "welcome"


async def test_a_refusal_is_reported_where_quart_reports_it(
    app: App, client: TestClient
) -> None:
    @app.websocket("/auth")
    async def auth() -> None:
        abort(401, "log in first")

    # Inside the block, by receive() (a send before it goes nowhere):
    async with client.websocket("/auth") as ws:
        await ws.send("hello?")
        with pytest.raises(WebsocketResponseError) as refused:
            await ws.receive()
        assert refused.value.response.status_code == 401
    # or, when nothing received, by the end of the block:
    with pytest.raises(WebsocketResponseError):
        async with client.websocket("/auth") as ws:
            await ws.send("hello?")
    # and an error in the block is not hidden by the refusal.
    with pytest.raises(KeyError):
        async with client.websocket("/auth"):
            raise KeyError("the test's own error")


async def test_without_the_denial_extension_a_refusal_closes_with_1008(
    app: App,
) -> None:
    from app_framework._test_requests import make_scope

    @app.websocket("/auth")
    async def auth() -> None:
        abort(401, "log in first")

    scope = make_scope("websocket", "/auth", "", {"host": "x"})  # no extensions
    sent: list[dict[str, Any]] = []
    connected = False

    async def receive() -> dict[str, Any]:
        nonlocal connected
        if not connected:
            connected = True
            return {"type": "websocket.connect"}
        await anyio.sleep_forever()  # the client waits for the answer
        raise AssertionError("unreachable")

    async def send(message: MutableMapping[str, Any]) -> None:
        sent.append(dict(message))

    await app(scope, receive, send)
    assert sent[0]["type"] == "websocket.close" and sent[0]["code"] == 1008
    assert "log in first" in sent[0]["reason"]


@pytest.mark.parametrize(
    ("status", "code"), [(403, 1008), (413, 1009), (503, 1013), (500, 1011)]
)
async def test_abort_after_accept_closes_with_a_mapped_code(
    app: App, client: TestClient, status: int, code: int
) -> None:
    long_reason = "ä" * 200

    @app.websocket("/ws")
    async def ws_view() -> None:
        await websocket.send("hello")
        abort(status, long_reason)

    async with client.websocket("/ws") as ws:
        assert await ws.receive() == "hello"
        with pytest.raises(WebsocketDisconnectError) as closed:
            await ws.receive()
    assert closed.value.code == code
    assert len(closed.value.reason.encode()) <= 123


async def test_closing_before_accepting_rejects(app: App, client: TestClient) -> None:
    @app.websocket("/no")
    async def no() -> None:
        await websocket.close(1008, "no thanks")

    with pytest.raises(WebsocketRejected) as refused:
        async with client.websocket("/no") as ws:
            await ws.receive()
    assert (refused.value.code, refused.value.reason) == (1008, "no thanks")


async def test_websocket_connect_stays(app: App, client: TestClient) -> None:
    @app.websocket("/ws")
    async def ws_view() -> None:
        await websocket.send("still here")

    async with client.websocket_connect("/ws") as ws:
        assert await ws.receive() == "still here"
