"""The journal's test fixtures, as a Flask user writes them."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient, FlaskCliRunner
from werkzeug.security import generate_password_hash

from ..flask_journal import create_app
from ..flask_journal.db import get_db, init_db


@pytest.fixture
def app(tmp_path: Path) -> Iterator[Flask]:
    app = create_app({"TESTING": True, "DATABASE": str(tmp_path / "journal.sqlite")})
    with app.app_context():
        init_db()
        get_db().execute(
            "INSERT INTO user (username, password) VALUES (?, ?)",
            ("test", generate_password_hash("test")),
        )
        get_db().execute(
            "INSERT INTO entry (body, author_id) VALUES ('first entry', 1)"
        )
        get_db().commit()
    yield app


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    return app.test_client()


@pytest.fixture
def runner(app: Flask) -> FlaskCliRunner:
    return app.test_cli_runner()


class AuthActions:
    def __init__(self, client: FlaskClient) -> None:
        self._client = client

    def login(self, username: str = "test", password: str = "test") -> Any:
        return self._client.post(
            "/auth/login", data={"username": username, "password": password}
        )

    def logout(self) -> Any:
        return self._client.get("/auth/logout")


@pytest.fixture
def auth(client: FlaskClient) -> AuthActions:
    return AuthActions(client)
