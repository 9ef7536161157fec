"""The test client as Quart users and Quart extension authors drive it:
``client.cookie_jar``, ``set_cookie(server_name, ...)`` beside Flask's
``set_cookie(key, ...)``, one cookie rule for requests, websockets and
session transactions, repeated headers, ``app.test_app()``, ``scope_base=``
and ``sentinel``."""

from __future__ import annotations

from collections.abc import AsyncIterator

import anyio
import click
import pytest

from app_framework import App, Response, redirect, request, session, url_for, websocket
from app_framework.cli import ScriptInfo, pass_script_info
from app_framework.testing import EnvironBuilder, TestApp, sentinel


@pytest.fixture
def shop() -> App:
    """An app that shows the cookies each request brought, and hands some out."""
    app = App(__name__)
    app.config["SECRET_KEY"] = "a test key long enough to sign cookies with"

    @app.route("/", defaults={"rest": ""})
    @app.route("/<path:rest>")
    async def show(rest: str) -> dict[str, str]:
        return dict(request.cookies)

    @app.route("/basket/fill")
    async def fill() -> Response:
        response = Response("filled")
        response.set_cookie("basket", "three-pears")
        return response

    @app.route("/basket/keep")
    async def keep() -> Response:
        response = Response("kept")
        response.set_cookie("basket", "three-pears", max_age=600)
        return response

    return app


# -- 1. the jar, and cookies set by hand -------------------------------------


async def test_cookie_jar_iterates_the_cookies_the_app_set(shop: App) -> None:
    client = shop.test_client()
    await client.get("/basket/fill")
    kept = list(client.cookie_jar or ())
    assert [(c.name, c.value) for c in kept] == [("basket", "three-pears")]
    assert kept[0].expires is None  # a session cookie
    await client.get("/basket/keep")
    assert next(iter(client.cookie_jar or ())).expires is not None


async def test_cookie_jar_is_none_without_cookies(shop: App) -> None:
    client = shop.test_client(use_cookies=False)
    assert client.cookie_jar is None
    with pytest.raises(TypeError, match="use_cookies=True"):
        client.set_cookie("localhost", "basket", "two-figs")


async def test_quart_set_cookie_then_delete_cookie(shop: App) -> None:
    client = shop.test_client()
    client.set_cookie("localhost", "basket", "two-figs", path="/shop")
    assert (await client.get("/shop/till")).json() == {"basket": "two-figs"}
    assert (await client.get("/elsewhere")).json() == {}  # outside its path
    client.delete_cookie("localhost", "basket", path="/shop")
    assert (await client.get("/shop/till")).json() == {}


async def test_quart_server_name_none_means_the_host_requests_go_to() -> None:
    # quart-auth's authenticated_client passes its cookie domain, None by
    # default, as the server name.
    app = App(__name__)
    app.config["SERVER_NAME"] = "market.test"

    @app.route("/")
    async def show() -> dict[str, str]:
        return dict(request.cookies)

    client = app.test_client()
    client.set_cookie(None, "stall", "nine", domain=None, httponly=True)
    assert (await client.get("/")).json() == {"stall": "nine"}
    client.delete_cookie(None, "stall", domain=None)
    assert (await client.get("/")).json() == {}


async def test_quart_set_cookie_all_positional(shop: App) -> None:
    client = shop.test_client()
    client.set_cookie("localhost", "basket", "plums", 60, None, "/")
    cookie = client.get_cookie("basket")
    assert cookie is not None
    assert (cookie.value, cookie.path) == ("plums", "/")
    assert cookie.expires is not None


async def test_flask_set_get_and_delete_cookie(shop: App) -> None:
    client = shop.test_client()
    client.set_cookie("basket", value="four-limes", httponly=True, samesite="Lax")
    assert (await client.get("/")).json() == {"basket": "four-limes"}
    cookie = client.get_cookie("basket")
    assert cookie is not None
    assert (cookie.decoded_value, cookie.http_only, cookie.same_site) == (
        "four-limes",
        True,
        "Lax",
    )
    assert client.get_cookie("basket", path="/other") is None
    client.delete_cookie("basket")
    assert client.get_cookie("basket") is None
    assert (await client.get("/")).json() == {}


async def test_flask_key_only_sets_an_empty_cookie(shop: App) -> None:
    client = shop.test_client()
    client.set_cookie("seen")
    assert (await client.get("/")).json() == {"seen": ""}


async def test_get_cookie_reads_what_the_app_set(shop: App) -> None:
    client = shop.test_client()
    await client.get("/basket/fill")
    cookie = client.get_cookie("basket")
    assert cookie is not None and cookie.value == "three-pears"


async def test_two_positional_arguments_are_quarts_server_name_and_key(
    shop: App,
) -> None:
    client = shop.test_client()
    client.set_cookie("localhost", "seen")
    assert (await client.get("/")).json() == {"seen": ""}


async def test_flask_key_and_value_positionally_is_refused_with_the_fix(
    shop: App,
) -> None:
    client = shop.test_client()
    with pytest.raises(TypeError, match=r"set_cookie\('basket', value='figs'\)"):
        client.set_cookie("basket", "figs")
    assert list(client.cookie_jar or ()) == []


async def test_set_cookie_arguments_fitting_neither_spelling(shop: App) -> None:
    client = shop.test_client()
    with pytest.raises(TypeError, match="server_name, key"):
        client.set_cookie("basket", colour="red")


# -- 2. one cookie rule: requests, websockets, session transactions ----------


@pytest.fixture
def locker() -> App:
    """An app whose session cookie is Secure, with a websocket that reports
    the cookies and session it was opened with."""
    app = App(__name__)
    app.config["SECRET_KEY"] = "a test key long enough to sign cookies with"
    app.config["SESSION_COOKIE_SECURE"] = True

    @app.route("/open/<code>")
    async def open_locker(code: str) -> str:
        session["code"] = code
        return "opened"

    @app.route("/open/<code>/then-check")
    async def open_then_check(code: str) -> Response:
        session["code"] = code
        return redirect("/code")

    @app.route("/code")
    async def code() -> str:
        return str(session.get("code"))

    @app.websocket("/lockers/live")
    async def live() -> None:
        await websocket.accept()
        await websocket.send_json(
            {"cookies": sorted(websocket.cookies), "code": session.get("code")}
        )

    return app


async def test_secure_cookie_goes_over_http_to_localhost(locker: App) -> None:
    client = locker.test_client()
    await client.get("/open/4411")
    assert (await client.get("/code")).text == "4411"


async def test_secure_cookie_goes_with_a_followed_redirect(locker: App) -> None:
    client = locker.test_client()
    response = await client.get("/open/12/then-check", follow_redirects=True)
    assert response.text == "12"


async def test_secure_cookie_stays_off_plain_http_to_another_host(
    locker: App,
) -> None:
    locker.config["SERVER_NAME"] = "lockers.example"
    client = locker.test_client()
    await client.get("/open/4411")
    assert (await client.get("/code")).text == "None"
    assert (await client.get("https://lockers.example/code")).text == "4411"


async def test_websocket_gets_the_secure_session_over_ws_localhost(
    locker: App,
) -> None:
    client = locker.test_client()
    await client.get("/open/90")
    async with client.websocket("/lockers/live") as ws:
        assert await ws.receive_json() == {"cookies": ["session"], "code": "90"}


async def test_websocket_honours_cookie_paths(locker: App) -> None:
    client = locker.test_client()
    client.set_cookie("localhost", "staff", "yes", path="/staff")
    client.set_cookie("localhost", "visitor", "yes", path="/lockers")
    async with client.websocket("/lockers/live") as ws:
        assert (await ws.receive_json())["cookies"] == ["visitor"]


async def test_session_transaction_reads_the_secure_session(locker: App) -> None:
    client = locker.test_client()
    await client.get("/open/77")
    async with client.session_transaction() as sess:
        assert sess["code"] == "77"
        sess["code"] = "78"
    assert (await client.get("/code")).text == "78"


# -- 3. repeated response headers --------------------------------------------


async def test_repeated_header_reads_as_its_first_value() -> None:
    # Two limits each add their own Retry-After, as quart-rate-limiter's
    # stacked decorators do; the test reads the first, as in Quart.
    app = App(__name__)

    @app.route("/busy")
    async def busy() -> Response:
        response = Response("slow down", status=429)
        response.headers.add("Retry-After", "5")
        response.headers.add("Retry-After", "60")
        return response

    rv = await app.test_client().get("/busy")
    assert rv.headers["Retry-After"] == "5"
    assert rv.headers.get("retry-after") == "5"
    assert rv.headers.getlist("Retry-After") == ["5", "60"]
    assert rv.headers.get("X-Absent", "none") == "none"
    with pytest.raises(KeyError):
        rv.headers["X-Absent"]


# -- 4. app.test_app(): the app serving around a test ------------------------


def _kitchen() -> tuple[App, list[str]]:
    """An app whose serving hooks write to a log, and whose one route needs
    the oven the start-up lit."""
    app = App(__name__)
    log: list[str] = []
    oven: dict[str, bool] = {}

    @app.before_serving
    async def light() -> None:
        oven["lit"] = True
        log.append("lit")

    @app.after_serving
    async def douse() -> None:
        oven.clear()
        log.append("doused")

    @app.route("/bake")
    async def bake() -> str:
        return "bread" if oven.get("lit") else "dough"

    return app, log


async def test_test_app_serves_around_the_block() -> None:
    app, log = _kitchen()
    async with app.test_app() as test_app:
        assert log == ["lit"]
        client = test_app.test_client()
        assert (await client.get("/bake")).text == "bread"
    assert log == ["lit", "doused"]
    assert (await app.test_client().get("/bake")).text == "dough"


@pytest.fixture
async def serving_kitchen() -> AsyncIterator[tuple[App, list[str]]]:
    # The fixture shape quart-rate-limiter's tests use.
    app, log = _kitchen()
    async with app.test_app():
        yield app, log


async def test_clients_inside_test_app_do_not_start_it_again(
    serving_kitchen: tuple[App, list[str]],
) -> None:
    app, log = serving_kitchen
    async with app.test_client() as client:
        assert (await client.get("/bake")).text == "bread"
    assert log == ["lit"]  # neither lit again nor doused by the client


async def test_test_app_raises_the_failing_start_up_hook() -> None:
    app = App(__name__)

    @app.before_serving
    async def broken() -> None:
        raise LookupError("no gas")

    with pytest.raises(LookupError, match="no gas"):
        async with app.test_app():
            pass


async def test_test_app_shuts_down_when_the_block_fails() -> None:
    app, log = _kitchen()
    with pytest.raises(ZeroDivisionError):
        async with app.test_app():
            1 / 0  # noqa: B018
    assert log == ["lit", "doused"]


async def test_test_app_start_up_timeout() -> None:
    app = App(__name__)
    never = anyio.Event()

    @app.before_serving
    async def stuck() -> None:
        await never.wait()

    with pytest.raises(TimeoutError):
        async with TestApp(app, startup_timeout=0.05):
            pass


# -- 5. scope_base=, sentinel, pass_script_info ------------------------------


@pytest.fixture
def door() -> App:
    """An app that tells who knocked, from the ASGI scope."""
    app = App(__name__)

    @app.route("/knock", methods=["GET", "POST"])
    async def knock() -> dict[str, object]:
        return {
            "from": request.remote_addr,
            "tag": request.scope.get("door.tag"),
            "body": (await request.get_data()).decode(),
        }

    @app.websocket("/peephole")
    async def peephole() -> None:
        await websocket.accept()
        await websocket.send_json(
            {"from": websocket.remote_addr, "tag": websocket.scope.get("door.tag")}
        )

    return app


async def test_scope_base_on_requests(door: App) -> None:
    client = door.test_client()
    # quart-rate-limiter tells callers apart by a one-item client tuple.
    first = await client.get("/knock", scope_base={"client": ("10.1.1.1",)})
    other = await client.post("/knock", scope_base={"client": ("10.1.1.2", 443)})
    assert (first.json()["from"], other.json()["from"]) == ("10.1.1.1", "10.1.1.2")
    tagged = await client.open("/knock", method="POST", scope_base={"door.tag": 3})
    assert tagged.json()["tag"] == 3
    built = EnvironBuilder(door, "/knock")
    tagged = await client.open(built, scope_base={"door.tag": "green"})
    assert tagged.json()["tag"] == "green"


async def test_scope_base_on_websockets_and_test_request_context(door: App) -> None:
    client = door.test_client()
    base = {"client": ("10.9.9.9", 1), "door.tag": "blue"}
    async with client.websocket("/peephole", scope_base=base) as ws:
        assert await ws.receive_json() == {"from": "10.9.9.9", "tag": "blue"}
    async with door.test_request_context("/knock", scope_base=base):
        assert request.remote_addr == "10.9.9.9"
        assert request.scope["door.tag"] == "blue"


async def test_sentinel_means_no_json_body(door: App) -> None:
    # A client subclass (as quart-schema's mixin) passes json=sentinel on
    # when the test gave no JSON.
    client = door.test_client()
    rv = await client.post("/knock", json=sentinel, data="plain")
    assert rv.json()["body"] == "plain"
    async with door.test_request_context("/knock", method="POST", json=sentinel):
        assert await request.get_data() == b""


def test_pass_script_info_hands_an_extension_command_the_app(door: App) -> None:
    @click.command("door-name")
    @pass_script_info
    def door_name(info: ScriptInfo) -> None:
        click.echo(info.load_app().name)

    result = door.test_cli_runner().invoke(door_name)
    assert result.output == f"{door.name}\n"


async def test_response_data_is_bytes_and_awaitable() -> None:
    """Flask reads ``response.data``; Quart awaits it: both give the body."""
    kiosk = App(__name__)

    @kiosk.get("/ticket")
    async def ticket() -> str:
        return "seat 14C"

    response = await kiosk.test_client().get("/ticket")
    assert response.data == b"seat 14C"
    assert await response.data == b"seat 14C"


async def test_test_request_context_takes_quarts_root_path() -> None:
    store = App("store")

    @store.route("/item/<int:number>")
    async def item(number: int) -> str:
        return str(number)

    async with store.test_request_context("/item/7", root_path="/store/"):
        assert request.path == "/item/7" and request.view_args == {"number": 7}
        assert request.root_path == "/store"
        assert request.url == "http://localhost/store/item/7"
        assert url_for("item", number=8) == "/store/item/8"
