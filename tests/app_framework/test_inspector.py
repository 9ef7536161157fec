"""The signal inspector: what it records, what it hides, what it costs."""

from __future__ import annotations

import json
from typing import Any

import httpx
import pytest
from starlette.types import Message
from websockets.asyncio.client import connect as ws_connect
from websockets.exceptions import InvalidStatus
from websockets.typing import Origin

from app_framework import (
    App,
    abort,
    flash,
    render_template_string,
    signals,
    websocket,
)
from app_framework._inspector_records import MAX_EVENTS, Record, mask, summarise
from app_framework._test_requests import make_scope
from app_framework.inspector import Inspector
from app_framework.testing import TestClient, WebsocketResponseError
from tests.helpers.servers import uvicorn

REQUEST_SIGNALS = [
    "appcontext_pushed",
    "request_started",
    "request_finished",
    "request_tearing_down",
    "appcontext_tearing_down",
    "appcontext_popped",
]


@pytest.fixture
def debug_app(app: App) -> App:
    app.config["DEBUG"] = True
    return app


@pytest.fixture
def inspector(debug_app: App) -> Inspector:
    return Inspector(debug_app)


async def test_a_request_is_recorded_signal_by_signal_with_its_receivers_and_hooks(
    debug_app: App, inspector: Inspector, client: TestClient
) -> None:
    calls: list[str] = []

    def on_started(sender: App, **kwargs: Any) -> None:
        calls.append("sync")

    async def on_finished(sender: App, **kwargs: Any) -> None:
        calls.append("async")

    signals.request_started.connect(on_started, sender=debug_app)
    signals.request_finished.connect(on_finished, sender=debug_app)

    @debug_app.before_request
    def load_user() -> None:
        calls.append("before")

    @debug_app.after_request
    async def stamp(response: Any) -> Any:
        return response

    @debug_app.route("/hello")
    async def hello() -> str:
        await flash("saved", "info")
        return await render_template_string("{{ name }}", name="ada")

    with inspector.recording() as rec:
        response = await client.get("/hello")

    assert response.text == "ada"
    assert calls == ["sync", "before", "async"]  # receivers still run
    assert rec.names == [
        "appcontext_pushed",
        "request_started",
        "message_flashed",
        "before_render_template",
        "template_rendered",
        "request_finished",
        "request_tearing_down",
        "appcontext_tearing_down",
        "appcontext_popped",
    ]
    (record,) = rec.records
    assert (record.kind, record.method, record.path, record.status) == (
        "http",
        "GET",
        "/hello",
        200,
    )
    assert record.ms is not None and record.ms > 0
    kinds = [(e.kind, e.name) for e in record.events]
    # The hooks sit where they ran, between the signals.
    assert kinds.index(("hook", "before_request")) == 2
    assert kinds.index(("hook", "after_request")) < kinds.index(
        ("signal", "request_finished")
    )
    assert [e.detail for e in record.events if e.kind == "hook"][0].endswith(
        "load_user"
    )
    started = rec.signal("request_started")
    (call,) = started.receivers
    assert call.name.endswith("on_started") and not call.is_async
    assert call.outcome == "ok" and call.ms >= 0
    (call,) = rec.signal("request_finished").receivers
    assert call.is_async and call.outcome == "ok"
    assert rec.signal("message_flashed").args == {
        "message": "'saved'",
        "category": "'info'",
    }
    assert rec.signal("request_finished").args == {
        "response": "<Response 200 text/html>"
    }
    assert rec.signal("template_rendered").args["context"].startswith("{name")
    assert rec.signal("request_tearing_down").args == {"exc": "None"}


async def test_a_failing_receiver_and_an_error_handler_are_shown(
    debug_app: App, inspector: Inspector, client: TestClient
) -> None:
    def broken(sender: App, **kwargs: Any) -> None:
        raise ValueError("receiver bug")

    signals.got_request_exception.connect(broken, sender=debug_app)

    @debug_app.errorhandler(404)
    async def not_found(error: Exception) -> tuple[str, int]:
        return "gone", 404

    @debug_app.route("/missing")
    async def missing() -> str:
        abort(404)

    @debug_app.route("/boom")
    async def boom() -> str:
        raise RuntimeError("view bug")

    debug_app.config["PROPAGATE_EXCEPTIONS"] = False
    with inspector.recording() as rec:
        assert (await client.get("/missing")).status_code == 404
        assert (await client.get("/boom")).status_code == 500

    gone, failed = rec.records
    assert gone.status == 404
    assert ("hook", "errorhandler(404)") in [(e.kind, e.name) for e in gone.events]
    assert failed.status == 500
    event = [e for e in failed.events if e.name == "got_request_exception"][0]
    assert event.args == {"exception": "RuntimeError: view bug"}
    (call,) = event.receivers
    assert call.outcome == "raised ValueError: receiver bug"
    teardown = [e for e in failed.events if e.name == "request_tearing_down"][0]
    assert teardown.args == {"exc": "RuntimeError: view bug"}


async def test_a_websocket_is_one_record(
    debug_app: App, inspector: Inspector, client: TestClient
) -> None:
    @debug_app.websocket("/echo")
    async def echo() -> None:
        text = await websocket.receive_text()
        await websocket.send(f"echo {text}")

    with inspector.recording() as rec:
        async with client.websocket("/echo") as ws:
            await ws.send("x" * 500)
            assert str(await ws.receive()).startswith("echo x")

    (record,) = rec.records
    assert (record.kind, record.path, record.status) == ("websocket", "/echo", 101)
    assert rec.names[:3] == [
        "appcontext_pushed",
        "websocket_started",
        "websocket_received",
    ]
    assert "websocket_finished" in rec.names
    # A message is clipped, never kept whole.
    assert len(rec.signal("websocket_received").args["message"]) <= 80
    assert rec.signal("websocket_sent").args["data"].endswith("...")


async def test_signals_outside_a_request_are_records_of_their_own(
    debug_app: App, inspector: Inspector
) -> None:
    seen: list[str] = []

    async def on_push(sender: App, **kwargs: Any) -> None:
        seen.append("pushed")

    signals.appcontext_pushed.connect(on_push, sender=debug_app)
    with inspector.recording() as rec:
        async with debug_app.app_context():
            pass
    assert seen == ["pushed"]
    assert rec.names == [
        "appcontext_pushed",
        "appcontext_tearing_down",
        "appcontext_popped",
    ]
    assert {record.kind for record in rec.records} == {"app"}
    (call,) = rec.signal("appcontext_pushed").receivers
    assert call.is_async and call.outcome == "ok"


async def test_the_inspector_does_not_record_itself_and_serves_its_records(
    debug_app: App, inspector: Inspector, client: TestClient
) -> None:
    @debug_app.route("/")
    async def index() -> str:
        return "home"

    await client.get("/")
    page = await client.get("/_inspector/")
    assert page.status_code == 200
    assert "Signal inspector" in page.text
    assert 'const PREFIX = "/_inspector";' in page.text
    records = (await client.get("/_inspector/records")).json()
    # Newest first; the page and the JSON requests themselves are not there.
    requests = [r for r in records if r["kind"] == "http"]
    assert [r["path"] for r in requests] == ["/"]
    # (The rest are the test client's start-up: signals outside a request.)
    assert {r["kind"] for r in records[1:]} == {"app"}
    assert [e["name"] for e in requests[0]["events"] if e["kind"] == "signal"] == (
        REQUEST_SIGNALS
    )


async def test_the_live_websocket_sends_the_kept_records_then_each_new_one(
    debug_app: App, inspector: Inspector, client: TestClient
) -> None:
    @debug_app.route("/page/<name>")
    async def show(name: str) -> str:
        return name

    inspector.records.clear()  # (the test client's start-up)
    await client.get("/page/before")
    async with client.websocket("/_inspector/live") as live:
        assert json.loads(await live.receive())["path"] == "/page/before"
        await client.get("/page/after")
        record = json.loads(await live.receive())
    assert record["path"] == "/page/after"
    assert record["status"] == 200
    assert record["events"][1]["name"] == "request_started"
    assert not inspector._subscribers  # the page left: its stream is gone


async def test_the_records_kept_are_bounded(debug_app: App, client: TestClient) -> None:
    inspector = Inspector(debug_app, capacity=3)

    @debug_app.route("/<int:n>")
    async def number(n: int) -> str:
        return str(n)

    for n in range(5):
        await client.get(f"/{n}")
    assert [record.path for record in inspector.records] == ["/2", "/3", "/4"]

    record = Record("http", "GET", "/")
    for _ in range(MAX_EVENTS + 5):
        record.add(record.events[0] if record.events else _event())
    assert len(record.events) == MAX_EVENTS and record.dropped == 5


def _event() -> Any:
    from app_framework._inspector_records import Event

    return Event("signal", "x", 0.0)


def test_values_are_summarised_and_secrets_masked() -> None:
    class Account:
        def __repr__(self) -> str:
            return "Account(password='hunter2')"

    assert mask("password", "hunter2") == "***"
    assert mask("api_token", "abc") == "***"
    assert mask("session", {"user": 1}) == "***"
    assert summarise(Account()) == "<Account>"  # a repr could show anything
    assert summarise("x" * 1000) == "'" + "x" * 76 + "..."
    assert summarise({"password": "hunter2", "user": "ada"}) == "{password, user}"
    assert summarise(ValueError("bad")) == "ValueError: bad"
    assert summarise(b"\x00" * 3) == "b'\\x00\\x00\\x00'"


def test_it_is_refused_without_debug_unless_allowed(app: App) -> None:
    with pytest.raises(RuntimeError, match=r"needs DEBUG.*enabled=app.debug"):
        Inspector(app)
    assert "inspector" not in app.extensions
    first = Inspector(app, allow_without_debug=True)
    assert app.extensions["inspector"] is first
    with pytest.raises(RuntimeError, match="already has an inspector"):
        Inspector(app, allow_without_debug=True)  # would wrap everything twice


async def test_disabled_it_leaves_the_app_exactly_as_it_was(
    app: App, client: TestClient
) -> None:
    channels = app.signal_channels
    Inspector(app, enabled=app.debug)  # DEBUG is off: nothing installed
    assert app.signal_channels is channels
    assert "hooks_for" not in vars(app)
    assert "inspector" not in app.extensions
    assert not app._middleware
    assert (await client.get("/_inspector/")).status_code == 404


async def test_contexts_a_test_keeps_pushed_are_torn_down_into_their_record(
    debug_app: App, inspector: Inspector
) -> None:
    @debug_app.route("/kept")
    async def kept() -> str:
        return "kept"

    async with debug_app.test_client() as client:
        with inspector.recording() as rec:
            await client.get("/kept")  # its contexts stay pushed until the block ends
    # Popped by the client, outside the request: still the request's own.
    assert rec.names == REQUEST_SIGNALS
    assert [record.path for record in rec.records] == ["/kept"]


async def test_a_stray_send_with_a_failing_receiver_is_one_record(
    debug_app: App, inspector: Inspector
) -> None:
    def fails(sender: App, **kwargs: Any) -> None:
        raise ValueError("teardown bug")

    def after(sender: App, **kwargs: Any) -> None:
        pass

    # appcontext_tearing_down is sent robustly: both receivers run.
    signals.appcontext_tearing_down.connect(fails, sender=debug_app)
    signals.appcontext_tearing_down.connect(after, sender=debug_app)
    with inspector.recording() as rec:
        async with debug_app.app_context():
            pass
    teardowns = [r for r in rec.records if r.names == ["appcontext_tearing_down"]]
    assert len(teardowns) == 1
    calls = teardowns[0].events[0].receivers
    assert [c.outcome for c in calls] == ["raised ValueError: teardown bug", "ok"]


# -- who may open it: local hosts and same-origin pages ------------------------


@pytest.mark.parametrize("path", ["/_inspector/", "/_inspector/records"])
@pytest.mark.parametrize("host", ["attacker.example", "attacker.example:8000"])
async def test_a_foreign_host_is_refused_saying_what_to_pass(
    inspector: Inspector, client: TestClient, path: str, host: str
) -> None:
    # DNS rebinding: the attacker's name resolves to this machine.
    response = await client.get(path, headers={"host": host})
    assert response.status_code == 403
    assert "answers only on a local host" in response.text
    assert "Inspector(app, allowed_hosts=['attacker.example'])" in response.text
    assert "[{" not in response.text  # no record in the body


async def test_a_foreign_host_is_refused_on_the_websocket(
    inspector: Inspector, client: TestClient
) -> None:
    headers = {"host": "attacker.example", "origin": "http://attacker.example"}
    async with client.websocket("/_inspector/live", headers=headers) as live:
        with pytest.raises(WebsocketResponseError) as refused:
            await live.receive()
    assert refused.value.status_code == 403
    assert "allowed_hosts=['attacker.example']" in refused.value.text


@pytest.mark.parametrize(
    "origin", ["https://attacker.example", "http://localhost:8001", "null"]
)
async def test_the_websocket_refuses_a_page_of_another_origin(
    inspector: Inspector, client: TestClient, origin: str
) -> None:
    # Cross-site websocket hijacking: a page elsewhere opens the socket.
    inspector.records.append(Record("http", "GET", "/secret"))
    headers = {"host": "localhost:8000", "origin": origin}
    async with client.websocket("/_inspector/live", headers=headers) as live:
        with pytest.raises(WebsocketResponseError) as refused:
            await live.receive()
    assert refused.value.status_code == 403
    assert f"Origin {origin!r} is not 'http://localhost:8000'" in refused.value.text
    assert not inspector._subscribers


@pytest.mark.parametrize(
    "headers",
    [
        {"host": "localhost:8000", "origin": "http://localhost:8000"},
        {"host": "127.0.0.1:8123", "origin": "http://127.0.0.1:8123"},
        {"host": "localhost", "origin": "http://localhost:80"},
        {"host": "[::1]:8000", "origin": "http://[::1]:8000"},
        {"host": "app.localhost:5000"},  # no Origin: not a browser
    ],
)
async def test_the_websocket_answers_its_own_page_and_non_browser_clients(
    inspector: Inspector, client: TestClient, headers: dict[str, str]
) -> None:
    inspector.records.clear()
    inspector.records.append(Record("http", "GET", "/seen"))
    async with client.websocket("/_inspector/live", headers=headers) as live:
        assert json.loads(await live.receive())["path"] == "/seen"


@pytest.mark.parametrize(
    "host", ["127.0.0.1:8123", "127.3.2.1", "[::1]:8000", "localhost", "a.localhost"]
)
async def test_the_page_and_records_answer_every_local_host(
    inspector: Inspector, client: TestClient, host: str
) -> None:
    page = await client.get("/_inspector/", headers={"host": host})
    assert page.status_code == 200 and "Signal inspector" in page.text
    records = await client.get("/_inspector/records", headers={"host": host})
    assert records.status_code == 200 and isinstance(records.json(), list)


async def test_allowed_hosts_are_answered_too(
    debug_app: App, client: TestClient
) -> None:
    inspector = Inspector(allowed_hosts=["devbox.lan", ".tunnel.test"])
    inspector.init_app(debug_app)  # the init_app spelling keeps them
    for host in ("devbox.lan:8000", "me.tunnel.test"):
        response = await client.get("/_inspector/records", headers={"host": host})
        assert response.status_code == 200, host
    headers = {"host": "devbox.lan:8000", "origin": "http://devbox.lan:8000"}
    async with client.websocket("/_inspector/live", headers=headers) as live:
        await live.send("ping")  # accepted: the block ends without a refusal
    response = await client.get("/_inspector/", headers={"host": "devbox.other"})
    assert response.status_code == 403
    with pytest.raises(TypeError, match=r"allowed_hosts=\['devbox.lan'\]"):
        Inspector(allowed_hosts="devbox.lan")


async def test_without_a_denial_response_the_websocket_is_closed_1008(
    debug_app: App, inspector: Inspector
) -> None:
    # A server without the websocket.http.response extension.
    scope = make_scope("websocket", "/_inspector/live", "", {"host": "evil.test"})
    sent: list[Message] = []
    inbox: list[Message] = [
        {"type": "websocket.disconnect", "code": 1000},
        {"type": "websocket.connect"},
    ]

    async def receive() -> Message:
        return inbox.pop() if inbox else {"type": "websocket.disconnect"}

    async def send(message: Message) -> None:
        sent.append(message)

    await debug_app(scope, receive, send)
    assert [message["type"] for message in sent] == ["websocket.close"]
    close = sent[0]
    assert close["code"] == 1008
    assert close["reason"].startswith("The signal inspector answers only")
    assert len(close["reason"].encode()) <= 123  # fits a close frame


async def test_under_uvicorn_a_foreign_page_is_refused_and_its_own_page_served() -> (
    None
):
    with uvicorn("examples.tour:app") as server:
        async with httpx.AsyncClient() as http:
            rebound = await http.get(
                f"{server.url}/_inspector/records",
                headers={"host": f"attacker.example:{server.port}"},
            )
            assert rebound.status_code == 403
            assert "allowed_hosts=['attacker.example']" in rebound.text
        live = f"{server.ws_url}/_inspector/live"
        with pytest.raises(InvalidStatus) as refused:
            async with ws_connect(live, origin=Origin("https://attacker.example")):
                raise AssertionError("a foreign page got the records")
        assert refused.value.response.status_code == 403
        assert b"answers only its own page" in refused.value.response.body
        # What the page's script does: same origin as the page it came from.
        async with ws_connect(live, origin=Origin(server.url)) as own:
            await own.ping()
