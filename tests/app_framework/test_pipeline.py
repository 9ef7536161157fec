"""The request lifecycle: order, errors, signals, teardown, isolation."""

from __future__ import annotations

import logging
import random
import threading
from collections.abc import AsyncIterator, Iterator
from typing import Any

import anyio
import anyio.lowlevel
import pytest
from starlette.types import Message

from app_framework import (
    App,
    Response,
    abort,
    current_app,
    g,
    has_app_context,
    request,
    signals,
    stream_request_body,
)
from app_framework.exceptions import ClientDisconnected
from app_framework.testing import TestClient, make_scope

from .conftest import Trace

REQUEST_SIGNALS = [
    "appcontext_pushed",
    "request_started",
    "request_finished",
    "got_request_exception",
    "request_tearing_down",
    "appcontext_tearing_down",
    "appcontext_popped",
]


@pytest.fixture
def trace(app: App) -> Trace:
    trace = Trace(app, REQUEST_SIGNALS)

    @app.before_request
    def before() -> None:
        trace.events.append("before_request")

    @app.after_request
    async def after(response: Response) -> Response:
        trace.events.append("after_request")
        return response

    @app.teardown_request
    def teardown_request(exc: BaseException | None) -> None:
        trace.events.append(("teardown_request", {"exc": exc}))

    @app.teardown_appcontext
    async def teardown_appcontext(exc: BaseException | None) -> None:
        trace.events.append(("teardown_appcontext", {"exc": exc}))

    return trace


GOOD_ORDER = [
    "appcontext_pushed",
    "request_started",
    "before_request",
    "view",
    "after_request",
    "request_finished",
    "teardown_request",
    "request_tearing_down",
    "teardown_appcontext",
    "appcontext_tearing_down",
    "appcontext_popped",
]


async def test_order_for_a_good_request(
    app: App, trace: Trace, client: TestClient
) -> None:
    @app.route("/")
    async def index() -> str:
        trace.events.append("view")
        return "ok"

    trace.events.clear()  # the lifespan's own app context
    response = await client.get("/")
    assert response.text == "ok"
    assert trace.names == GOOD_ORDER
    assert trace.kwargs("request_tearing_down") == {"exc": None}
    assert trace.kwargs("appcontext_tearing_down") == {"exc": None}
    assert trace.kwargs("request_finished")["response"].status_code == 200
    assert not has_app_context()


async def test_unhandled_exception(app: App, trace: Trace, client: TestClient) -> None:
    app.testing = False
    error = ValueError("broken view")

    @app.route("/")
    async def index() -> str:
        raise error

    if True:
        trace.events.clear()  # the lifespan's own app context
        response = await client.get("/")
        assert trace.names == [
            "appcontext_pushed",
            "request_started",
            "before_request",
            "got_request_exception",
            "after_request",
            "request_finished",
            "teardown_request",
            "request_tearing_down",
            "teardown_appcontext",
            "appcontext_tearing_down",
            "appcontext_popped",
        ]
        assert trace.kwargs("got_request_exception") == {"exception": error}
        assert trace.kwargs("request_tearing_down") == {"exc": error}
        assert trace.kwargs("appcontext_tearing_down") == {"exc": error}
        assert trace.kwargs("teardown_request") == {"exc": error}
    assert response.status_code == 500
    assert "Traceback" not in response.text


async def test_unhandled_exception_propagates_when_testing(
    app: App, trace: Trace, client: TestClient
) -> None:
    @app.route("/")
    async def index() -> str:
        raise KeyError("propagated")

    with pytest.raises(KeyError, match="propagated"):
        await client.get("/")
    assert isinstance(trace.kwargs("request_tearing_down")["exc"], KeyError)
    assert "request_finished" not in trace.names


async def test_debug_shows_the_traceback(app: App) -> None:
    app.config.update(TESTING=False, DEBUG=True)

    @app.route("/")
    async def index() -> str:
        raise ValueError("look at me")

    async with app.test_client() as client:
        response = await client.get("/")
    assert response.status_code == 500
    assert "ValueError: look at me" in response.text


@pytest.mark.parametrize("kind", ["abort", "handled"])
async def test_handled_errors_send_no_exception_signal(
    app: App, trace: Trace, client: TestClient, kind: str
) -> None:
    class Conflict(Exception):
        pass

    @app.errorhandler(Conflict)
    async def conflict(exc: Conflict) -> tuple[str, int]:
        return "conflict", 409

    @app.route("/")
    async def index() -> str:
        if kind == "abort":
            abort(404)
        raise Conflict

    response = await client.get("/")
    assert response.status_code == (404 if kind == "abort" else 409)
    assert "got_request_exception" not in trace.names
    assert trace.kwargs("request_tearing_down") == {"exc": None}
    assert trace.kwargs("appcontext_tearing_down") == {"exc": None}


async def test_routing_errors_still_run_hooks_and_signals(
    trace: Trace, client: TestClient
) -> None:
    trace.events.clear()
    response = await client.get("/missing")
    assert response.status_code == 404
    assert "was not found" in response.text
    assert trace.names == [name for name in GOOD_ORDER if name != "view"]


async def test_request_started_receiver_sees_request_and_g(
    app: App, client: TestClient
) -> None:
    seen: list[Any] = []

    async def on_started(sender: App) -> None:
        g.marker = "from receiver"
        seen.append((request.path, request.method))

    @app.route("/here")
    async def here() -> str:
        return str(g.marker)

    with signals.request_started.connected_to(on_started, app):
        response = await client.get("/here")
    assert response.text == "from receiver"
    assert seen == [("/here", "GET")]


async def test_appcontext_pushed_sets_g_for_the_view(
    app: App, client: TestClient
) -> None:
    def set_user(sender: App) -> None:
        g.user = "alice"

    @app.route("/me")
    async def me() -> str:
        return str(g.user)

    with signals.appcontext_pushed.connected_to(set_user, app):
        assert (await client.get("/me")).text == "alice"


async def test_signals_for_another_app_are_not_heard(
    app: App, client: TestClient
) -> None:
    heard: list[Any] = []
    other = App("other")

    @app.route("/")
    async def index() -> str:
        return ""

    with signals.request_started.connected_to(heard.append, other):
        await client.get("/")
    assert heard == []


async def test_a_faulty_request_started_receiver_is_a_view_error(
    app: App, trace: Trace
) -> None:
    app.testing = False

    def broken(sender: App) -> None:
        raise RuntimeError("receiver bug")

    @app.route("/")
    async def index() -> str:
        return "never"

    async with app.test_client() as client:
        with signals.request_started.connected_to(broken, app):
            response = await client.get("/")
    assert response.status_code == 500
    assert str(trace.kwargs("got_request_exception")["exception"]) == "receiver bug"
    assert "appcontext_popped" in trace.names


async def test_teardown_errors_are_logged_and_the_rest_runs(
    app: App, trace: Trace, client: TestClient, caplog: pytest.LogCaptureFixture
) -> None:
    @app.teardown_request
    def first_teardown_fails(exc: BaseException | None) -> None:
        raise OSError("teardown bug")

    def receiver_fails(sender: App, **kwargs: Any) -> None:
        raise LookupError("receiver bug")

    @app.route("/")
    async def index() -> str:
        return "ok"

    with signals.appcontext_tearing_down.connected_to(receiver_fails, app):
        with caplog.at_level(logging.ERROR):
            response = await client.get("/")
    assert response.text == "ok"
    assert trace.names[-5:] == [
        "teardown_request",
        "request_tearing_down",
        "teardown_appcontext",
        "appcontext_tearing_down",
        "appcontext_popped",
    ]
    logged = "\n".join(r.getMessage() + str(r.exc_info) for r in caplog.records)
    assert "teardown bug" in logged and "receiver bug" in logged


async def test_before_request_can_answer(
    app: App, trace: Trace, client: TestClient
) -> None:
    @app.before_request
    async def gate() -> Any:
        return "stopped here", 403

    @app.route("/")
    async def index() -> str:
        trace.events.append("view")
        return "view"

    response = await client.get("/")
    assert (response.status_code, response.text) == (403, "stopped here")
    assert "view" not in trace.names
    assert "after_request" in trace.names


async def test_hook_orders(app: App, client: TestClient) -> None:
    calls: list[str] = []
    for n in (1, 2):

        def before(n: int = n) -> None:
            calls.append(f"before{n}")

        def after(response: Response, n: int = n) -> Response:
            calls.append(f"after{n}")
            return response

        def teardown(exc: BaseException | None, n: int = n) -> None:
            calls.append(f"teardown{n}")

        app.before_request(before)
        app.after_request(after)
        app.teardown_request(teardown)

    @app.route("/")
    async def index() -> str:
        return ""

    await client.get("/")
    assert calls == ["before1", "before2", "after2", "after1", "teardown2", "teardown1"]


async def test_after_request_must_return_a_response(app: App) -> None:
    app.testing = False

    @app.after_request
    def forgot(response: Response) -> None:
        return None

    @app.route("/")
    async def index() -> str:
        return ""

    async with app.test_client() as client:
        assert (await client.get("/")).status_code == 500


async def test_500_handler_gets_the_original_exception(app: App) -> None:
    app.testing = False

    @app.errorhandler(500)
    async def server_error(exc: Any) -> tuple[str, int]:
        return f"sorry: {exc.original_exception!r}", 500

    @app.route("/")
    async def index() -> str:
        raise ValueError("x")

    async with app.test_client() as client:
        response = await client.get("/")
    assert response.text == "sorry: ValueError('x')"


async def test_sync_views_run_in_a_thread_with_contexts(
    app: App, client: TestClient
) -> None:
    import threading

    loop_thread = threading.get_ident()

    @app.route("/sync/<name>")
    def sync_view(name: str) -> dict[str, Any]:
        g.seen = name
        return {
            "name": name,
            "path": request.path,
            "in_worker": threading.get_ident() != loop_thread,
        }

    assert (await client.get("/sync/x")).json() == {
        "name": "x",
        "path": "/sync/x",
        "in_worker": True,
    }


async def test_streamed_body_runs_with_the_contexts_pushed(
    app: App, trace: Trace, client: TestClient
) -> None:
    @app.route("/stream")
    async def stream() -> AsyncIterator[str]:
        g.count = 0

        async def body() -> AsyncIterator[str]:
            for _ in range(3):
                g.count += 1
                yield f"{request.path}:{g.count};"

        return body()

    trace.events.clear()
    response = await client.get("/stream")
    assert response.text == "/stream:1;/stream:2;/stream:3;"
    assert trace.names.index("request_finished") < trace.names.index("teardown_request")


async def test_sync_generators_stream_too(app: App, client: TestClient) -> None:
    @app.route("/lines")
    def lines() -> Iterator[str]:
        return iter(["a\n", "b\n"])

    assert (await client.get("/lines")).text == "a\nb\n"


async def test_options_and_head_are_automatic(app: App, client: TestClient) -> None:
    @app.route("/thing", methods=["GET", "POST"])
    async def thing() -> str:
        return "body"

    options = await client.options("/thing")
    assert options.status_code == 200
    assert options.headers["allow"] == "GET, HEAD, OPTIONS, POST"
    head = await client.head("/thing")
    assert head.status_code == 200
    wrong = await client.delete("/thing")
    assert wrong.status_code == 405
    assert wrong.headers["allow"] == "GET, HEAD, OPTIONS, POST"


async def test_trailing_slash_redirect(app: App, client: TestClient) -> None:
    @app.route("/folder/")
    async def folder() -> str:
        return "folder"

    response = await client.get("/folder?x=1")
    assert response.status_code == 308
    assert response.headers["location"] == "http://localhost/folder/?x=1"  # as Flask


def asgi_scope(path: str) -> dict[str, Any]:
    return {**make_scope("http", path, "", {"host": "127.0.0.1"}), "method": "GET"}


async def test_client_disconnect_mid_stream_tears_down_once(
    app: App, trace: Trace
) -> None:
    @app.route("/stream")
    async def stream() -> AsyncIterator[str]:
        async def body() -> AsyncIterator[str]:
            for i in range(100):
                yield f"chunk {i}\n"

        return body()

    chunks = 0

    async def receive() -> Message:
        return {"type": "http.request", "body": b"", "more_body": False}

    async def send(message: Message) -> None:
        nonlocal chunks
        if message["type"] == "http.response.body":
            chunks += 1
            if chunks == 3:
                raise OSError("client went away")  # what servers raise (ASGI 2.4)

    await app(asgi_scope("/stream"), receive, send)
    assert chunks == 3
    assert trace.names.count("request_tearing_down") == 1
    # The response was cut short: teardown is told (a "commit unless exc"
    # teardown does not commit a half-sent export, say).
    [exc] = trace.kwargs("request_tearing_down").values()
    assert isinstance(exc, ClientDisconnected)
    assert isinstance(exc.__cause__, OSError)
    assert trace.names[-1] == "appcontext_popped"
    assert not has_app_context()
    async with app.test_client() as client:  # the next request works
        assert len((await client.get("/stream")).text.splitlines()) == 100


async def test_a_client_leaving_while_the_body_waits_closes_it(
    app: App, trace: Trace
) -> None:
    """An ASGI 2.3 server (uvicorn) says nothing through send(): only
    receive() tells that the client left, while the body waits for events
    that will never come."""
    closed = []

    @app.route("/events")
    async def events() -> Any:
        async def body() -> AsyncIterator[str]:
            try:
                yield "data: hello\n\n"
                await anyio.Event().wait()  # the next event, forever
            finally:
                await anyio.lowlevel.checkpoint()  # clean-up may await
                closed.append(True)

        return Response(body(), mimetype="text/event-stream")

    left = anyio.Event()
    sent: list[Message] = []

    async def receive() -> Message:
        await left.wait()
        return {"type": "http.disconnect"}

    async def send(message: Message) -> None:
        sent.append(message)
        if message.get("body") == b"data: hello\n\n":
            left.set()

    with anyio.fail_after(5):
        await app(asgi_scope("/events"), receive, send)
    assert closed == [True]
    [exc] = trace.kwargs("request_tearing_down").values()
    assert isinstance(exc, ClientDisconnected)
    assert trace.names[-1] == "appcontext_popped"  # async receivers awaited
    # Nothing more was sent to nobody after the client left.
    assert sent[-1] == {
        "type": "http.response.body",
        "body": b"data: hello\n\n",
        "more_body": True,
    }


async def test_a_streamed_response_may_stream_the_request_body(app: App) -> None:
    """Watching for the client to leave must not take the body's messages
    from a response that reads the body as it streams (two readers of one
    server's receive lose or reorder chunks)."""

    @app.route("/shout", methods=["POST"])
    @stream_request_body  # read as it arrives, not before the view
    async def shout() -> Any:
        async def body() -> AsyncIterator[bytes]:
            async for chunk in request.stream():
                yield chunk.upper()

        return Response(body(), mimetype="text/plain")

    parts = [b"one ", b"two ", b"three"]
    readers = 0
    overlapping = False
    sent: list[bytes] = []

    async def receive() -> Message:
        nonlocal readers, overlapping
        readers += 1
        overlapping |= readers > 1
        try:
            await anyio.lowlevel.checkpoint()  # the body arrives over time
            if parts:
                return {"type": "http.request", "body": parts.pop(0), "more_body": True}
            if len(sent) < 3:
                return {"type": "http.request", "body": b"", "more_body": False}
            return {"type": "http.disconnect"}
        finally:
            readers -= 1

    async def send(message: Message) -> None:
        if message.get("body"):
            sent.append(message["body"])

    scope = {**asgi_scope("/shout"), "method": "POST"}
    scope["headers"] = [*scope["headers"], (b"transfer-encoding", b"chunked")]
    with anyio.fail_after(5):
        await app(scope, receive, send)
    assert not overlapping
    assert sent == [b"ONE ", b"TWO ", b"THREE"]


async def test_a_sync_generator_body_is_closed_when_the_client_leaves(
    app: App,
) -> None:
    closed = threading.Event()

    @app.route("/export")
    def export() -> Any:
        def rows() -> Iterator[str]:
            try:
                for n in range(1_000):
                    yield f"{n}\n"
            finally:
                closed.set()

        return Response(rows(), mimetype="text/csv")

    async def receive() -> Message:
        await anyio.sleep_forever()
        return {"type": "http.disconnect"}

    chunks = 0

    async def send(message: Message) -> None:
        nonlocal chunks
        chunks += message["type"] == "http.response.body"
        if chunks == 3:
            raise OSError("client went away")

    with anyio.fail_after(5):
        await app(asgi_scope("/export"), receive, send)
    assert closed.is_set()


async def test_cancelled_request_still_tears_down(app: App, trace: Trace) -> None:
    started = anyio.Event()

    @app.route("/slow")
    async def slow() -> str:
        started.set()
        await anyio.sleep_forever()
        return "never"

    async def receive() -> Message:
        return {"type": "http.request", "body": b"", "more_body": False}

    async def send(message: Message) -> None:
        raise AssertionError("nothing is sent for a cancelled request")

    async with anyio.create_task_group() as group:
        group.start_soon(app, asgi_scope("/slow"), receive, send)
        await started.wait()
        group.cancel_scope.cancel()
    assert trace.names.count("request_tearing_down") == 1
    assert trace.names.count("appcontext_popped") == 1
    async with app.test_client() as client:  # the next request works
        assert (await client.get("/missing")).status_code == 404


async def test_timeout_around_a_slow_view_tears_down(app: App, trace: Trace) -> None:
    @app.route("/slow")
    async def slow() -> str:
        await anyio.sleep_forever()
        return "never"

    app.add_url_rule("/fast", "fast", lambda: "fast")
    async with app.test_client() as client:
        with anyio.move_on_after(0.05):
            await client.get("/slow")
        assert trace.names.count("request_tearing_down") == 1
        # start-up and the request: each app context torn down once
        assert trace.names.count("appcontext_tearing_down") == 2
        assert (await client.get("/fast")).text == "fast"  # the next one works


async def test_concurrent_requests_are_isolated(app: App, client: TestClient) -> None:
    async def on_started(sender: App) -> None:
        await anyio.sleep(random.random() / 1000)
        g.tag = request.args["n"]

    @app.route("/echo")
    async def echo() -> dict[str, str]:
        await anyio.sleep(random.random() / 1000)
        return {"query": request.args["n"], "g": g.tag, "path": request.path}

    results: dict[int, dict[str, str]] = {}

    async def one(n: int) -> None:
        results[n] = (await client.get("/echo", params={"n": n})).json()

    with signals.request_started.connected_to(on_started, app):
        async with anyio.create_task_group() as group:
            for n in range(300):
                group.start_soon(one, n)
    assert len(results) == 300
    assert all(
        r == {"query": str(n), "g": str(n), "path": "/echo"} for n, r in results.items()
    )


def test_channels_follow_every_kind_of_change(app: App) -> None:
    other = App("other")
    signal = signals.request_finished

    def receiver(sender: App, **kwargs: Any) -> None:
        return None

    def heard() -> bool:
        assert (signal in app.signal_channels.heard()) is signal.has_receivers_for(app)
        return signal in app.signal_channels.heard()

    assert not heard()
    signal.connect(receiver, sender=other, weak=False)
    assert not heard()  # another app's receiver is not this app's
    signal.connect(receiver, sender=app, weak=False)
    assert heard()
    signal.disconnect(receiver, sender=app)
    assert not heard()
    with signal.connected_to(receiver):  # ANY sender
        assert heard()
    assert not heard()
    signal.disconnect(receiver)
    assert signals.request_started not in app.signal_channels.heard()


def test_channels_stay_exact_under_concurrent_changes(app: App) -> None:
    names = sorted(signals.all_signals())
    other = App("other")

    def churn(seed: int) -> None:
        chooser = random.Random(seed)
        kept: list[Any] = []
        for _ in range(300):
            signal = signals.all_signals()[chooser.choice(names)]
            sender = chooser.choice([app, other, signals.Namespace])

            def receiver(sender: Any, **kwargs: Any) -> None:
                return None

            if sender is signals.Namespace:  # stands for "any sender"
                signal.connect(receiver, weak=False)
            else:
                signal.connect(receiver, sender=sender, weak=False)
            kept.append((signal, receiver))
            if chooser.random() < 0.6:
                gone_signal, gone = kept.pop(chooser.randrange(len(kept)))
                gone_signal.disconnect(gone)
        for signal, receiver in kept[::2]:
            signal.disconnect(receiver)

    threads = [threading.Thread(target=churn, args=(seed,)) for seed in range(4)]
    try:
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        for signal in signals.all_signals().values():
            for each in (app, other):
                assert (
                    signal in each.signal_channels.heard()
                ) is signal.has_receivers_for(each)
    finally:
        for signal in signals.all_signals().values():
            for each in (app, other):
                for receiver in list(signal.receivers_for(each)):
                    signal.disconnect(receiver)


async def test_a_receiver_connected_mid_request_hears_the_rest(app: App) -> None:
    finished: list[int] = []

    def on_finished(sender: App, response: Response) -> None:
        finished.append(response.status_code)

    @app.route("/connect")
    async def connect() -> str:
        signals.request_finished.connect(on_finished, sender=app, weak=False)
        return "connected"

    try:
        async with app.test_client() as client:
            assert (await client.get("/connect")).status_code == 200
        assert finished == [200]  # the same request's request_finished
    finally:
        signals.request_finished.disconnect(on_finished)


async def test_a_dead_weak_receiver_costs_a_send_but_is_not_called(app: App) -> None:
    calls: list[str] = []

    def on_started(sender: App) -> None:
        calls.append("called")

    signals.request_started.connect(on_started, sender=app)  # weakly held
    assert signals.request_started in app.signal_channels.heard()
    del on_started  # no disconnect: the channel may keep it
    app.add_url_rule("/ok", "ok", lambda: "ok")
    async with app.test_client() as client:
        assert (await client.get("/ok")).text == "ok"
    assert calls == []


async def test_connecting_with_current_app_connects_the_app(app: App) -> None:
    heard: list[App] = []

    def on_started(sender: App) -> None:
        heard.append(sender)

    app.add_url_rule("/ok", "ok", lambda: "ok")
    async with app.app_context():
        signals.request_started.connect(on_started, sender=current_app, weak=False)
    try:
        async with app.test_client() as client:
            await client.get("/ok")
        assert heard == [app]
        assert signals.request_started.has_receivers_for(app)
    finally:
        async with app.app_context():  # disconnecting through the proxy too
            signals.request_started.disconnect(on_started, sender=current_app)
    assert not signals.request_started.has_receivers_for(app)


def test_connecting_with_a_proxy_outside_a_context_says_what_to_pass() -> None:
    with pytest.raises(TypeError, match="connect to the object itself"):
        signals.request_started.connect(print, sender=current_app, weak=False)


async def test_quart_s_client_disconnected_error_catches_a_client_that_left(
    app: App, trace: Trace
) -> None:
    """Quart 0.23's spelling: ``except ClientDisconnectedError`` around a
    body read, and as the teardown's ``exc`` of a stream cut short."""
    from app_framework.exceptions import ClientDisconnectedError

    @app.route("/upload", methods=["POST"])
    @stream_request_body
    async def upload() -> str:
        try:
            async for _ in request.stream():
                pass
        except ClientDisconnectedError:
            return "left"
        return "read"

    async def receive() -> Message:
        return {"type": "http.disconnect"}

    sent: list[Message] = []

    async def send(message: Message) -> None:
        sent.append(message)

    scope = {**asgi_scope("/upload"), "method": "POST"}
    scope["headers"] = [*scope["headers"], (b"content-length", b"10")]
    with anyio.fail_after(5):
        await app(scope, receive, send)
    assert sent[-1]["body"] == b"left"


async def test_sync_and_async_receivers_of_one_signal_run_in_connection_order(
    app: App,
) -> None:
    heard: list[str] = []

    def first(sender: App, response: Response) -> None:
        heard.append(f"first {response.status_code}")

    async def second(sender: App, response: Response) -> None:
        await anyio.lowlevel.checkpoint()  # really suspends
        heard.append("second")

    async def gone(sender: App, response: Response) -> None:
        heard.append("gone")  # weakly held and dropped: never called

    def third(sender: App, response: Response) -> None:
        heard.append("third")

    async def fourth(sender: App, response: Response) -> None:
        heard.append("fourth")

    signals.request_finished.connect(first, sender=app, weak=False)
    signals.request_finished.connect(second, sender=app, weak=False)
    signals.request_finished.connect(gone, sender=app)
    signals.request_finished.connect(third, sender=app, weak=False)
    signals.request_finished.connect(fourth, sender=app, weak=False)
    del gone
    app.add_url_rule("/ok", "ok", lambda: "ok")
    try:
        async with app.test_client() as client:
            assert (await client.get("/ok")).text == "ok"
        assert heard == ["first 200", "second", "third", "fourth"]
    finally:
        for receiver in (first, second, third, fourth):
            signals.request_finished.disconnect(receiver)
