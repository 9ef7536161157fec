"""Configuration: a dict of upper-case keys with Flask's loaders."""

from __future__ import annotations

import importlib
import json
import os
from collections.abc import Mapping
from datetime import timedelta
from typing import Any

DEFAULTS: dict[str, Any] = {
    "DEBUG": False,
    "TESTING": False,
    "PROPAGATE_EXCEPTIONS": None,
    "SECRET_KEY": None,
    "SECRET_KEY_FALLBACKS": [],
    "MAX_CONTENT_LENGTH": None,
    "SERVER_NAME": None,
    "APPLICATION_ROOT": "/",
    "PREFERRED_URL_SCHEME": "http",
    "SESSION_COOKIE_NAME": "session",
    "SESSION_COOKIE_DOMAIN": None,
    "SESSION_COOKIE_PATH": None,
    "SESSION_COOKIE_HTTPONLY": True,
    "SESSION_COOKIE_SECURE": False,
    "SESSION_COOKIE_SAMESITE": "Lax",
    "PERMANENT_SESSION_LIFETIME": timedelta(days=31),
    "TEMPLATES_AUTO_RELOAD": None,
    "BACKGROUND_TASK_SHUTDOWN_TIMEOUT": 5.0,
}


class Config(dict[str, Any]):
    """The application's settings. Only upper-case keys are loaded."""

    def from_mapping(
        self, mapping: Mapping[str, Any] | None = None, **kwargs: Any
    ) -> bool:
        """Load the upper-case keys of ``mapping`` and ``kwargs``; returns True."""
        for key, value in {**(mapping or {}), **kwargs}.items():
            if key.isupper():
                self[key] = value
        return True

    def from_object(self, obj: object | str) -> None:
        """Load the upper-case attributes of ``obj`` (or of the object an
        import string such as ``"myapp.settings"`` or ``"myapp:Settings"`` names).

        :raises ImportError: the import string names nothing importable.
        """
        if isinstance(obj, str):
            obj = import_string(obj)
        for key in dir(obj):
            if key.isupper():
                self[key] = getattr(obj, key)

    def from_prefixed_env(self, prefix: str = "APP") -> bool:
        """Load ``PREFIX_KEY`` environment variables into ``KEY``.

        Values are parsed as JSON when they parse (``APP_DEBUG=true`` is True,
        ``APP_MAX_CONTENT_LENGTH=1024`` an int), else kept as strings.
        ``APP_DB__HOST=x`` sets ``config["DB"]["HOST"]``. Returns True.
        """
        start = prefix + "_"
        for name in sorted(os.environ):
            if not name.startswith(start):
                continue
            raw = os.environ[name]
            try:
                value: Any = json.loads(raw)
            except ValueError:
                value = raw
            *parents, last = name[len(start) :].split("__")
            target: dict[str, Any] = self
            for part in parents:
                target = target.setdefault(part, {})
            target[last] = value
        return True

    def __repr__(self) -> str:
        # A config ends up in logs and tracebacks: never show secrets there.
        shown = {
            key: "***" if value and any(w in key for w in _SECRET_WORDS) else value
            for key, value in self.items()
        }
        return f"<Config {shown!r}>"


_SECRET_WORDS = ("SECRET", "PASSWORD", "TOKEN", "KEY")


def import_string(path: str) -> Any:
    """Import ``"pkg.module"``, ``"pkg.module:attr"`` or ``"pkg.module.attr"``.

    :raises ImportError: nothing importable has that name.
    """
    module_name, _, attr = path.partition(":")
    if not attr:
        try:
            return importlib.import_module(path)
        except ImportError:
            module_name, _, attr = path.rpartition(".")
            if not module_name:
                raise
    module = importlib.import_module(module_name)
    try:
        return getattr(module, attr)
    except AttributeError:
        raise ImportError(f"module {module_name!r} has no attribute {attr!r}") from None
