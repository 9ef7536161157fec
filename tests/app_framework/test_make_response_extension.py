"""The surface an extension builds on, written as an extension's author
writes against Quart: an overridden ``make_response``, the
``wrappers.request`` / ``response`` / ``websocket`` modules, a ``Request``
built from its parts, and the rules ``url_map.iter_rules()`` yields."""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass
from typing import Any

import pytest
from werkzeug.datastructures import Headers

from app_framework import App, abort, make_response
from app_framework.testing import WebsocketResponseError


@dataclass
class Parcel:
    weight_kg: float
    label: str


def unpack_parcels(rv: Any) -> Any:
    """A dataclass (alone or first in a tuple) becomes a dict: JSON."""
    if isinstance(rv, tuple) and rv and isinstance(rv[0], Parcel):
        return (asdict(rv[0]), *rv[1:])
    if isinstance(rv, Parcel):
        return asdict(rv)
    return rv


class ParcelApp(App):
    async def make_response(self, rv: Any) -> Any:
        return await super().make_response(unpack_parcels(rv))


def add_parcel_routes(app: App) -> None:
    @app.get("/parcel")
    async def parcel() -> Any:
        return Parcel(2.5, "books")

    @app.post("/parcel")
    async def new_parcel() -> Any:
        return Parcel(0.4, "letter"), 201, {"X-Depot": "north"}

    @app.get("/lost")
    async def lost() -> Any:
        abort(410)

    @app.errorhandler(410)
    async def gone(error: Exception) -> Any:
        return Parcel(0.0, "lost"), 410

    @app.get("/plain")
    async def plain() -> str:
        return "unchanged"


async def test_a_subclass_make_response_turns_dataclasses_into_json() -> None:
    app = ParcelApp(__name__)
    add_parcel_routes(app)
    async with app.test_client() as client:
        fetched = await client.get("/parcel")
        assert fetched.json == {"weight_kg": 2.5, "label": "books"}
        assert fetched.headers["Content-Type"] == "application/json"
        posted = await client.post("/parcel")
        assert (posted.status_code, posted.headers["X-Depot"]) == (201, "north")
        assert posted.json == {"weight_kg": 0.4, "label": "letter"}
        assert (await client.get("/plain")).text == "unchanged"
        # An error handler's return value goes the same way.
        lost = await client.get("/lost")
        assert (lost.status_code, lost.json["label"]) == (410, "lost")


async def test_an_extension_wraps_make_response_in_init_app() -> None:
    class ParcelExtension:
        def init_app(self, app: App) -> None:
            original = app.make_response

            async def wrapped(rv: Any) -> Any:
                return await original(unpack_parcels(rv))

            app.make_response = wrapped  # type: ignore[method-assign]

    app = App(__name__)
    add_parcel_routes(app)
    ParcelExtension().init_app(app)
    async with app.test_client() as client:
        assert (await client.get("/parcel")).json["weight_kg"] == 2.5
        lost = await client.get("/lost")
        assert (lost.status_code, lost.json["label"]) == (410, "lost")


async def test_a_sync_override_and_the_make_response_helper() -> None:
    seen: list[Any] = []

    class CountingApp(App):
        def make_response(self, rv: Any) -> Any:
            seen.append(rv)
            return super().make_response(unpack_parcels(rv))

    app = CountingApp(__name__)
    add_parcel_routes(app)

    @app.get("/wrapped")
    async def wrapped() -> Any:
        response = make_response(Parcel(9.0, "crate"), 202)
        response.headers["X-Wrapped"] = "yes"
        return response

    async with app.test_client() as client:
        assert (await client.get("/parcel")).json["label"] == "books"
        answer = await client.get("/wrapped")
        assert answer.status_code == 202
        assert (answer.headers["X-Wrapped"], answer.json["label"]) == ("yes", "crate")
    assert seen[0] == Parcel(2.5, "books")


async def test_make_response_called_both_ways() -> None:
    app = App(__name__)
    async with app.app_context():
        flask_way = app.make_response(("made", 203))
        assert (flask_way.status_code, flask_way.get_data()) == (203, b"made")
        quart_way = await app.make_response({"made": True})
        assert quart_way.status_code == 200
        assert quart_way.get_json() == {"made": True}


async def test_an_override_that_returns_no_response_says_what_to_write() -> None:
    class ForgetfulApp(App):
        async def make_response(self, rv: Any) -> Any:
            return unpack_parcels(rv)  # forgot to call super()

    app = ForgetfulApp(__name__)
    app.testing = True
    add_parcel_routes(app)
    async with app.test_client() as client:
        with pytest.raises(TypeError, match=r"return await super\(\).make_response"):
            await client.get("/parcel")


async def test_an_override_refuses_a_websocket_handshake_too() -> None:
    app = ParcelApp(__name__)

    @app.websocket("/feed")
    async def feed() -> Any:
        return Parcel(1.0, "refused"), 403

    async with app.test_client() as client:
        with pytest.raises(WebsocketResponseError) as refused:
            async with client.websocket("/feed") as ws:
                await ws.receive()
    assert refused.value.status_code == 403
    assert json.loads(refused.value.text) == {"weight_kg": 1.0, "label": "refused"}


def test_the_wrappers_modules_sit_at_quarts_paths() -> None:
    import app_framework
    from app_framework import wrappers
    from app_framework.wrappers.request import Body, Request
    from app_framework.wrappers.response import Response
    from app_framework.wrappers.websocket import Websocket

    assert (Request, Response, Websocket) == (
        app_framework.Request,
        app_framework.Response,
        app_framework.Websocket,
    )
    assert wrappers.Body is Body and wrappers.Request is Request
    # The old flat module's names are all still there.
    for name in ("Connection", "NotLoadedError", "ResponseHeaders", "route_path"):
        assert hasattr(wrappers, name), name


@pytest.fixture
def bare_scope() -> dict[str, Any]:
    """What a server adds to a scope beyond the request's own parts."""
    return {
        "type": "http",
        "asgi": {"version": "3.0"},
        "client": ("10.1.2.3", 51000),
        "server": ("shop.test", 8443),
        "state": {},
    }


async def test_a_request_built_from_quarts_parts(bare_scope: dict[str, Any]) -> None:
    from app_framework.wrappers.request import Request

    headers = Headers({"Host": "shop.test:8443", "X-Till": "7"})
    headers.add("Accept", "text/plain")
    request = Request(
        "post",
        "https",
        "/basket/42",
        b"coupon=SPRING&coupon=VIP",
        headers,
        "/shop",
        "2",
        bare_scope,
        max_content_length=1024,
    )
    assert (request.method, request.scheme, request.path) == (
        "POST",
        "https",
        "/basket/42",
    )
    assert request.full_path == "/basket/42?coupon=SPRING&coupon=VIP"
    assert request.args.getlist("coupon") == ["SPRING", "VIP"]
    assert (
        request.url == "https://shop.test:8443/shop/basket/42?coupon=SPRING&coupon=VIP"
    )
    assert (request.headers["X-Till"], request.accept_mimetypes.best) == (
        "7",
        "text/plain",
    )
    assert request.remote_addr == "10.1.2.3"
    assert request.max_content_length == 1024
    assert bare_scope["state"] is request.scope["state"]  # the server's scope kept
    # No receive given: the body is Quart's, filled by whoever built it;
    # completing it empty gives an empty body (HTTP/2 has no framing to say so).
    request.body.set_complete()
    assert await request.get_data() == b""


async def test_a_quart_built_request_reads_the_body_it_is_given(
    bare_scope: dict[str, Any],
) -> None:
    from app_framework.wrappers.request import Request

    messages = [
        {"type": "http.request", "body": b"size=L&", "more_body": True},
        {"type": "http.request", "body": b"size=XL", "more_body": False},
    ]

    async def receive() -> dict[str, Any]:
        return messages.pop(0)

    form_headers = Headers(
        {"Content-Type": "application/x-www-form-urlencoded", "Content-Length": "14"}
    )
    request = Request(
        "PUT",
        "http",
        "/sizes",
        b"",
        form_headers,
        "",
        "1.1",
        receive=receive,
        scope=bare_scope,
    )
    assert (await request.form).getlist("size") == ["L", "XL"]


def test_the_asgi_constructor_and_wrong_arguments(bare_scope: dict[str, Any]) -> None:
    from app_framework.wrappers.request import Request

    assert Request(bare_scope, None, max_content_length=9).max_content_length == 9
    with pytest.raises(TypeError, match="Quart's .method, scheme, path"):
        Request("GET", "http", "/", b"")  # headers and the rest missing
    with pytest.raises(TypeError, match="anyio.fail_after"):
        Request("GET", "http", "/", b"", Headers(), "", "1.1", body_timeout=3)


async def test_a_websocket_built_from_quarts_parts(bare_scope: dict[str, Any]) -> None:
    from app_framework.wrappers.websocket import Websocket

    sent: list[dict[str, Any]] = []

    async def receive() -> dict[str, Any]:
        return {"type": "websocket.receive", "text": "ping"}

    async def send(message: dict[str, Any]) -> None:
        sent.append(message)

    async def unused(*args: Any) -> None:
        raise AssertionError("accepting and closing go through send")

    app = App(__name__)
    async with app.app_context():
        ws = Websocket(
            "/live",
            b"room=3",
            "wss",
            Headers({"Host": "shop.test"}),
            "",
            "1.1",
            ["chat.v2"],
            receive,
            send,
            unused,
            unused,
            bare_scope,
        )
    assert ws.url == "wss://shop.test/live?room=3"
    assert (ws.args["room"], ws.requested_subprotocols) == ("3", ["chat.v2"])
    await ws.accept(subprotocol="chat.v2")
    await ws.close(1001)
    assert [m["type"] for m in sent] == ["websocket.accept", "websocket.close"]
    with pytest.raises(RuntimeError, match="pass app=app"):
        Websocket(
            "/live",
            b"",
            "ws",
            Headers(),
            "",
            "1.1",
            [],
            receive,
            send,
            unused,
            unused,
            bare_scope,
        )


def test_rules_read_as_an_openapi_generator_reads_them() -> None:
    app = App(__name__, host_matching=True, static_folder=None)

    @app.get("/stock/<int:sku>", host="api.shop.test")
    async def stock(sku: int) -> str:
        return ""

    @app.websocket("/stock/feed", host="api.shop.test")
    async def stock_feed() -> None:
        pass

    documented = {}
    for rule in app.url_map.iter_rules():
        if rule.websocket:
            continue
        methods = {
            method
            for method in rule.methods
            if method != "HEAD"
            and not (method == "OPTIONS" and rule.provide_automatic_options)
        }
        documented[rule.rule] = (rule.host, rule.endpoint, methods)
    assert documented == {"/stock/<int:sku>": ("api.shop.test", "stock", {"GET"})}
