"""Fixtures: app -> client -> contexts, and a leak check on every test."""

from __future__ import annotations

import functools
import inspect
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

import pytest

from app_framework import (
    App,
    has_app_context,
    has_request_context,
    has_websocket_context,
)
from app_framework.testing import TestClient


def _leak_checked(test: Callable[..., Awaitable[Any]]) -> Callable[..., Awaitable[Any]]:
    @functools.wraps(test)
    async def run(*args: Any, **kwargs: Any) -> Any:
        result = await test(*args, **kwargs)
        # Checked in the test's own task: a fixture's teardown runs in
        # another context and could not see what the test left pushed.
        assert not has_request_context(), "the test left a request context pushed"
        assert not has_websocket_context(), "the test left a websocket context pushed"
        assert not has_app_context(), "the test left an app context pushed"
        return result

    return run


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if isinstance(item, pytest.Function) and "app_framework" in item.nodeid:
            if inspect.iscoroutinefunction(item.obj):
                item.obj = _leak_checked(item.obj)


@pytest.fixture
def app() -> App:
    app = App("test_app")
    app.config.from_mapping(
        TESTING=True, SECRET_KEY="test-secret-key-that-is-long-enough"
    )
    return app


@pytest.fixture
async def client(app: App) -> AsyncIterator[TestClient]:
    async with app.test_client() as client:
        yield client
