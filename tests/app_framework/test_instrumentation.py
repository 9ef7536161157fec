"""app.instrumentation: an observer hears every hook, processor, view,
template and receiver of an app, with the request current, and nothing is
replaced on the app."""

from __future__ import annotations

from typing import Any

import pytest

from app_framework import App, abort, render_template_string, request, signals
from app_framework.instrumentation import Call


class Journal:
    def __init__(self) -> None:
        self.lines: list[tuple[str, str, str]] = []

    def start(self, call: Call) -> str:
        # The request is current while the call runs: a span can name it.
        return request.path

    def end(self, call: Call, token: Any, error: BaseException | None) -> None:
        self.lines.append((call.kind, call.name, token))


@pytest.fixture
def observed(app: App) -> tuple[App, Journal]:
    @app.url_value_preprocessor
    def pull_lang(endpoint: str | None, values: dict[str, Any]) -> None:
        values.pop("lang", None)

    @app.before_request
    def first() -> None:
        return None

    @app.context_processor
    def extra() -> dict[str, str]:
        return {"who": "guest"}

    @app.route("/<lang>/page")
    async def page() -> str:
        return await render_template_string("hi {{ who }}")

    @app.errorhandler(404)
    def missing(error: Exception) -> tuple[str, int]:
        return "nope", 404

    @app.route("/gone")
    async def gone() -> str:
        abort(404)

    journal = Journal()
    app.instrumentation.add(journal)
    return app, journal


async def test_an_observer_hears_hooks_processors_view_template_and_receivers(
    observed: tuple[App, Journal],
) -> None:
    app, journal = observed
    heard: list[str] = []

    def on_started(sender: App, **kwargs: Any) -> None:
        heard.append("started")

    signals.request_started.connect(on_started, sender=app)
    response = await app.test_client().get("/en/page")
    assert response.text == "hi guest"
    assert heard == ["started"]
    assert journal.lines == [
        ("receiver", "request_started", "/en/page"),
        ("url_value_preprocessor", "", "/en/page"),
        ("before_request", "", "/en/page"),
        ("context_processor", "", "/en/page"),
        ("template", "", "/en/page"),  # a string template has no name
        ("view", "page", "/en/page"),
    ]


async def test_an_error_handler_is_heard_and_a_removed_observer_is_not(
    observed: tuple[App, Journal],
) -> None:
    app, journal = observed
    client = app.test_client()
    assert (await client.get("/gone")).text == "nope"
    assert ("errorhandler", "404", "/gone") in journal.lines
    app.instrumentation.remove(journal)
    journal.lines.clear()
    await client.get("/gone")
    assert journal.lines == []


async def test_with_no_observer_the_plan_holds_the_callables_themselves(
    app: App,
) -> None:
    def first() -> None:
        return None

    app.before_request(first)
    assert app._runner.plans.for_blueprint(None).before == ((first, False),)


def test_an_object_without_start_and_end_is_refused(app: App) -> None:
    with pytest.raises(TypeError, match="start\\(call\\)"):
        app.instrumentation.add(object())  # type: ignore[arg-type]
