"""An extension in Flask's init_app style, end to end (examples/visits.py)."""

from __future__ import annotations

from typing import Any

from app_framework import App, g, render_template_string
from examples.visits import Visits, visit_counted


def make_app(visits: Visits) -> App:
    app = App("visited")
    app.config["TESTING"] = True

    @app.route("/")
    async def index() -> str:
        return await render_template_string(
            "visit {{ g.visit_number }} of {{ visit_count('index') }}"
        )

    visits.init_app(app)
    return app


async def test_the_extension_on_two_apps() -> None:
    visits = Visits()
    first, second = make_app(visits), make_app(visits)
    heard: list[tuple[Any, dict[str, Any]]] = []

    def on_visit(sender: App, **kwargs: Any) -> None:
        heard.append((sender, kwargs))

    with visit_counted.connected_to(on_visit):
        async with first.test_client() as client:
            assert (await client.get("/")).text == "visit 1 of 1"
            assert (await client.get("/")).text == "visit 2 of 2"
            assert (await client.get("/static/none.css")).status_code == 404  # ignored
            assert (await client.get("/visits/")).json == {
                "index": 2,
                "visits.counts": 1,
            }
        async with second.test_client() as client:
            assert (await client.get("/")).text == "visit 1 of 1"  # its own state
    assert heard[0] == (first, {"endpoint": "index", "count": 1})
    assert heard[-1] == (second, {"endpoint": "index", "count": 1})
    assert first.extensions["visits"]["index"] == 2


async def test_its_command_and_teardown() -> None:
    app = make_app(Visits())
    async with app.test_client() as client:
        await client.get("/")
        assert g.visit_number == 1  # the request's context is still readable
    result = app.test_cli_runner().invoke(args=["visits", "reset"])
    assert result.output == "visit counts reset\n"
    assert app.extensions["visits"] == {}
