"""app.logger: a default handler when nothing else would show its records."""

from __future__ import annotations

import contextlib
import io
import logging
from collections.abc import Iterator

import pytest

from app_framework import App
from app_framework.logging import (
    create_logger,
    default_handler,
    has_level_handler,
    wsgi_errors_stream,
)
from app_framework.testing import TestClient


@pytest.fixture
def fresh_logger(app: App) -> logging.Logger:
    logger = logging.getLogger(app.name)
    logger.handlers.clear()
    logger.setLevel(logging.NOTSET)
    return logger


def test_default_handler_formats_time_level_and_name(
    app: App, fresh_logger: logging.Logger, monkeypatch: pytest.MonkeyPatch
) -> None:
    root = logging.getLogger()
    monkeypatch.setattr(root, "handlers", [])  # as under uvicorn: nothing set up
    assert app.logger is fresh_logger
    assert default_handler in fresh_logger.handlers
    record = logging.LogRecord(app.name, logging.ERROR, __file__, 1, "boom", None, None)
    text = default_handler.format(record)
    assert text.endswith("] ERROR in test_app: boom") and text.startswith("[")


def test_no_default_handler_when_logging_is_configured(
    app: App, fresh_logger: logging.Logger, caplog: pytest.LogCaptureFixture
) -> None:
    assert has_level_handler(fresh_logger)  # pytest's handler on the root
    assert default_handler not in app.logger.handlers


async def test_the_default_handler_follows_a_replaced_stderr(
    app: App,
    fresh_logger: logging.Logger,
    client: TestClient,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.setattr(logging.getLogger(), "handlers", [])

    @app.route("/order/<int:number>")
    async def order(number: int) -> str:
        app.logger.warning("order %d is late", number)
        return "noted"

    assert default_handler in app.logger.handlers
    assert (await client.get("/order/7")).text == "noted"
    assert "WARNING in test_app: order 7 is late" in capsys.readouterr().err
    elsewhere = io.StringIO()
    with contextlib.redirect_stderr(elsewhere):
        assert wsgi_errors_stream._get_current_object() is elsewhere  # type: ignore[attr-defined]
        await client.get("/order/8")
    assert elsewhere.getvalue().endswith("WARNING in test_app: order 8 is late\n")
    assert "order 8" not in capsys.readouterr().err


def test_debug_mode_logs_at_debug_level(app: App, fresh_logger: logging.Logger) -> None:
    app.debug = True
    assert app.logger.level == logging.DEBUG


async def test_errors_and_the_weak_key_warning_are_logged_formatted(
    app: App, client: TestClient, caplog: pytest.LogCaptureFixture
) -> None:
    app.testing = False

    @app.route("/broken")
    async def broken() -> str:
        raise ValueError("broken view")

    with caplog.at_level(logging.INFO, logger=app.name):
        await client.get("/broken")
        app.config["SECRET_KEY"] = "dev"
        await app.startup()
    messages = [(r.levelname, r.name, r.getMessage()) for r in caplog.records]
    assert ("ERROR", "test_app", "Exception on /broken [GET]") in messages
    assert any(
        level == "WARNING" and "SECRET_KEY is short" in msg
        for level, _, msg in messages
    )


# -- how the app's logger is set up (flask.logging's behaviour) ---------------


@pytest.fixture
def pristine_logger(app: App) -> Iterator[logging.Logger]:
    """The logger ``app.logger`` will be, with no handler or level of its
    own, and as it was again after the test (other tests log through it)."""
    logger = logging.getLogger(app.name)
    saved = (logger.handlers[:], logger.level)
    del logger.handlers[:]
    logger.setLevel(logging.NOTSET)
    yield logger
    logger.handlers[:] = saved[0]
    logger.setLevel(saved[1])  # setLevel, not =, to reset logging's caches


def without_root_handlers(monkeypatch: pytest.MonkeyPatch) -> list[logging.Handler]:
    """Leave the root logger bare, as a server that does not configure
    logging does. Called inside the test: pytest puts its capture handlers
    on the root after the fixtures have run."""
    bare: list[logging.Handler] = []
    monkeypatch.setattr(logging.getLogger(), "handlers", bare)
    return bare


@pytest.mark.parametrize("debug", [False, True], ids=["normal", "debug"])
def test_an_unconfigured_process_gets_the_default_handler(
    app: App,
    pristine_logger: logging.Logger,
    monkeypatch: pytest.MonkeyPatch,
    debug: bool,
) -> None:
    without_root_handlers(monkeypatch)
    app.debug = debug
    logger = app.logger
    assert logger is pristine_logger and logger.name == "test_app"
    assert logger.handlers == [default_handler]
    # Debug mode lowers the app's own level; otherwise it is left to inherit.
    assert logger.level == (logging.DEBUG if debug else logging.NOTSET)


def test_debug_keeps_a_level_set_before(
    app: App, pristine_logger: logging.Logger, monkeypatch: pytest.MonkeyPatch
) -> None:
    without_root_handlers(monkeypatch)
    pristine_logger.setLevel(logging.ERROR)
    app.debug = True
    assert app.logger.level == logging.ERROR


def test_a_configured_root_means_no_default_handler(
    app: App, pristine_logger: logging.Logger, monkeypatch: pytest.MonkeyPatch
) -> None:
    root_handlers = without_root_handlers(monkeypatch)
    root_handlers.append(logging.NullHandler())
    assert app.logger.handlers == []
    assert app.logger.level == logging.NOTSET


def test_has_level_handler_follows_propagation_and_levels(
    pristine_logger: logging.Logger, monkeypatch: pytest.MonkeyPatch
) -> None:
    root_handlers = without_root_handlers(monkeypatch)
    child = logging.getLogger("test_app.jobs")
    assert child.getEffectiveLevel() == logging.WARNING  # the root's default
    assert has_level_handler(child) is False

    on_root = logging.NullHandler()
    root_handlers.append(on_root)
    assert has_level_handler(child) is True  # found by walking up

    monkeypatch.setattr(child, "propagate", False)
    assert has_level_handler(child) is False  # the walk stops at the child
    own = logging.NullHandler()
    monkeypatch.setattr(child, "handlers", [own])
    assert has_level_handler(child) is True  # its own handler still counts
    monkeypatch.setattr(child, "handlers", [])
    monkeypatch.setattr(child, "propagate", True)

    # A handler that drops WARNING records does not count ...
    on_root.setLevel(logging.CRITICAL)
    assert has_level_handler(child) is False
    # ... until the logger's own level is one the handler shows.
    monkeypatch.setattr(child, "level", logging.CRITICAL)
    assert has_level_handler(child) is True


def test_create_logger_returns_the_same_logger_without_doubling_handlers(
    app: App, pristine_logger: logging.Logger, monkeypatch: pytest.MonkeyPatch
) -> None:
    without_root_handlers(monkeypatch)
    first = create_logger(app)
    assert create_logger(app) is first is app.logger is pristine_logger
    assert pristine_logger.handlers.count(default_handler) == 1
