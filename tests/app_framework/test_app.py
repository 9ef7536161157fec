"""The App façade: settings, registration, lifespan, middleware."""

from __future__ import annotations

import logging
from typing import Any

import pytest
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from app_framework import App, Blueprint, current_app, g
from app_framework.exceptions import SetupError
from app_framework.testing import TestClient


def test_settings_properties(app: App) -> None:
    assert app.name == "test_app" and repr(app) == "<App 'test_app'>"
    assert app.testing and not app.debug
    app.debug = True
    app.testing = False
    app.secret_key = "k"
    assert app.config["DEBUG"] and not app.config["TESTING"] and app.secret_key == "k"
    assert not app.propagate_exceptions
    app.config["PROPAGATE_EXCEPTIONS"] = True
    assert app.propagate_exceptions
    assert isinstance(app.logger, logging.Logger) and app.logger.name == "test_app"


def test_main_module_name() -> None:
    assert App("__main__").name not in ("", "__main__.py")


async def test_lifespan_hooks_run_with_an_app_context(app: App) -> None:
    calls: list[str] = []

    @app.before_serving
    async def start() -> None:
        g.started = True
        calls.append(f"start {current_app.name}")

    @app.after_serving
    def stop() -> None:
        calls.append("stop")

    async with app.test_client():
        assert calls == ["start test_app"]
    assert calls == ["start test_app", "stop"]


async def run_lifespan(app: App) -> list[Message]:
    """Drive the ASGI lifespan protocol as a server does."""
    inbox: list[Message] = [{"type": "lifespan.startup"}, {"type": "lifespan.shutdown"}]
    sent: list[Message] = []

    async def receive() -> Message:
        return inbox.pop(0)

    async def send(message: Message) -> None:
        sent.append(message)

    await app({"type": "lifespan", "asgi": {"version": "3.0"}}, receive, send)
    return sent


async def test_asgi_lifespan(app: App) -> None:
    calls: list[str] = []
    app.before_serving(lambda: calls.append("start"))
    app.after_serving(lambda: calls.append("stop"))
    sent = await run_lifespan(app)
    assert [m["type"] for m in sent] == [
        "lifespan.startup.complete",
        "lifespan.shutdown.complete",
    ]
    assert calls == ["start", "stop"]


@pytest.mark.parametrize("phase", ["before_serving", "after_serving"])
async def test_failing_lifespan_hook_is_reported(app: App, phase: str) -> None:
    def broken() -> None:
        raise ConnectionError("database is down")

    getattr(app, phase)(broken)
    sent = await run_lifespan(app)
    failed = [m for m in sent if m["type"].endswith(".failed")]
    assert len(failed) == 1
    assert "ConnectionError: database is down" in failed[0]["message"]


class AddHeader:
    """A plain ASGI middleware, as Starlette's are written."""

    def __init__(self, app: ASGIApp, name: str, value: str) -> None:
        self.app, self.name, self.value = app, name.encode(), value.encode()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        async def add(message: Message) -> None:
            if message["type"] == "http.response.start":
                message["headers"] = [*message["headers"], (self.name, self.value)]
            await send(message)

        await self.app(scope, receive, add)


async def test_middleware(app: App, client: TestClient) -> None:
    app.add_url_rule("/", "index", lambda: "ok")
    app.add_middleware(AddHeader, name="x-inner", value="1")
    app.add_middleware(AddHeader, name="x-outer", value="2")
    response = await client.get("/")
    assert response.headers["x-inner"] == "1" and response.headers["x-outer"] == "2"
    raw = [k for k, _ in response.headers.raw]
    assert raw.index(b"x-inner") < raw.index(b"x-outer")


class Gatekeeper:
    """Answers 403 itself for paths under /private; passes the rest on."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and scope["path"].startswith("/private"):
            await send({"type": "http.response.start", "status": 403, "headers": []})
            await send({"type": "http.response.body", "body": b"gate"})
            return
        await self.app(scope, receive, send)


async def test_asgi_app_can_be_wrapped_as_quart_allows(
    app: App, client: TestClient
) -> None:
    app.add_url_rule("/private/x", "private", lambda: "secret")
    app.add_url_rule("/open", "open", lambda: "hello")
    app.add_middleware(AddHeader, name="x-inner", value="1")
    app.asgi_app = Gatekeeper(app.asgi_app)
    refused = await client.get("/private/x")
    assert (refused.status_code, refused.text) == (403, "gate")
    passed = await client.get("/open")
    assert passed.text == "hello" and passed.headers["x-inner"] == "1"
    with pytest.raises(SetupError, match="'asgi_app'"):
        app.asgi_app = Gatekeeper(app.asgi_app)


async def test_registration_closes_when_serving_starts(
    app: App, client: TestClient
) -> None:
    app.add_url_rule("/", "index", lambda: "ok")
    await client.get("/")
    for register in (
        lambda: app.add_url_rule("/late", "late", lambda: ""),
        lambda: app.before_request(lambda: None),
        lambda: app.add_middleware(AddHeader, name="a", value="b"),
        lambda: app.errorhandler(404)(lambda e: ""),
    ):
        with pytest.raises(RuntimeError, match="after the application started serving"):
            register()


async def test_late_setup_is_also_an_assertion_error(
    app: App, client: TestClient
) -> None:
    # Flask raises AssertionError for a late setup call; code catching that
    # class keeps working, and the message names the method.
    shop = Blueprint("shop", __name__)
    app.register_blueprint(shop)
    with pytest.raises(AssertionError, match="setup method 'after_request'"):
        shop.after_request(lambda response: response)
    await client.get("/")
    with pytest.raises(SetupError, match="setup method 'add_url_rule'"):
        app.add_url_rule("/late", "late", lambda: "")
    assert issubclass(SetupError, RuntimeError)


def test_add_url_rule_needs_a_view(app: App) -> None:
    with pytest.raises(TypeError, match="needs a view_func"):
        app.add_url_rule("/")


@pytest.mark.parametrize(
    ("key", "error"), [(200, ValueError), ("404", TypeError), (ValueError(), TypeError)]
)
def test_errorhandler_keys_are_checked(
    app: App, key: Any, error: type[Exception]
) -> None:
    with pytest.raises(error):
        app.register_error_handler(key, lambda e: "")


def test_errorhandler_mistakes_name_what_to_register(app: App) -> None:
    class PaymentDeclined(Exception):
        pass

    instance: Any = PaymentDeclined("card")
    with pytest.raises(TypeError, match=r"^PaymentDeclined\('card'\) is an instance"):
        app.errorhandler(instance)(lambda e: "")
    with pytest.raises(TypeError, match=r"Register the class: errorhandler\(Paym"):
        app.register_error_handler(instance, lambda e: "")
    not_an_error: Any = dict
    with pytest.raises(ValueError, match="^'dict' is not a subclass of Exception"):
        app.register_error_handler(not_an_error, lambda e: "")
    with pytest.raises(ValueError, match=r"Use a subclass of HTTPException .*= 599"):
        app.register_error_handler(599, lambda e: "")
    assert not app.error_handlers


async def test_error_handlers_by_class_follow_the_mro(
    app: App, client: TestClient
) -> None:
    @app.errorhandler(LookupError)
    def lookup(exc: LookupError) -> tuple[str, int]:
        return f"lookup: {type(exc).__name__}", 400

    @app.route("/")
    async def index() -> str:
        raise KeyError("k")

    assert (await client.get("/")).text == "lookup: KeyError"


async def test_http_errors_by_class(app: App, client: TestClient) -> None:
    from app_framework import HTTPException, abort

    @app.errorhandler(HTTPException)
    def any_http(exc: HTTPException) -> tuple[str, int]:
        assert exc.code is not None
        return f"handled {exc.code}", exc.code

    @app.route("/")
    async def index() -> str:
        abort(403)

    assert (await client.get("/")).text == "handled 403"
    assert (await client.get("/missing")).text == "handled 404"


def test_run_uses_uvicorn(app: App, monkeypatch: pytest.MonkeyPatch) -> None:
    import uvicorn

    calls: list[Any] = []
    monkeypatch.setattr(uvicorn, "run", lambda *a, **k: calls.append((a, k)))
    app.run(port=9999)
    limits = {"ws_max_size": 16 * 1024 * 1024, "ws_max_queue": 1}
    assert calls == [((app,), {"host": "127.0.0.1", "port": 9999, **limits})]
    # MAX_WEBSOCKET_MESSAGE_SIZE is the server's limit; an explicit option wins.
    app.config["MAX_WEBSOCKET_MESSAGE_SIZE"] = 1000
    app.run(port=9999, ws_max_queue=8)
    assert calls[-1][1] == {
        "host": "127.0.0.1",
        "port": 9999,
        "ws_max_size": 1000,
        "ws_max_queue": 8,
    }
    app.config["MAX_WEBSOCKET_MESSAGE_SIZE"] = None  # uvicorn's own default
    app.run(port=9999)
    assert calls[-1][1] == {"host": "127.0.0.1", "port": 9999, "ws_max_queue": 1}


RELOADABLE = App(__name__)  # a module attribute, as the reloader needs


def test_run_with_debug_and_the_reloader(monkeypatch: pytest.MonkeyPatch) -> None:
    import uvicorn

    calls: list[Any] = []
    monkeypatch.setattr(uvicorn, "run", lambda *a, **k: calls.append((a, k)))
    for name in ("APP_FRAMEWORK_APP", "APP_FRAMEWORK_DEBUG"):
        monkeypatch.setenv(name, "")
        monkeypatch.delenv(name)
    RELOADABLE.run(host="0.0.0.0", port=8001, debug=True, use_reloader=True)
    assert calls == [
        (
            ("app_framework.cli:_served_app",),
            {
                "factory": True,
                "host": "0.0.0.0",
                "port": 8001,
                "ws_max_size": 16 * 1024 * 1024,
                "ws_max_queue": 1,
                "reload": True,
                "log_level": "debug",
            },
        )
    ]
    import os

    assert os.environ["APP_FRAMEWORK_APP"] == f"{__name__}:RELOADABLE"
    assert RELOADABLE.debug and os.environ["APP_FRAMEWORK_DEBUG"] == "1"
    with pytest.raises(RuntimeError, match="module-level variable"):
        App("nowhere").run(use_reloader=True)


@pytest.mark.parametrize(
    ("key", "warns"),
    [("tiny", True), (b"dev", True), ("x" * 40, False), (None, False)],
)
async def test_weak_secret_key_warns_at_start_up_without_showing_it(
    app: App, caplog: pytest.LogCaptureFixture, key: Any, warns: bool
) -> None:
    app.config["SECRET_KEY"] = key
    with caplog.at_level(logging.WARNING):
        async with app.test_client():
            pass
    assert ("SECRET_KEY is short" in caplog.text) is warns
    if key:
        shown = key.decode() if isinstance(key, bytes) else key
        assert shown not in caplog.text.replace("SECRET_KEY", "")


async def test_an_unknown_scope_type_is_refused(app: App) -> None:
    async def receive() -> Message:
        raise AssertionError("not called")

    async def send(message: Message) -> None:
        raise AssertionError("not called")

    with pytest.raises(ValueError, match="unknown ASGI scope type 'telepathy'"):
        await app({"type": "telepathy"}, receive, send)
