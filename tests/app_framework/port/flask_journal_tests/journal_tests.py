"""The journal's tests, as a Flask user writes them."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest
from flask import g, session
from flask.testing import FlaskClient, FlaskCliRunner

from ..flask_journal import create_app
from ..flask_journal.db import get_db
from .conftest import AuthActions


def test_config_from_the_instance_folder(tmp_path: Path) -> None:
    (tmp_path / "config.py").write_text("GREETING = 'from the instance'\n")
    app = create_app(instance_path=str(tmp_path))
    assert app.config["GREETING"] == "from the instance"
    assert not app.testing
    assert create_app({"TESTING": True}).testing


def test_hello(client: FlaskClient) -> None:
    assert client.get("/hello").data == b"Hello, World!"


def test_get_close_db(app: object) -> None:
    with app.app_context():  # type: ignore[attr-defined]
        db = get_db()
        assert db is get_db()
    with pytest.raises(sqlite3.ProgrammingError, match="closed"):
        db.execute("SELECT 1")


def test_init_db_command(runner: FlaskCliRunner) -> None:
    result = runner.invoke(args=["init-db"])
    assert "Initialized" in result.output


def test_register(client: FlaskClient, app: object) -> None:
    assert client.get("/auth/register").status_code == 200
    response = client.post("/auth/register", data={"username": "a", "password": "a"})
    assert response.headers["Location"] == "/auth/login"
    with app.app_context():  # type: ignore[attr-defined]
        found = get_db().execute("SELECT * FROM user WHERE username = 'a'").fetchone()
        assert found is not None


@pytest.mark.parametrize(
    ("username", "password", "message"),
    [
        ("", "", b"Username is required."),
        ("a", "", b"Password is required."),
        ("test", "test", b"already registered"),
    ],
)
def test_register_validates(
    client: FlaskClient, username: str, password: str, message: bytes
) -> None:
    response = client.post(
        "/auth/register", data={"username": username, "password": password}
    )
    assert message in response.data


def test_login(client: FlaskClient, auth: AuthActions) -> None:
    assert client.get("/auth/login").status_code == 200
    response = auth.login()
    assert response.headers["Location"] == "/"
    with client:
        client.get("/")
        assert session["user_id"] == 1
        assert g.user["username"] == "test"


@pytest.mark.parametrize(
    ("username", "password", "message"),
    [("a", "test", b"Incorrect username."), ("test", "a", b"Incorrect password.")],
)
def test_login_validates(
    auth: AuthActions, username: str, password: str, message: bytes
) -> None:
    assert message in auth.login(username, password).data


def test_logout(client: FlaskClient, auth: AuthActions) -> None:
    auth.login()
    with client:
        auth.logout()
        assert "user_id" not in session


def test_index_and_create(client: FlaskClient, auth: AuthActions) -> None:
    assert b"first entry" in client.get("/").data
    assert client.get("/create").headers["Location"] == "/auth/login"
    auth.login()
    assert b"New" in client.get("/").data
    client.post("/create", data={"body": "second entry"})
    assert b"test: second entry" in client.get("/").data
