"""The chat room's tests as a Quart user writes them (run on Quart by
``tests/app_framework/test_port.py``; ``test_chat.py`` is their port)."""

from __future__ import annotations

import pytest
from quart import Quart
from quart.testing import WebsocketResponseError

from .quart_chat import create_app


@pytest.fixture
def app() -> Quart:
    app = create_app()
    app.config["TESTING"] = True
    return app


async def test_the_page_shows_the_room_as_text(app: Quart) -> None:
    client = app.test_client()
    response = await client.get("/rooms/%3Cb%3Ehi")
    assert response.status_code == 200
    page = await response.get_data(as_text=True)
    assert "#&lt;b&gt;hi" in page
    assert "<b>" not in page


async def test_members_hear_each_other(app: Quart) -> None:
    client = app.test_client()
    async with client.websocket("/ws/lobby?name=ada") as ada:
        assert await ada.receive_json() == {"joined": "lobby", "as": "ada"}
        async with client.websocket("/ws/lobby?name=bob") as bob:
            assert await bob.receive_json() == {"joined": "lobby", "as": "bob"}
            await ada.send("hello")
            assert await ada.receive() == "ada: hello"
            assert await bob.receive() == "ada: hello"
            await bob.send(b"bytes too")
            assert await ada.receive() == "bob: bytes too"
        await ada.send("bob left")
        assert await ada.receive() == "ada: bob left"
        assert len(app.extensions["broker"].rooms["lobby"]) == 1
    assert app.extensions["broker"].rooms == {}


async def test_rooms_are_apart(app: Quart) -> None:
    client = app.test_client()
    async with client.websocket("/ws/a?name=ada") as ada:
        await ada.receive_json()
        async with client.websocket("/ws/b?name=bob") as bob:
            await bob.receive_json()
            await bob.send("only b")
            assert await bob.receive() == "bob: only b"
            await ada.send("only a")
            assert await ada.receive() == "ada: only a"


async def test_a_name_is_required(app: Quart) -> None:
    client = app.test_client()
    async with client.websocket("/ws/lobby") as anonymous:
        with pytest.raises(WebsocketResponseError) as refused:
            await anonymous.receive()
    assert refused.value.response.status_code == 401
    assert app.extensions["broker"].rooms == {}
