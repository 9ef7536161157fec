"""Fixtures: app -> client -> contexts, and a leak check on every test."""

from __future__ import annotations

import functools
import inspect
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

import anyio
import anyio.lowlevel
import pytest

from app_framework import (
    App,
    has_app_context,
    has_request_context,
    has_websocket_context,
    signals,
)
from app_framework._contextvars import _cv_app, _cv_request
from app_framework.testing import TestClient


class Trace:
    """Records signals and hooks in one list: a receiver on each named
    signal (alternately sync and async, the async ones awaiting first), and
    whatever hooks the test appends (a name, or a ``(name, kwargs)`` pair).

    :param async_first: Whether the first signal's receiver is the async one.
    """

    def __init__(self, app: App, names: list[str], async_first: bool = False) -> None:
        self.events: list[Any] = []
        self.receivers: list[Any] = []  # connected weakly: kept alive here
        for index, name in enumerate(names):
            self._connect(app, name, is_async=(index % 2 == 0) is async_first)

    def _connect(self, app: App, name: str, is_async: bool) -> None:
        def sync_receiver(sender: App, **kwargs: Any) -> None:
            self.events.append((name, kwargs))

        async def async_receiver(sender: App, **kwargs: Any) -> None:
            await anyio.lowlevel.checkpoint()
            self.events.append((name, kwargs))

        receiver = async_receiver if is_async else sync_receiver
        self.receivers.append(receiver)
        getattr(signals, name).connect(receiver, sender=app)

    @property
    def names(self) -> list[str]:
        return [
            event[0] if isinstance(event, tuple) else event for event in self.events
        ]

    def kwargs(self, name: str) -> dict[str, Any]:
        """The keyword arguments of the latest event called ``name``."""
        found = [e[1] for e in self.events if isinstance(e, tuple) and e[0] == name]
        return dict(found[-1])


def _leak_checked(test: Callable[..., Awaitable[Any]]) -> Callable[..., Awaitable[Any]]:
    @functools.wraps(test)
    async def run(*args: Any, **kwargs: Any) -> Any:
        # What a fixture pushed (Flask's app_ctx and req_ctx fixtures) is the
        # test's starting point, and must be what it ends with.
        before = (_cv_app.get(None), _cv_request.get(None))
        result = await test(*args, **kwargs)
        # Checked in the test's own task: a fixture's teardown runs in
        # another context and could not see what the test left pushed.
        if before == (None, None):
            assert not has_request_context(), "the test left a request context pushed"
            assert not has_websocket_context(), (
                "the test left a websocket context pushed"
            )
            assert not has_app_context(), "the test left an app context pushed"
        else:
            after = (_cv_app.get(None), _cv_request.get(None))
            assert after == before, "the test left a context pushed over its fixture's"
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
