"""The port of flaskr's tests of the blog."""

from __future__ import annotations

import pytest

from ..flaskr.db import get_db


async def test_index(client, auth):
    response = await client.get("/")
    assert b"Log In" in response.data
    assert b"Register" in response.data

    await auth.login()
    response = await client.get("/")
    assert b"test title" in response.data
    assert b"by test on 2018-01-01" in response.data
    assert b"test\nbody" in response.data
    assert b'href="/1/update"' in response.data


@pytest.mark.parametrize("path", ("/create", "/1/update", "/1/delete"))
async def test_login_required(client, path):
    response = await client.post(path)
    assert response.headers["Location"] == "/auth/login"


async def test_author_required(app, client, auth):
    # change the post author to another user
    async with app.app_context():
        db = get_db()
        db.execute("UPDATE post SET author_id = 2 WHERE id = 1")
        db.commit()

    await auth.login()
    # current user can't modify other user's post
    assert (await client.post("/1/update")).status_code == 403
    assert (await client.post("/1/delete")).status_code == 403
    # current user doesn't see edit link
    assert b'href="/1/update"' not in (await client.get("/")).data


@pytest.mark.parametrize("path", ("/2/update", "/2/delete"))
async def test_exists_required(client, auth, path):
    await auth.login()
    assert (await client.post(path)).status_code == 404


async def test_create(client, auth, app):
    await auth.login()
    assert (await client.get("/create")).status_code == 200
    await client.post("/create", data={"title": "created", "body": ""})

    async with app.app_context():
        db = get_db()
        count = db.execute("SELECT COUNT(id) FROM post").fetchone()[0]
        assert count == 2


async def test_update(client, auth, app):
    await auth.login()
    assert (await client.get("/1/update")).status_code == 200
    await client.post("/1/update", data={"title": "updated", "body": ""})

    async with app.app_context():
        db = get_db()
        post = db.execute("SELECT * FROM post WHERE id = 1").fetchone()
        assert post["title"] == "updated"


@pytest.mark.parametrize("path", ("/create", "/1/update"))
async def test_create_update_validate(client, auth, path):
    await auth.login()
    response = await client.post(path, data={"title": "", "body": ""})
    assert b"Title is required." in response.data


async def test_delete(client, auth, app):
    await auth.login()
    response = await client.post("/1/delete")
    assert response.headers["Location"] == "/"

    async with app.app_context():
        db = get_db()
        post = db.execute("SELECT * FROM post WHERE id = 1").fetchone()
        assert post is None
