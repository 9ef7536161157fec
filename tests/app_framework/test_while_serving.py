"""``app.while_serving``: one async generator around the whole time the app
serves (start-up before its ``yield``, shutdown after it)."""

from __future__ import annotations

from collections.abc import AsyncGenerator

import pytest

from app_framework import App, current_app


def _pantry() -> tuple[App, list[str]]:
    """An app whose hooks and generator write what they did, in order."""
    app = App(__name__)
    journal: list[str] = []

    @app.before_serving
    async def unlock() -> None:
        journal.append("unlock")

    @app.while_serving
    async def stock() -> AsyncGenerator[None, None]:
        journal.append(f"stock {current_app.name}")
        yield
        journal.append(f"empty {current_app.name}")

    @app.after_serving
    async def lock() -> None:
        journal.append("lock")

    @app.get("/shelf")
    async def shelf() -> str:
        journal.append("served")
        return "jam"

    return app, journal


async def test_generator_runs_around_serving_between_the_hooks() -> None:
    app, journal = _pantry()
    async with app.test_app() as running:
        assert journal == ["unlock", f"stock {app.name}"]
        answer = await running.test_client().get("/shelf")
        assert answer.status_code == 200
    assert journal == [
        "unlock",
        f"stock {app.name}",
        "served",
        f"empty {app.name}",
        "lock",
    ]


async def test_serving_again_runs_a_fresh_generator() -> None:
    app, journal = _pantry()
    for _ in range(2):
        async with app.test_app():
            pass
    assert journal.count(f"stock {app.name}") == 2
    assert journal.count(f"empty {app.name}") == 2


async def test_later_generator_finishes_first() -> None:
    app = App(__name__)
    trail: list[str] = []

    for label in ("outer", "inner"):

        @app.while_serving
        async def layer(label: str = label) -> AsyncGenerator[None, None]:
            trail.append(f"+{label}")
            yield
            trail.append(f"-{label}")

    async with app.test_app():
        pass
    assert trail == ["+outer", "+inner", "-inner", "-outer"]


def test_a_plain_function_is_refused_with_what_to_write() -> None:
    app = App(__name__)

    async def not_a_generator() -> None:
        return None

    with pytest.raises(TypeError, match="async generator function"):
        app.while_serving(not_a_generator)


async def test_a_generator_yielding_twice_fails_the_shutdown() -> None:
    app = App(__name__)

    @app.while_serving
    async def stutter() -> AsyncGenerator[None, None]:
        yield
        yield

    with pytest.raises(RuntimeError, match="yielded more than once"):
        async with app.test_app():
            pass


async def test_failed_start_up_closes_the_generators_already_paused() -> None:
    app = App(__name__)
    closed: list[str] = []

    @app.while_serving
    async def first() -> AsyncGenerator[None, None]:
        try:
            yield
        finally:
            closed.append("first")

    @app.while_serving
    async def second() -> AsyncGenerator[None, None]:
        raise OSError("disk missing")
        yield  # pragma: no cover

    with pytest.raises(OSError, match="disk missing"):
        async with app.test_app():
            pass
    assert closed == ["first"]
