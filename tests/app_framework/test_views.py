"""Class-based views: View and MethodView."""

from __future__ import annotations

import functools
import threading
from collections.abc import Callable
from typing import Any

import pytest

from app_framework import App, Response, make_response, request
from app_framework.testing import TestClient
from app_framework.views import MethodView, View


class Greeting(View):
    methods = ["GET", "POST"]

    def __init__(self, greeting: str) -> None:
        self.greeting = greeting

    async def dispatch_request(self, name: str) -> str:
        return f"{self.greeting}, {name} ({request.method})"


class Items(MethodView):
    async def get(self, item_id: int | None = None) -> str:
        return f"get {item_id}"

    def post(self) -> str:  # sync: runs in a worker thread
        return f"post in {threading.current_thread() is not threading.main_thread()}"


def shout(view: Callable[..., Any]) -> Callable[..., Any]:
    async def wrapper(**kwargs: Any) -> str:
        return str(await view(**kwargs)).upper()

    return wrapper


class Loud(View):
    decorators = [shout]

    async def dispatch_request(self) -> str:
        return "quiet"


class Counter(View):
    init_every_request = False

    def __init__(self) -> None:
        self.count = 0

    def dispatch_request(self) -> str:
        self.count += 1
        return str(self.count)


async def test_views(app: App, client: TestClient) -> None:
    app.add_url_rule("/hello/<name>", view_func=Greeting.as_view("hello", "Hi"))
    items = Items.as_view("items")
    app.add_url_rule("/items/", view_func=items)
    app.add_url_rule("/items/<int:item_id>", view_func=items)
    app.add_url_rule("/loud", view_func=Loud.as_view("loud"))
    app.add_url_rule("/count", view_func=Counter.as_view("count"))
    assert (await client.get("/hello/ada")).text == "Hi, ada (GET)"
    assert (await client.post("/hello/bob")).text == "Hi, bob (POST)"
    assert (await client.get("/items/")).text == "get None"
    assert (await client.get("/items/3")).text == "get 3"
    assert (await client.post("/items/")).text == "post in True"
    assert (await client.delete("/items/")).status_code == 405
    head = await client.head("/items/")
    assert head.status_code == 200  # HEAD uses get()
    assert (await client.get("/loud")).text == "QUIET"
    assert [(await client.get("/count")).text for _ in range(3)] == ["1", "2", "3"]


def test_as_view_metadata() -> None:
    view = Greeting.as_view("hello", "Hi")
    assert view.__name__ == "hello" and view.view_class is Greeting  # type: ignore[attr-defined]
    assert view.methods == ["GET", "POST"]  # type: ignore[attr-defined]
    assert sorted(Items.methods or ()) == ["GET", "POST"]

    class More(Items):
        async def delete(self) -> str:
            return "deleted"

    assert sorted(More.methods or ()) == ["DELETE", "GET", "POST"]


async def test_a_view_without_its_method_is_a_clear_error(
    app: App, client: TestClient
) -> None:
    class Partial(MethodView):
        methods = ["GET", "PUT"]

        async def get(self) -> str:
            return "get"

    class Empty(View):
        pass

    app.add_url_rule("/partial", view_func=Partial.as_view("partial"))
    app.add_url_rule("/empty", view_func=Empty.as_view("empty"))
    import pytest

    with pytest.raises(NotImplementedError, match="Partial has no put"):
        await client.put("/partial")
    with pytest.raises(NotImplementedError, match="Empty must define dispatch_request"):
        await client.get("/empty")


async def test_replacing_view_class_changes_what_each_request_makes(
    app: App, client: TestClient
) -> None:
    def bracketed(view: Callable[..., Any]) -> Callable[..., Any]:
        async def wrapper(**kwargs: Any) -> str:
            return f"[{await view(**kwargs)}]"

        return wrapper

    class Inventory(View):
        decorators = [bracketed]

        def __init__(self, store: str) -> None:
            self.store = store

        async def dispatch_request(self, sku: str) -> str:
            return f"{self.store}: {sku} from the database"

    class FakeInventory(Inventory):
        async def dispatch_request(self, sku: str) -> str:
            return f"{self.store}: {sku} from a fake"

    class Counter(View):
        init_every_request = False

        def dispatch_request(self) -> str:
            return type(self).__name__

    class OtherCounter(Counter):
        pass

    inventory = Inventory.as_view("inventory", "north")
    counter = Counter.as_view("counter")
    app.add_url_rule("/stock/<sku>", view_func=inventory)
    app.add_url_rule("/count", view_func=counter)

    assert (await client.get("/stock/a1")).text == "[north: a1 from the database]"
    inventory.view_class = FakeInventory  # type: ignore[attr-defined]
    assert (await client.get("/stock/a1")).text == "[north: a1 from a fake]"
    # One instance, made by as_view: replacing the class changes nothing.
    counter.view_class = OtherCounter  # type: ignore[attr-defined]
    assert (await client.get("/count")).text == "Counter"


def stamped(view: Callable[..., Any]) -> Callable[..., Any]:
    """A sync decorator as Flask extensions write them: it builds a response
    from what the (here async) view returns, and sets a header on it."""

    @functools.wraps(view)
    def wrapper(**kwargs: Any) -> Response:
        response = make_response(view(**kwargs))
        response.headers["X-Stamp"] = "inked"
        return response

    return wrapper


def passed_along(view: Callable[..., Any]) -> Callable[..., Any]:
    """A sync decorator returning whatever the view returns: a coroutine."""

    @functools.wraps(view)
    def wrapper(**kwargs: Any) -> Any:
        return view(**kwargs)

    return wrapper


async def test_sync_decorators_around_async_views(app: App, client: TestClient) -> None:
    class Parcel(View):
        decorators = [stamped]

        async def dispatch_request(self, weight: int) -> str:
            return f"{weight} kg via {request.method}"

    @app.get("/letter")
    @passed_along
    async def letter() -> tuple[str, int]:
        return "sealed", 202

    app.add_url_rule("/parcel/<int:weight>", view_func=Parcel.as_view("parcel"))
    parcel = await client.get("/parcel/4")
    assert (parcel.text, parcel.headers["X-Stamp"]) == ("4 kg via GET", "inked")
    letter_response = await client.get("/letter")
    assert (letter_response.status_code, letter_response.text) == (202, "sealed")


async def test_make_response_of_a_coroutine_in_async_code_says_to_await(
    app: App, client: TestClient
) -> None:
    async def body() -> str:
        return "late"

    @app.get("/")
    async def index() -> Response:
        return make_response(body())

    with pytest.raises(TypeError, match=r"make_response\(await view"):
        await client.get("/")
