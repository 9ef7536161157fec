"""app.logger: a default handler when nothing else would show its records."""

from __future__ import annotations

import logging
from collections.abc import Iterator

import pytest

from app_framework import App
from app_framework.logging import create_logger, default_handler, has_level_handler
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


# -- Flask's tests/test_logging.py ---------------------------------------------


@pytest.fixture
def reset_logging(app: App) -> Iterator[logging.Logger]:
    """The app's logger as new, put back after; :func:`no_root_handlers`
    takes pytest's handlers off the root in the test itself (pytest adds
    them after the fixtures run)."""
    logger = logging.getLogger(app.name)
    logger.handlers = []
    logger.setLevel(logging.NOTSET)
    yield logger
    logger.handlers = []
    logger.setLevel(logging.NOTSET)


def no_root_handlers(monkeypatch: pytest.MonkeyPatch) -> None:
    """As under uvicorn with logging not configured: no handler anywhere."""
    monkeypatch.setattr(logging.root, "handlers", [])


def test_logger(
    app: App, reset_logging: logging.Logger, monkeypatch: pytest.MonkeyPatch
) -> None:
    no_root_handlers(monkeypatch)
    assert app.logger.name == "test_app"
    assert app.logger.level == logging.NOTSET
    assert app.logger.handlers == [default_handler]


def test_logger_debug(
    app: App, reset_logging: logging.Logger, monkeypatch: pytest.MonkeyPatch
) -> None:
    no_root_handlers(monkeypatch)
    app.debug = True
    assert app.logger.level == logging.DEBUG
    assert app.logger.handlers == [default_handler]


def test_existing_handler(
    app: App, reset_logging: logging.Logger, monkeypatch: pytest.MonkeyPatch
) -> None:
    no_root_handlers(monkeypatch)
    logging.root.addHandler(logging.StreamHandler())
    assert app.logger.level == logging.NOTSET
    assert not app.logger.handlers


def test_has_level_handler(
    reset_logging: logging.Logger, monkeypatch: pytest.MonkeyPatch
) -> None:
    no_root_handlers(monkeypatch)
    logger = logging.getLogger("app_framework.app")
    assert not has_level_handler(logger)

    handler = logging.StreamHandler()
    logging.root.addHandler(handler)
    assert has_level_handler(logger)

    monkeypatch.setattr(logger, "propagate", False)
    assert not has_level_handler(logger)
    monkeypatch.setattr(logger, "propagate", True)

    handler.setLevel(logging.ERROR)
    assert not has_level_handler(logger)


def test_create_logger_is_the_apps_logger(
    app: App, reset_logging: logging.Logger, monkeypatch: pytest.MonkeyPatch
) -> None:
    no_root_handlers(monkeypatch)
    assert create_logger(app) is app.logger is reset_logging
    assert reset_logging.handlers == [default_handler]  # added once
