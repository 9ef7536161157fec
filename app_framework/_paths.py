"""Where an app's files are: its module's folder and its instance folder."""

from __future__ import annotations

import importlib.util
import os
import sys
from importlib.machinery import ModuleSpec
from pathlib import PurePath
from typing import IO, Any

__all__ = ["find_instance_path", "module_folder"]


def module_folder(import_name: str) -> str:
    """The folder of module ``import_name`` (the working directory if unknown)."""
    module = sys.modules.get(import_name)
    path = getattr(module, "__file__", None)
    return os.path.dirname(os.path.abspath(path)) if path else os.getcwd()


def open_resource(
    folder: str, resource: str, mode: str, encoding: str | None
) -> IO[Any]:
    """Open ``resource`` in ``folder`` (any mode; ``encoding`` for text)."""
    path = os.path.join(folder, resource)
    if "b" in mode:
        return open(path, mode)
    return open(path, mode, encoding=encoding)


def find_instance_path(import_name: str, name: str) -> str:
    """Flask's default instance folder: ``instance`` in the folder the app's
    top-level package (or module) is imported from, or
    ``<prefix>/var/<name>-instance`` for a package installed under a prefix
    (``sys.prefix``, or a virtualenv's ``site-packages``)."""
    entry = _import_entry(import_name)
    prefix = _install_prefix(entry)
    if prefix is None:
        return os.path.join(entry, "instance")
    return os.path.join(prefix, "var", f"{name}-instance")


def _import_entry(import_name: str) -> str:
    """The folder (a ``sys.path`` entry) that ``import_name``'s top-level
    package or module is imported from; the working directory if unknown."""
    top = import_name.partition(".")[0]
    module = sys.modules.get(top)
    spec = _spec(top) if module is None else module.__spec__
    if spec is None:  # a script run as __main__ has no spec, but a file
        path = getattr(module, "__file__", None)
        return os.path.dirname(os.path.abspath(path)) if path else os.getcwd()
    portions = spec.submodule_search_locations
    if portions is None:  # a module
        return os.path.dirname(os.path.abspath(spec.origin or ""))
    if spec.origin is not None and spec.origin != "namespace":  # __init__.py
        return os.path.dirname(os.path.dirname(os.path.abspath(spec.origin)))
    return os.path.dirname(_portion_of(import_name, list(portions)))


def _spec(name: str) -> ModuleSpec | None:
    try:
        return importlib.util.find_spec(name)
    except (ImportError, ValueError):  # not importable, or __main__
        return None


def _portion_of(import_name: str, portions: list[str]) -> str:
    """The folder of a namespace package (one of its ``portions``) that
    holds the app's own package or module; the first when none does."""
    spec = _spec(import_name) if "." in import_name else None
    if spec is not None:
        found = list(spec.submodule_search_locations or [spec.origin or ""])
        for portion in portions:
            if all(_inside(path, portion) for path in found):
                return portion
    return portions[0]


def _inside(path: str, folder: str) -> bool:
    return PurePath(os.path.abspath(path)).is_relative_to(os.path.abspath(folder))


def _install_prefix(entry: str) -> str | None:
    """The prefix (the folder holding ``lib``, ``bin``...) a package imported
    from ``entry`` is installed under, or None when it is not installed."""
    if _inside(entry, sys.prefix):
        return os.path.abspath(sys.prefix)
    parts = PurePath(entry).parts
    if not parts or parts[-1].lower() != "site-packages":
        return None
    # <prefix>/Lib/site-packages (Windows), <prefix>/lib/pythonX.Y/site-packages
    for depth in (2, 3):
        if len(parts) > depth and parts[-depth].lower() == "lib":
            return str(PurePath(*parts[:-depth]))
    return str(PurePath(*parts[:-1]))  # <prefix>/site-packages
