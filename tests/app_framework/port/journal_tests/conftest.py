"""The port of the journal's test fixtures."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from werkzeug.security import generate_password_hash

from app_framework import App
from app_framework.testing import AppCliRunner, TestClient

from ..journal import create_app
from ..journal.db import get_db, init_db


@pytest.fixture
async def app(tmp_path: Path) -> AsyncIterator[App]:
    app = create_app({"TESTING": True, "DATABASE": str(tmp_path / "journal.sqlite")})
    async with app.app_context():
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
def client(app: App) -> TestClient:
    return app.test_client()


@pytest.fixture
def runner(app: App) -> AppCliRunner:
    return app.test_cli_runner()


class AuthActions:
    def __init__(self, client: TestClient) -> None:
        self._client = client

    async def login(self, username: str = "test", password: str = "test") -> Any:
        return await self._client.post(
            "/auth/login", data={"username": username, "password": password}
        )

    async def logout(self) -> Any:
        return await self._client.get("/auth/logout")


@pytest.fixture
def auth(client: TestClient) -> AuthActions:
    return AuthActions(client)
