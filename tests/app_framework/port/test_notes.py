"""The port of ``flask_notes_tests.py``: imports renamed, async/await
added, nothing else (``tests/app_framework/test_port.py`` checks that)."""

from __future__ import annotations

import pytest

from app_framework import App, session
from app_framework.testing import TestClient

from .notes import create_app


@pytest.fixture
def app() -> App:
    return create_app({"TESTING": True})


@pytest.fixture
def client(app: App) -> TestClient:
    return app.test_client()


async def login(client: TestClient, name: str = "ada") -> None:
    await client.post("/login", data={"name": name})


async def test_login_flashes_and_keeps_the_user(client: TestClient) -> None:
    async with client:
        response = await client.post(
            "/login", data={"name": "ada"}, follow_redirects=True
        )
        assert session["user"] == "ada"
    assert b"Welcome, ada!" in response.data
    assert "<h1>ada</h1>" in response.get_data(as_text=True)


async def test_login_needs_a_name(client: TestClient) -> None:
    assert (await client.post("/login", data={"name": " "})).status_code == 400
    assert (await client.post("/login", data={})).status_code == 400


async def test_notes_need_a_user(client: TestClient) -> None:
    assert (await client.post("/notes", json={"text": "x"})).status_code == 401


async def test_add_and_read_notes(client: TestClient) -> None:
    await login(client)
    response = await client.post("/notes", json={"text": "buy milk"})
    assert response.status_code == 201
    assert response.get_json() == {"id": 1, "text": "buy milk", "author": "ada"}
    assert response.headers["X-Notes"] == "1"
    assert (await client.get("/notes/1")).json == {
        "id": 1,
        "text": "buy milk",
        "author": "ada",
    }
    assert (await client.get("/notes/2")).get_json() == {"error": "not found"}
    assert b"<li>buy milk</li>" in (await client.get("/")).data


async def test_search(client: TestClient) -> None:
    await login(client)
    for text in ("apple pie", "apple juice", "pear"):
        await client.post("/notes", json={"text": text})
    response = await client.get("/search", query_string={"q": "apple", "limit": 1})
    assert [note["text"] for note in response.get_json()] == ["apple pie"]


async def test_export_is_a_download(client: TestClient) -> None:
    await login(client)
    await client.post("/notes", json={"text": "one"})
    response = await client.get("/export.txt")
    assert response.headers["Content-Disposition"] == "attachment; filename=notes.txt"
    assert response.data == b"one"


async def test_session_transaction(client: TestClient) -> None:
    async with client.session_transaction() as sess:
        sess["user"] = "bob"
    response = await client.post("/notes", json={"text": "from bob"})
    assert response.get_json()["author"] == "bob"
