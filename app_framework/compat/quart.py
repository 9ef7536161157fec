"""``import quart`` means app_framework in this process: Quart extensions as installed.

Put ``import app_framework.compat.quart`` first in the app (before anything
that imports ``quart``, the extensions included). From then on ``import
quart`` and the Quart modules extensions import (``quart.typing``,
``quart.wrappers``, ``quart.testing``, ``quart.json.provider``...) resolve to
app_framework's modules, so ``pip install quart-cors`` and ``from quart_cors
import cors`` work unchanged. Quart's own spellings are added where the name
differs (``Quart`` is :class:`~app_framework.App`, ``QuartClient`` is
:class:`~app_framework.testing.TestClient`...); every other name is
app_framework's own object, so ``quart.request is app_framework.request``.

The aliases are made when a ``quart`` module is first imported, not before.
A Quart module with no counterpart here (``quart.asgi``, ``quart.utils``,
``quart.debug``...: Quart's own machinery) fails to import with a message
saying so. If the real Quart was imported first, importing this module
raises ImportError: one process cannot have both under one name.
"""

from __future__ import annotations

import importlib
import importlib.abc
import importlib.machinery
import importlib.util
import sys
from collections.abc import Sequence
from types import ModuleType
from typing import Any

__all__ = ["MODULES", "install"]

MODULES: dict[str, tuple[str, dict[str, str]]] = {
    "quart": ("app_framework", {"Quart": "App"}),
    "quart.app": ("app_framework.app", {"Quart": "App"}),
    "quart.blueprints": ("app_framework.blueprints", {}),
    "quart.cli": ("app_framework.cli", {"QuartGroup": "FrameworkGroup"}),
    "quart.config": ("app_framework.config", {}),
    "quart.ctx": ("app_framework.ctx", {}),
    "quart.datastructures": ("app_framework.datastructures", {}),
    "quart.formparser": ("app_framework.formparser", {}),
    "quart.globals": ("app_framework.globals", {}),
    "quart.helpers": ("app_framework.helpers", {}),
    "quart.json": ("app_framework.json", {}),
    "quart.json.provider": ("app_framework.json.provider", {}),
    "quart.json.tag": ("app_framework.json.tag", {}),
    "quart.logging": ("app_framework.logging", {}),
    "quart.routing": ("app_framework.routing", {"QuartRule": "Rule"}),
    "quart.sessions": ("app_framework.sessions", {"SecureCookieSession": "Session"}),
    "quart.signals": ("app_framework.signals", {}),
    "quart.templating": ("app_framework.templating", {}),
    "quart.testing": (
        "app_framework.testing",
        {"QuartClient": "TestClient", "QuartCliRunner": "AppCliRunner"},
    ),
    "quart.testing.app": ("app_framework.testing", {}),
    "quart.testing.client": ("app_framework.testing", {"QuartClient": "TestClient"}),
    "quart.testing.utils": ("app_framework.testing", {}),
    "quart.typing": ("app_framework.typing", {}),
    "quart.views": ("app_framework.views", {}),
    "quart.wrappers": ("app_framework.wrappers", {}),
    "quart.wrappers.request": ("app_framework.wrappers.request", {}),
    "quart.wrappers.response": ("app_framework.wrappers.response", {}),
    "quart.wrappers.websocket": ("app_framework.wrappers.websocket", {}),
}
"""Each Quart module this maps: (the app_framework module, {Quart's name:
the name it has there}). A module with no renamed names is app_framework's
module itself in ``sys.modules``; one with renames is a thin module over it."""

_MARK = "__app_framework_compat__"


def _has_children(name: str) -> bool:
    return any(other.startswith(name + ".") for other in MODULES)


def _needs_facade(name: str) -> bool:
    """A module of its own is needed for added names, or for submodules
    that the app_framework module, being no package, cannot hold."""
    target, aliases = MODULES[name]
    if aliases:
        return True
    return _has_children(name) and not hasattr(sys.modules[target], "__path__")


class _Facade(ModuleType):
    """A Quart module name over an app_framework module: the module's names,
    plus Quart's spellings of the renamed ones."""

    def __init__(self, name: str, target: ModuleType, aliases: dict[str, str]) -> None:
        super().__init__(name, target.__doc__)
        self._target = target
        for quart_name, own_name in aliases.items():
            setattr(self, quart_name, getattr(target, own_name))
        setattr(self, _MARK, True)
        self.__all__ = [*getattr(target, "__all__", ()), *aliases]

    def __getattr__(self, name: str) -> Any:
        # Only reached when the name is not one of the aliases set above.
        if f"{self.__name__}.{name}" in MODULES:
            return importlib.import_module(f"{self.__name__}.{name}")
        try:
            return getattr(self._target, name)
        except AttributeError:
            raise AttributeError(
                f"module {self.__name__!r} (app_framework.compat.quart, over "
                f"{self._target.__name__!r}) has no attribute {name!r}"
            ) from None

    def __repr__(self) -> str:
        over = self._target.__name__
        return f"<module {self.__name__!r} (app_framework.compat.quart over {over!r})>"

    def __dir__(self) -> list[str]:
        return sorted({*super().__dir__(), *dir(self._target)})


class _QuartFinder(importlib.abc.MetaPathFinder, importlib.abc.Loader):
    """Finds ``quart`` and its mapped submodules before the real Quart."""

    _app_framework_quart = True  # how a second install() recognises it

    def find_spec(
        self,
        fullname: str,
        path: Sequence[str] | None,
        target: ModuleType | None = None,
    ) -> importlib.machinery.ModuleSpec | None:
        if fullname != "quart" and not fullname.startswith("quart."):
            return None
        if fullname not in MODULES:
            raise ModuleNotFoundError(
                f"No module named {fullname!r} under app_framework.compat.quart: "
                "it is Quart's own machinery and app_framework has no counterpart "
                f"(mapped: {', '.join(sorted(MODULES))})",
                name=fullname,
            )
        importlib.import_module(MODULES[fullname][0])
        return importlib.util.spec_from_loader(
            fullname, self, is_package=_has_children(fullname)
        )

    def create_module(self, spec: importlib.machinery.ModuleSpec) -> ModuleType | None:
        if not _needs_facade(spec.name):
            return None  # a placeholder, swapped for the real module below
        target, aliases = MODULES[spec.name]
        return _Facade(spec.name, sys.modules[target], aliases)

    def exec_module(self, module: ModuleType) -> None:
        # The import system returns whatever sys.modules holds after this
        # call, so the app_framework module itself stands for the name.
        if not isinstance(module, _Facade):
            sys.modules[module.__name__] = sys.modules[MODULES[module.__name__][0]]


def _refuse_real_quart() -> None:
    """ImportError if the real Quart already owns the name ``quart``."""
    existing = sys.modules.get("quart")
    if existing is None or getattr(existing, _MARK, False):
        return
    where = getattr(existing, "__file__", None) or "an unknown place"
    raise ImportError(
        "app_framework.compat.quart: the real Quart is already imported (quart "
        f"from {where}), so 'import quart' cannot mean app_framework in this "
        "process. Make 'import app_framework.compat.quart' the first import of "
        "the app, before anything that imports quart (the Quart extensions "
        "included), or use the real Quart."
    )


def install() -> None:
    """Route ``quart`` imports to app_framework (done on import; idempotent)."""
    _refuse_real_quart()
    if any(getattr(finder, "_app_framework_quart", False) for finder in sys.meta_path):
        return
    sys.meta_path.insert(0, _QuartFinder())


install()
