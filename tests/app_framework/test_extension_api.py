"""The surface Quart extensions use, written as an extension author would:
the type names of ``app_framework.typing``, ``ensure_async``/``ensure_sync``,
views that require methods (CORS preflights), ``make_default_options_response``,
a replaceable ``websocket_class``, a test client class to derive from and
the converters of a rule's parts (what OpenAPI generators read)."""

from __future__ import annotations

import asyncio
import dataclasses
import functools
import threading
import types
import typing
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any, ParamSpec, Union, get_args, get_type_hints

import pytest
from werkzeug.datastructures import Authorization
from werkzeug.routing.converters import (
    AnyConverter,
    BaseConverter,
    IntegerConverter,
    NumberConverter,
)

import app_framework
from app_framework import (
    App,
    Blueprint,
    Response,
    ResponseReturnValue,
    Websocket,
    current_app,
    g,
    jsonify,
    make_response,
    request,
    websocket,
)
from app_framework.testing import AppCliRunner, TestApp, TestClient, TestResponse
from app_framework.typing import (
    HeadersValue,
    ResponseValue,
    RouteCallable,
    StatusCode,
)

P = ParamSpec("P")


@dataclass
class Ticket:
    """A model an extension knows how to send (as quart-schema's models)."""

    seat: str


# An extension widens the framework's names at import time, as quart-schema
# does with its models: the names must be real objects, not strings.
ExtendedValue = Union[ResponseValue, Ticket]  # noqa: UP007
ExtendedReturn = Union[  # noqa: UP007
    ResponseReturnValue,
    ExtendedValue,
    tuple[ExtendedValue, StatusCode],
    tuple[ExtendedValue, StatusCode, HeadersValue],
]


def sends_tickets(view: Callable[..., Awaitable[ExtendedReturn]]) -> RouteCallable:
    """An extension's decorator: a Ticket becomes JSON; the rest passes."""

    @functools.wraps(view)
    async def wrapper(**kwargs: Any) -> ResponseReturnValue:
        result: Any = await view(**kwargs)  # checked at run time below
        body, *rest = result if isinstance(result, tuple) else (result,)
        if isinstance(body, Ticket):
            return (jsonify(seat=body.seat), *rest)
        return typing.cast(ResponseReturnValue, result)

    return wrapper


async def test_an_extension_built_on_the_type_names() -> None:
    app = App(__name__)

    @app.route("/ticket")
    @sends_tickets
    async def ticket() -> ExtendedReturn:
        return Ticket("14C"), 201, {"X-Row": "14"}

    @app.route("/plain")
    @sends_tickets
    async def plain() -> ExtendedReturn:
        return "no ticket"

    async with app.test_client() as client:
        response = await client.get("/ticket")
        assert (response.status_code, response.json) == (201, {"seat": "14C"})
        assert response.headers["X-Row"] == "14"
        assert (await client.get("/plain")).text == "no ticket"
        assert isinstance(client, app_framework.typing.TestClientProtocol)


def test_the_names_resolve_at_run_time() -> None:
    async def view() -> ResponseReturnValue:
        return "ok"

    # Tools reading annotations (OpenAPI generators) evaluate them.
    assert get_type_hints(view)["return"] is ResponseReturnValue
    assert app_framework.ResponseReturnValue is ResponseReturnValue
    assert tuple[ResponseValue, StatusCode, HeadersValue] in get_args(
        ResponseReturnValue
    )
    assert Response in get_args(ResponseValue)
    for name in app_framework.typing.__all__:
        assert getattr(app_framework.typing, name) is not None, name
    # The module shadows nothing: the standard library's typing is intact.
    assert typing.Protocol is not None


# -- ensure_async / ensure_sync ---------------------------------------------


def needs_key(func: Callable[..., Any]) -> Callable[..., Awaitable[Any]]:
    """An extension's view decorator (quart-auth's shape): it checks the
    request, then calls the view whether it is sync or async."""

    @functools.wraps(func)
    async def wrapper(*args: Any, **kwargs: Any) -> Any:
        if request.headers.get("X-Key") != "open-sesame":
            return "locked", 403
        return await current_app.ensure_async(func)(*args, **kwargs)

    return wrapper


async def test_an_extension_calls_sync_and_async_views_alike() -> None:
    app = App(__name__)
    loop_thread = threading.get_ident()

    @app.before_request
    def who() -> None:
        g.caller = request.headers.get("X-Caller", "nobody")

    @app.route("/vault/<int:box>")
    @needs_key
    def vault(box: int) -> dict[str, Any]:
        # A sync view: off the event loop, with the request's contexts.
        return {
            "box": box,
            "caller": g.caller,
            "off_loop": threading.get_ident() != loop_thread,
        }

    @app.route("/safe/<name>")
    @needs_key
    async def safe(name: str) -> str:
        return f"safe {name} for {g.caller}"

    headers = {"X-Key": "open-sesame", "X-Caller": "ada"}
    async with app.test_client() as client:
        response = await client.get("/vault/7", headers=headers)
        assert response.json == {"box": 7, "caller": "ada", "off_loop": True}
        assert (
            await client.get("/safe/red", headers=headers)
        ).text == "safe red for ada"
        assert (await client.get("/vault/7")).status_code == 403


async def test_ensure_async_passes_positional_arguments_and_keeps_async_functions() -> (
    None
):
    app = App(__name__)

    def add(a: int, b: int, *, times: int = 1) -> int:
        return (a + b) * times

    async def already() -> None:
        return None

    assert await app.ensure_async(add)(2, 3, times=4) == 20
    assert app.ensure_async(already) is already


async def test_views_are_registered_through_ensure_async() -> None:
    seen: list[str] = []

    class RecordingApp(App):
        def ensure_async(self, func: Callable[P, Any]) -> Callable[P, Awaitable[Any]]:
            seen.append(func.__name__)
            return super().ensure_async(func)

    app = RecordingApp(__name__)

    @app.get("/report")
    def report() -> str:
        return "quarterly"

    assert "report" in seen
    async with app.test_client() as client:
        assert (await client.get("/report")).text == "quarterly"


async def lookup(key: str) -> str:
    await asyncio.sleep(0)  # a real suspension: this needs a running loop
    return f"{key} for {request.path}"


async def test_a_sync_view_waits_for_a_coroutine_with_ensure_sync() -> None:
    app = App(__name__)

    @app.route("/fetch")
    def fetch() -> str:
        return str(current_app.ensure_sync(lookup)("colour"))

    async with app.test_client() as client:
        assert (await client.get("/fetch")).text == "colour for /fetch"


async def test_a_coroutine_error_reaches_the_sync_caller_once() -> None:
    app = App(__name__)
    app.config["TESTING"] = True
    calls: list[int] = []

    async def broken() -> None:
        calls.append(1)
        raise RuntimeError("the store is closed")

    @app.route("/broken")
    def view() -> str:
        current_app.ensure_sync(broken)()
        return "unreachable"

    async with app.test_client() as client:
        with pytest.raises(RuntimeError, match="the store is closed"):
            await client.get("/broken")
    assert calls == [1]  # not run a second time on another loop


async def test_ensure_sync_on_the_event_loop_thread_says_to_await() -> None:
    app = App(__name__)
    with pytest.raises(RuntimeError, match=r"'await lookup\(\.\.\.\)'"):
        app.ensure_sync(lookup)("colour")


def test_ensure_sync_without_any_loop_runs_one_and_keeps_sync_functions() -> None:
    app = App(__name__)

    async def double(n: int) -> int:
        await asyncio.sleep(0)
        return n * 2

    def plain() -> str:
        return "plain"

    assert app.ensure_sync(double)(21) == 42
    assert app.ensure_sync(plain) is plain


# -- required_methods and the default OPTIONS answer ------------------------


def answers_preflight(func: Callable[..., Any]) -> Callable[..., Awaitable[Any]]:
    """A CORS decorator in quart-cors's shape: the view's rule must accept
    OPTIONS, and the decorator answers it from the default OPTIONS response."""
    func.required_methods = {"OPTIONS"}  # type: ignore[attr-defined]
    func.provide_automatic_options = False  # type: ignore[attr-defined]

    @functools.wraps(func)
    async def wrapper(**kwargs: Any) -> Any:
        if request.method == "OPTIONS":
            response = await current_app.make_default_options_response()
            response.headers["Access-Control-Allow-Methods"] = ", ".join(
                sorted(response.allow)
            )
        else:
            response = await make_response(
                await current_app.ensure_async(func)(**kwargs)
            )
        response.headers["Access-Control-Allow-Origin"] = "https://shop.test"
        return response

    return wrapper


async def test_a_view_requiring_options_answers_the_preflight() -> None:
    app = App(__name__)
    shop = Blueprint("shop", __name__, url_prefix="/shop")

    @app.route("/orders", methods=["POST"])
    @answers_preflight
    async def orders() -> tuple[str, int]:
        return "ordered", 201

    @shop.put("/basket/<int:line>")
    @answers_preflight
    def basket(line: int) -> str:
        return f"line {line} updated"

    app.register_blueprint(shop)
    preflight = {"Origin": "https://web.test", "Access-Control-Request-Method": "POST"}
    async with app.test_client() as client:
        response = await client.options("/orders", headers=preflight)
        assert response.status_code == 200
        assert response.headers["Allow"] == "OPTIONS, POST"
        assert response.headers["Access-Control-Allow-Methods"] == "OPTIONS, POST"
        assert response.headers["Access-Control-Allow-Origin"] == "https://shop.test"
        response = await client.post("/orders")
        assert (response.status_code, response.text) == (201, "ordered")
        assert response.headers["Access-Control-Allow-Origin"] == "https://shop.test"
        assert (await client.get("/orders")).status_code == 405

        response = await client.options("/shop/basket/3")
        assert response.headers["Allow"] == "OPTIONS, PUT"
        assert (await client.put("/shop/basket/3")).text == "line 3 updated"


async def test_required_methods_join_the_route_methods() -> None:
    app = App(__name__)

    def notes() -> str:
        return f"notes by {request.method}"

    notes.required_methods = ["put"]  # type: ignore[attr-defined]
    app.add_url_rule("/notes", view_func=notes)

    def report() -> str:
        raise AssertionError("the automatic OPTIONS answer does not call the view")

    # Requiring OPTIONS without turning the automatic answer off keeps it.
    report.required_methods = {"OPTIONS"}  # type: ignore[attr-defined]
    app.add_url_rule("/report", view_func=report, methods=["PATCH"])

    async with app.test_client() as client:
        assert (await client.put("/notes")).text == "notes by PUT"
        assert (await client.get("/notes")).text == "notes by GET"
        allow = (await client.options("/notes")).headers["Allow"]
        assert allow == "GET, HEAD, OPTIONS, PUT"
        response = await client.options("/report")
        assert (response.status_code, response.headers["Allow"]) == (
            200,
            "OPTIONS, PATCH",
        )


async def test_automatic_options_answers_come_from_the_app_method() -> None:
    class PreflightCachingApp(App):
        async def make_default_options_response(self) -> Response:
            response = await super().make_default_options_response()
            response.headers["Access-Control-Max-Age"] = "600"
            return response

    app = PreflightCachingApp(__name__)

    @app.route("/items", methods=["GET", "DELETE"])
    async def items() -> str:
        return "items"

    @app.after_request
    def cors_headers(response: Response) -> Response:
        # A CORS extension's app-wide hook also sees the automatic answer.
        if request.method == "OPTIONS":
            response.headers["Access-Control-Allow-Origin"] = "*"
        return response

    async with app.test_client() as client:
        response = await client.options("/items")
        assert response.status_code == 200
        assert response.headers["Allow"] == "DELETE, GET, HEAD, OPTIONS"
        assert response.headers["Access-Control-Max-Age"] == "600"
        assert response.headers["Access-Control-Allow-Origin"] == "*"
        assert response.text == ""


async def test_the_automatic_answer_runs_as_a_request_to_its_rule() -> None:
    """A CORS extension set up per blueprint (quart-cors's ``cors(bp)``)
    answers the blueprint's preflights: the automatic OPTIONS answer runs
    the rule's blueprint hooks and URL value preprocessors, with the rule's
    endpoint and values, as Flask and Quart run it."""
    app = App(__name__)
    partners = Blueprint("partners", __name__, url_prefix="/partners")
    seen: list[str] = []

    @partners.url_value_preprocessor
    def pull_partner(endpoint: str | None, values: dict[str, Any] | None) -> None:
        assert values is not None
        g.partner = values.pop("partner")

    @partners.before_request
    def before() -> None:
        seen.append(f"partners before {request.endpoint} {g.partner}")

    @partners.after_request
    def allow_partner_origin(response: Response) -> Response:
        seen.append("partners after")
        if request.method == "OPTIONS":
            response.headers["Access-Control-Allow-Origin"] = "https://partner.test"
        return response

    @partners.route("/<partner>/orders", methods=["GET", "POST"])
    def orders() -> str:
        raise AssertionError("the automatic OPTIONS answer does not call the view")

    @app.after_request
    def app_wide(response: Response) -> Response:
        seen.append("app after")
        return response

    app.register_blueprint(partners)
    async with app.test_client() as client:
        response = await client.options("/partners/acme/orders")
        assert response.status_code == 200
        assert response.headers["Allow"] == "GET, HEAD, OPTIONS, POST"
        assert response.headers["Access-Control-Allow-Origin"] == "https://partner.test"
        assert seen == [
            "partners before partners.orders acme",
            "partners after",
            "app after",
        ]
        # A path no rule matches is still a 404 through the app's hooks only.
        seen.clear()
        assert (await client.options("/partners")).status_code == 404
        assert seen == ["app after"]


async def test_the_default_options_response_needs_a_request() -> None:
    app = App(__name__)
    with pytest.raises(RuntimeError, match="request context"):
        await app.make_default_options_response()


# -- websocket_class ----------------------------------------------------------


class TypedMessages:
    """A mixin an extension adds to the app's websocket class (quart-schema
    adds its validation this way)."""

    async def receive_as(self, model: type[Ticket]) -> Ticket:
        connection = typing.cast(Websocket, self)
        return model(**await connection.receive_json())


def install_typed_messages(app: App) -> None:
    """The extension's init_app: a subclass of whatever class is set now."""
    app.websocket_class = type(
        "TypedWebsocket", (TypedMessages, app.websocket_class), {}
    )


async def test_an_extension_replaces_the_websocket_class() -> None:
    app = App(__name__)
    install_typed_messages(app)
    seen: list[str] = []

    @app.before_websocket
    def note() -> None:
        seen.append(type(websocket._get_current_object()).__name__)

    @app.websocket("/seats")
    async def seats() -> None:
        ticket = await typing.cast(TypedMessages, websocket).receive_as(Ticket)
        await websocket.send(f"seat {ticket.seat} held")

    async with app.test_client() as client:
        async with client.websocket("/seats") as ws:
            await ws.send_json({"seat": "2A"})
            assert await ws.receive() == "seat 2A held"
    assert seen == ["TypedWebsocket"]


class StampsRequests:
    """A test-client mixin, as an extension adds one to every app's client."""

    async def get_stamped(self, path: str) -> TestResponse:
        client = typing.cast(TestClient, self)
        return await client.get(path, headers={"X-Stamp": "from-the-extension"})


def install_stamps(app: App) -> None:
    """The extension's init_app derives from the app's client class."""
    app.test_client_class = types.new_class(
        "StampingClient", (StampsRequests, app.test_client_class)
    )


async def test_an_extension_derives_from_the_default_test_client_class() -> None:
    app = App(__name__)
    install_stamps(app)

    @app.get("/stamp")
    async def stamp() -> str:
        return request.headers["X-Stamp"]

    client = app.test_client()
    assert isinstance(client, TestClient)
    assert isinstance(client, StampsRequests)
    assert (await client.get_stamped("/stamp")).text == "from-the-extension"
    # Installed on one app only.
    assert type(App(__name__).test_client()) is TestClient


def test_the_test_class_defaults_are_the_classes_themselves() -> None:
    assert App.test_client_class is TestClient
    assert App.test_cli_runner_class is AppCliRunner
    assert App.test_app_class is TestApp

    class Runner(AppCliRunner):
        pass

    class RunnerApp(App):
        test_cli_runner_class = Runner

    app = RunnerApp(__name__)
    assert type(app.test_cli_runner()) is Runner
    assert type(app.test_app()) is TestApp


class YearConverter(BaseConverter):
    """A converter of the app's own, for a four-digit year."""

    regex = r"\d{4}"


def parameter_types(app: App, endpoint: str) -> dict[str, str]:
    """What an OpenAPI generator reads from a rule: each part's converter."""
    (rule,) = app.url_map.iter_rules(endpoint)
    described: dict[str, str] = {}
    for name, converter in rule._converters.items():
        assert typing.cast(object, converter.map) is app.url_map
        if isinstance(converter, AnyConverter):
            described[name] = "one of " + ", ".join(sorted(converter.items))
        elif isinstance(converter, IntegerConverter):
            described[name] = "integer"
        elif isinstance(converter, NumberConverter):
            described[name] = "number"
        else:
            described[name] = type(converter).__name__
    return described


def test_an_openapi_generator_reads_each_rule_part_converter() -> None:
    app = App(__name__, subdomain_matching=True)
    app.config["SERVER_NAME"] = "tickets.test"
    app.url_map.converters["year"] = YearConverter

    @app.get(
        "/events/<year:season>/<int:event_id>/<any(stalls, circle):area>/"
        "<float:price>/<path:note>",
        subdomain="<venue>",
    )
    async def event(**values: Any) -> str:
        return "ok"

    @app.get("/")
    async def home() -> str:
        return "home"

    assert list(parameter_types(app, "event").items()) == [
        ("venue", "UnicodeConverter"),
        ("season", "YearConverter"),
        ("event_id", "integer"),
        ("area", "one of circle, stalls"),
        ("price", "number"),
        ("note", "PathConverter"),
    ]
    assert parameter_types(app, "home") == {}


@dataclass
class Booking:
    """A model the extension's test client sends as JSON or as a form."""

    seat: str
    guests: int


class SendsBookings:
    """The extension's client mixin, overriding Quart's request step."""

    async def _make_request(
        self,
        path: str,
        method: str,
        headers: Any,
        data: Any,
        form: Any,
        files: Any,
        query_string: Any,
        json: Any,
        scheme: Any,
        root_path: str,
        http_version: str,
        scope_base: Any,
        auth: Any = None,
        subdomain: str | None = None,
    ) -> TestResponse:
        if isinstance(json, Booking):
            json = dataclasses.asdict(json)
        if isinstance(form, Booking):
            form = dataclasses.asdict(form)
        step = super()._make_request  # type: ignore[misc]
        response: TestResponse = await step(
            path,
            method,
            headers,
            data,
            form,
            files,
            query_string,
            json,
            scheme,
            root_path,
            http_version,
            scope_base,
            auth,
            subdomain,
        )
        return response


def bookings_app() -> App:
    app = App(__name__)
    app.test_client_class = types.new_class(
        "BookingClient", (SendsBookings, app.test_client_class)
    )

    @app.post("/book")
    async def book() -> dict[str, Any]:
        body = await request.get_json(silent=True)
        return {
            "json": body,
            "form": (await request.form).to_dict(),
            "type": request.mimetype,
            "url": request.url,
            "args": request.args.to_dict(),
        }

    return app


async def test_a_client_mixin_changes_what_is_sent_through_make_request() -> None:
    client = bookings_app().test_client()
    sent = await client.post("/book", json=Booking("4C", 2))
    assert sent.json["json"] == {"seat": "4C", "guests": 2}
    posted = await client.post("/book", form=Booking("9F", 1))
    assert posted.json["form"] == {"seat": "9F", "guests": "1"}
    # What Quart's step has no parameter for still arrives.
    tagged = await client.post(
        "/book",
        "https://box-office.test",
        json=Booking("1A", 3),
        content_type="application/vnd.booking+json",
        params={"via": "kiosk"},
    )
    assert tagged.json["type"] == "application/vnd.booking+json"
    assert tagged.json["url"] == "https://box-office.test/book?via=kiosk"
    assert tagged.json["args"] == {"via": "kiosk"}


async def test_quart_request_arguments_reach_the_scope() -> None:
    app = App(__name__)

    @app.get("/")
    async def where() -> dict[str, Any]:
        scope = request.scope
        return {
            "root": scope["root_path"],
            "version": scope["http_version"],
            "auth": request.headers.get("Authorization"),
        }

    client = app.test_client()
    answer = await client.get(
        "/box/",
        root_path="/box",
        http_version="2",
        auth=Authorization("bearer", token="t0ken"),
    )
    assert answer.json == {"root": "/box", "version": "2", "auth": "Bearer t0ken"}
    basic = await client.get("/", auth=("ana", "pw"))
    assert basic.json["auth"] == "Basic YW5hOnB3"
