"""Fixtures for the asignals tests: one dispatch helper per send flavour."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any, Protocol

import pytest

import asignals


class Send(Protocol):
    def __call__(
        self, signal: asignals.Signal, sender: Any = None, /, **kwargs: Any
    ) -> Awaitable[list[tuple[Callable[..., Any], Any]]]: ...


async def _send(
    signal: asignals.Signal, sender: Any = None, /, **kwargs: Any
) -> list[tuple[Callable[..., Any], Any]]:
    return signal.send(sender, **kwargs)


async def _send_async(
    signal: asignals.Signal, sender: Any = None, /, **kwargs: Any
) -> list[tuple[Callable[..., Any], Any]]:
    return await signal.send_async(sender, **kwargs)


@pytest.fixture(params=["send", "send_async"])
def send(request: pytest.FixtureRequest) -> Send:
    """Dispatch through ``send`` or ``send_async``: the semantics must match."""
    return _send if request.param == "send" else _send_async


class Recorder:
    """Sync receivers that record (name, sender, kwargs) in one shared log."""

    def __init__(self) -> None:
        self.log: list[tuple[str, Any, dict[str, Any]]] = []
        # Receivers are connected weakly by default: keep them alive.
        self.made: list[Callable[..., Any]] = []

    def sync(self, name: str) -> Callable[..., str]:
        def receiver(sender: Any, **kwargs: Any) -> str:
            self.log.append((name, sender, kwargs))
            return name

        receiver.__name__ = receiver.__qualname__ = name
        self.made.append(receiver)
        return receiver

    def async_(self, name: str) -> Callable[..., Awaitable[str]]:
        async def receiver(sender: Any, **kwargs: Any) -> str:
            self.log.append((name, sender, kwargs))
            return name

        receiver.__name__ = receiver.__qualname__ = name
        self.made.append(receiver)
        return receiver

    @property
    def names(self) -> list[str]:
        return [name for name, _, _ in self.log]


@pytest.fixture
def recorder() -> Recorder:
    return Recorder()
