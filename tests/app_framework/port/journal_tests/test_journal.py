"""The port of the journal's tests."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from app_framework import g, session
from app_framework.testing import AppCliRunner, TestClient

from ..journal import create_app
from ..journal.db import get_db
from .conftest import AuthActions


async def test_config_from_the_instance_folder(tmp_path: Path) -> None:
    (tmp_path / "config.py").write_text("GREETING = 'from the instance'\n")
    app = create_app(instance_path=str(tmp_path))
    assert app.config["GREETING"] == "from the instance"
    assert not app.testing
    assert create_app({"TESTING": True}).testing


async def test_hello(client: TestClient) -> None:
    assert (await client.get("/hello")).data == b"Hello, World!"


async def test_get_close_db(app: object) -> None:
    async with app.app_context():  # type: ignore[attr-defined]
        db = get_db()
        assert db is get_db()
    with pytest.raises(sqlite3.ProgrammingError, match="closed"):
        db.execute("SELECT 1")


async def test_init_db_command(runner: AppCliRunner) -> None:
    result = runner.invoke(args=["init-db"])
    assert "Initialized" in result.output


async def test_register(client: TestClient, app: object) -> None:
    assert (await client.get("/auth/register")).status_code == 200
    response = await client.post(
        "/auth/register", data={"username": "a", "password": "a"}
    )
    assert response.headers["Location"] == "/auth/login"
    async with app.app_context():  # type: ignore[attr-defined]
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
async def test_register_validates(
    client: TestClient, username: str, password: str, message: bytes
) -> None:
    response = await client.post(
        "/auth/register", data={"username": username, "password": password}
    )
    assert message in response.data


async def test_login(client: TestClient, auth: AuthActions) -> None:
    assert (await client.get("/auth/login")).status_code == 200
    response = await auth.login()
    assert response.headers["Location"] == "/"
    async with client:
        await client.get("/")
        assert session["user_id"] == 1
        assert g.user["username"] == "test"


@pytest.mark.parametrize(
    ("username", "password", "message"),
    [("a", "test", b"Incorrect username."), ("test", "a", b"Incorrect password.")],
)
async def test_login_validates(
    auth: AuthActions, username: str, password: str, message: bytes
) -> None:
    assert message in (await auth.login(username, password)).data


async def test_logout(client: TestClient, auth: AuthActions) -> None:
    await auth.login()
    async with client:
        await auth.logout()
        assert "user_id" not in session


async def test_index_and_create(client: TestClient, auth: AuthActions) -> None:
    assert b"first entry" in (await client.get("/")).data
    assert (await client.get("/create")).headers["Location"] == "/auth/login"
    await auth.login()
    assert b"New" in (await client.get("/")).data
    await client.post("/create", data={"body": "second entry"})
    assert b"test: second entry" in (await client.get("/")).data
