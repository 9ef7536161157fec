"""Application and request contexts, and the proxies."""

from __future__ import annotations

from typing import Any

import pytest

from app_framework import (
    App,
    current_app,
    g,
    has_app_context,
    has_request_context,
    request,
    session,
    signals,
)
from app_framework.globals import app_ctx, request_ctx
from app_framework.testing import TestClient


async def test_app_context_makes_current_app_and_g_available(app: App) -> None:
    assert not has_app_context()
    async with app.app_context():
        assert has_app_context()
        assert current_app._get_current_object() is app
        assert current_app.name == "test_app"
        g.value = 1
        assert g.get("value") == 1 and "value" in g
        assert g.pop("value") == 1
        assert g.setdefault("other", 2) == 2
        assert list(g) == ["other"]
        del g.other
        with pytest.raises(AttributeError):
            g.missing  # noqa: B018
    assert not has_app_context()


async def test_each_app_context_has_its_own_g(app: App) -> None:
    async with app.app_context():
        g.name = "outer"
        async with app.app_context():
            assert "name" not in g
            g.name = "inner"
        assert g.name == "outer"


async def test_nested_push_of_the_same_context_tears_down_once(app: App) -> None:
    torn: list[Any] = []
    app.teardown_appcontext(torn.append)
    ctx = app.app_context()
    await ctx.push()
    await ctx.push()
    await ctx.pop()
    assert torn == [] and has_app_context()
    await ctx.pop()
    assert torn == [None] and not has_app_context()


async def test_popping_a_context_that_is_not_on_top_raises(app: App) -> None:
    outer, inner = app.app_context(), app.app_context()
    await outer.push()
    await inner.push()
    with pytest.raises(RuntimeError, match="Popped wrong app context"):
        await outer.pop()
    await inner.pop()
    await outer.pop()


async def test_popping_a_request_context_that_is_not_on_top_raises(app: App) -> None:
    ctx = app.test_request_context("/")
    with pytest.raises(RuntimeError, match="Popped wrong request context"):
        await ctx.pop()


async def test_exception_in_the_block_reaches_teardown(app: App) -> None:
    seen: list[Any] = []
    app.teardown_appcontext(seen.append)
    with pytest.raises(KeyError):
        async with app.app_context():
            raise KeyError("inside")
    assert isinstance(seen[0], KeyError)


async def test_proxies_outside_a_context_say_how_to_fix_it() -> None:
    with pytest.raises(RuntimeError, match="app.app_context"):
        current_app.name  # noqa: B018
    with pytest.raises(RuntimeError, match="test_request_context"):
        request.path  # noqa: B018
    with pytest.raises(RuntimeError, match="outside of application context"):
        g.x = 1
    assert not g
    # Outside a context, the repr is werkzeug's for an unbound LocalProxy.
    assert repr(request) == repr(g) == "<LocalProxy unbound>"


async def test_test_request_context(app: App) -> None:
    @app.route("/users/<int:user_id>", methods=["POST"])
    async def user(user_id: int) -> str:
        return ""

    async with app.test_request_context(
        "/users/7?q=1", method="POST", json={"a": 1}, headers={"X-Test": "yes"}
    ):
        assert has_request_context() and has_app_context()
        assert request.path == "/users/7"
        assert request.args["q"] == "1"
        assert request.view_args == {"user_id": 7}
        assert request.endpoint == "user"
        assert request.headers["x-test"] == "yes"
        assert await request.get_json() == {"a": 1}
        assert session == {} and len(session) == 0
        session["k"] = "v"
        assert "k" in session and session["k"] == "v"
        assert list(iter(session)) == ["k"]
        del session["k"]
        assert session != {"k": "v"} and session == {}
    assert not has_request_context()


async def test_request_shares_an_already_pushed_app_context(app: App) -> None:
    pushed: list[Any] = []
    async with app.app_context():
        g.from_outer = True
        with signals.appcontext_pushed.connected_to(pushed.append, app):
            async with app.test_request_context("/"):
                assert g.from_outer is True
        assert has_app_context()
    assert pushed == []


async def test_a_faulty_appcontext_pushed_receiver_leaves_nothing_pushed(
    app: App,
) -> None:
    def broken(sender: App) -> None:
        raise RuntimeError("receiver bug")

    with (
        signals.appcontext_pushed.connected_to(broken, app),
        pytest.raises(RuntimeError),
    ):
        async with app.app_context():
            raise AssertionError("never entered")
    assert not has_app_context()


async def test_repr(app: App) -> None:
    assert repr(app.app_context()) == "<AppContext of 'test_app'>"
    assert repr(app.test_request_context("/x")) == "<RequestContext GET '/x'>"
    async with app.app_context():
        assert repr(g) == "<app_framework.g of 'test_app'>"
        namespace = g._get_current_object()
    assert repr(namespace).startswith("<app_framework.ctx.AppGlobals object at ")


async def test_app_ctx_globals_methods(app: App) -> None:
    async with app.app_context():
        # get
        assert g.get("foo") is None
        assert g.get("foo", "bar") == "bar"
        # __contains__
        assert "foo" not in g
        g.foo = "bar"
        assert "foo" in g
        # setdefault
        g.setdefault("bar", "the cake is a lie")
        g.setdefault("bar", "hello world")
        assert g.bar == "the cake is a lie"
        # pop
        assert g.pop("bar") == "the cake is a lie"
        with pytest.raises(KeyError):
            g.pop("bar")
        assert g.pop("bar", "more cake") == "more cake"
        # __iter__
        assert list(g) == ["foo"]
        # __repr__
        assert repr(g) == "<app_framework.g of 'test_app'>"


async def test_g_reports_missing_names(app: App) -> None:
    async with app.app_context():
        with pytest.raises(AttributeError):
            del g.missing
        with pytest.raises(KeyError):
            g.pop("missing")
        assert g.pop("missing", "default") == "default"


async def test_a_failing_session_interface_leaves_nothing_pushed(app: App) -> None:
    from app_framework.sessions import SecureCookieSessionInterface, Session

    class Broken(SecureCookieSessionInterface):
        async def open_session(self, app: App, request: object) -> Session:
            raise ConnectionError("session store down")

    app.session_interface = Broken()
    with pytest.raises(ConnectionError):
        async with app.test_request_context("/"):
            raise AssertionError("never entered")
    assert not has_request_context() and not has_app_context()


async def test_request_ctx_and_app_ctx_name_the_pushed_contexts(
    app: App, client: TestClient
) -> None:
    assert not request_ctx and not app_ctx
    with pytest.raises(RuntimeError, match=r"^Working outside of request context\."):
        request_ctx.session  # noqa: B018
    with pytest.raises(RuntimeError, match=r"^Working outside of application context"):
        app_ctx.g  # noqa: B018

    async with app.app_context() as outer:
        assert app_ctx == outer and app_ctx.app is app
        app_ctx.g.marker = "set through app_ctx"
        assert g.marker == "set through app_ctx"
        assert not request_ctx

    async with app.test_request_context("/orders?page=3") as ctx:
        assert request_ctx == ctx
        assert request_ctx.request.args["page"] == "3"
        request_ctx.session["cart"] = [1]
        assert session["cart"] == [1]
        assert app_ctx.app is app

    @app.get("/who")
    async def who() -> str:
        request_ctx.session["seen"] = True
        return f"{request_ctx.request.path} on {app_ctx.app.name}"

    response = await client.get("/who")
    assert response.text == "/who on test_app"
    assert "session" in response.headers["set-cookie"]


async def test_a_request_context_from_a_wsgi_environ(app: App) -> None:
    from werkzeug.test import EnvironBuilder as WerkzeugBuilder

    from app_framework import request

    @app.post("/orders/<int:number>")
    async def order(number: int) -> dict[str, Any]:
        form = await request.form
        return {"n": number, "qty": form["qty"], "host": request.host}

    environ = WerkzeugBuilder(
        "/orders/12",
        base_url="https://shop.example:8443",
        method="POST",
        data={"qty": "3"},
        headers=[("X-Trace", "t-1")],
        environ_base={"REMOTE_ADDR": "10.1.2.3"},
    ).get_environ()
    async with app.request_context(environ) as ctx:
        assert request.method == "POST" and request.path == "/orders/12"
        assert request.scheme == "https" and request.remote_addr == "10.1.2.3"
        assert request.headers["X-Trace"] == "t-1"
        assert request.endpoint == "order" and ctx.request is request_ctx.request
        response = await app.full_dispatch_request()
    assert response.status_code == 200
    assert response.body == b'{"host":"shop.example:8443","n":12,"qty":"3"}\n'
    unicode_host = WerkzeugBuilder("/orders/1", method="POST", data={"qty": "1"})
    environ = unicode_host.get_environ()
    environ["HTTP_HOST"] = "bücher.example"  # not latin-1: still served
    async with app.request_context(environ):
        assert (await app.full_dispatch_request()).status_code == 200
