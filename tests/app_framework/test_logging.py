"""app.logger: a default handler when nothing else would show its records."""

from __future__ import annotations

import logging

import pytest

from app_framework import App
from app_framework._logging import default_handler, has_level_handler
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
