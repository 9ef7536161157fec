"""Tests written with a plain ``httpx.AsyncClient(transport=ASGITransport(app))``,
as many ASGI apps are tested: httpx sends no lifespan events, so the app's
``before_serving``, ``while_serving`` and ``after_serving`` code runs only
inside the one documented line, ``async with app.test_app():``."""

from __future__ import annotations

from collections.abc import AsyncGenerator

import httpx

from app_framework import App, current_app


def library() -> tuple[App, list[str]]:
    """An app that opens a catalogue when it starts serving and closes it
    when it stops, noting each step."""
    app = App(__name__)
    steps: list[str] = []

    @app.before_serving
    async def open_catalogue() -> None:
        app.config["CATALOGUE"] = ["Dune", "Emma"]
        steps.append("before_serving")

    @app.while_serving
    async def lend_books() -> AsyncGenerator[None, None]:
        steps.append("while_serving starts")
        yield
        steps.append("while_serving ends")

    @app.after_serving
    async def close_catalogue() -> None:
        app.config.pop("CATALOGUE")
        steps.append("after_serving")

    @app.route("/books")
    async def books() -> dict[str, list[str]]:
        return {"books": current_app.config.get("CATALOGUE", [])}

    return app, steps


async def test_test_app_runs_the_lifespan_around_a_plain_httpx_client() -> None:
    app, steps = library()
    async with app.test_app():
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(
            transport=transport, base_url="http://testserver"
        ) as client:
            response = await client.get("/books")
            assert response.json() == {"books": ["Dune", "Emma"]}
            assert steps == ["before_serving", "while_serving starts"]
    assert steps == [
        "before_serving",
        "while_serving starts",
        "while_serving ends",
        "after_serving",
    ]
    assert "CATALOGUE" not in app.config


async def test_a_plain_httpx_client_alone_runs_no_lifespan() -> None:
    # What the Testing guide warns about: the requests are served, but the
    # start-up code never ran.
    app, steps = library()
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(
        transport=transport, base_url="http://testserver"
    ) as client:
        assert (await client.get("/books")).json() == {"books": []}
    assert steps == []


async def test_the_test_client_runs_the_lifespan_by_itself() -> None:
    app, steps = library()
    async with app.test_client() as client:
        assert (await client.get("/books")).json() == {"books": ["Dune", "Emma"]}
    assert steps[0] == "before_serving" and steps[-1] == "after_serving"
