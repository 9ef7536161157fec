"""Where an app's files are: its module's folder and its instance folder."""

from __future__ import annotations

import importlib.util
import os
import sys
from importlib.machinery import ModuleSpec
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
    # os.path, not pathlib: every app finds its instance folder, and
    # pathlib would be one more module for every import of the framework.
    path, folder = os.path.abspath(path), os.path.abspath(folder)
    try:
        common = os.path.commonpath([path, folder])
    except ValueError:  # different drives (Windows)
        return False
    return os.path.normcase(common) == os.path.normcase(folder)


def _install_prefix(entry: str) -> str | None:
    """The prefix (the folder holding ``lib``, ``bin``...) a package imported
    from ``entry`` is installed under, or None when it is not installed."""
    if _inside(entry, sys.prefix):
        return os.path.abspath(sys.prefix)
    # The folder and its parents: folders[n] is ``entry`` without its last n
    # parts.
    folders = [os.path.normpath(entry)]
    for _ in range(3):
        folders.append(os.path.dirname(folders[-1]))
    if os.path.basename(folders[0]).lower() != "site-packages":
        return None
    # <prefix>/Lib/site-packages (Windows), <prefix>/lib/pythonX.Y/site-packages
    for depth in (2, 3):
        if folders[depth] and os.path.basename(folders[depth - 1]).lower() == "lib":
            return folders[depth]
    return folders[1] or os.curdir  # <prefix>/site-packages
