"""The Flask app's own tests, as a Flask user writes them: the original
that ``test_notes.py`` ports by renaming imports and adding async/await."""

from __future__ import annotations

import pytest
from flask import Flask, session
from flask.testing import FlaskClient

from .flask_notes import create_app


@pytest.fixture
def app() -> Flask:
    return create_app({"TESTING": True})


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    return app.test_client()


def login(client: FlaskClient, name: str = "ada") -> None:
    client.post("/login", data={"name": name})


def test_login_flashes_and_keeps_the_user(client: FlaskClient) -> None:
    with client:
        response = client.post("/login", data={"name": "ada"}, follow_redirects=True)
        assert session["user"] == "ada"
    assert b"Welcome, ada!" in response.data
    assert "<h1>ada</h1>" in response.get_data(as_text=True)


def test_login_needs_a_name(client: FlaskClient) -> None:
    assert client.post("/login", data={"name": " "}).status_code == 400
    assert client.post("/login", data={}).status_code == 400


def test_notes_need_a_user(client: FlaskClient) -> None:
    assert client.post("/notes", json={"text": "x"}).status_code == 401


def test_add_and_read_notes(client: FlaskClient) -> None:
    login(client)
    response = client.post("/notes", json={"text": "buy milk"})
    assert response.status_code == 201
    assert response.get_json() == {"id": 1, "text": "buy milk", "author": "ada"}
    assert response.headers["X-Notes"] == "1"
    assert client.get("/notes/1").json == {"id": 1, "text": "buy milk", "author": "ada"}
    assert client.get("/notes/2").get_json() == {"error": "not found"}
    assert b"<li>buy milk</li>" in client.get("/").data


def test_search(client: FlaskClient) -> None:
    login(client)
    for text in ("apple pie", "apple juice", "pear"):
        client.post("/notes", json={"text": text})
    response = client.get("/search", query_string={"q": "apple", "limit": 1})
    assert [note["text"] for note in response.get_json()] == ["apple pie"]


def test_export_is_a_download(client: FlaskClient) -> None:
    login(client)
    client.post("/notes", json={"text": "one"})
    response = client.get("/export.txt")
    assert response.headers["Content-Disposition"] == "attachment; filename=notes.txt"
    assert response.data == b"one"


def test_session_transaction(client: FlaskClient) -> None:
    with client.session_transaction() as sess:
        sess["user"] = "bob"
    response = client.post("/notes", json={"text": "from bob"})
    assert response.get_json()["author"] == "bob"
