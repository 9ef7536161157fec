"""A class attribute whose default class lives in a module imported late.

``App.test_client_class`` defaults to ``testing.TestClient`` as Quart's does
(extensions derive from it: ``new_class("C", (Mixin, app.test_client_class))``),
but ``testing`` pulls in httpx and click's test runner, which an app that is
only served should not pay for. The default is imported on first read.
"""

from __future__ import annotations

import importlib
from typing import Generic, TypeVar

T = TypeVar("T")


class DefaultClass(Generic[T]):
    """A non-data descriptor: reading it gives ``module.name`` (imported once);
    assigning on an instance or overriding in a subclass replaces it, as a
    plain class attribute would be replaced."""

    def __init__(self, module: str, name: str) -> None:
        self.module = module
        self.name = name
        self.found: type[T] | None = None

    def __get__(self, obj: object, owner: type | None = None) -> type[T]:
        if self.found is None:
            module = importlib.import_module(self.module, __package__)
            self.found = getattr(module, self.name)
        found: type[T] = self.found
        return found

    def __repr__(self) -> str:
        return f"<default class {self.module}.{self.name}>"
