"""Where an app's files are: its module's folder and its instance folder."""

from __future__ import annotations

import os
import sys

__all__ = ["find_instance_path", "module_folder"]


def module_folder(import_name: str) -> str:
    """The folder of module ``import_name`` (the working directory if unknown)."""
    module = sys.modules.get(import_name)
    path = getattr(module, "__file__", None)
    return os.path.dirname(os.path.abspath(path)) if path else os.getcwd()


def find_instance_path(import_name: str, name: str) -> str:
    """Flask's default instance folder: ``instance`` beside the package (or
    beside the module, for a one-module app), or ``<prefix>/var/<name>-instance``
    for an installed package."""
    top = import_name.split(".")[0]
    module = sys.modules.get(top)
    path = getattr(module, "__file__", None)
    if not path:
        return os.path.join(os.getcwd(), "instance")
    folder = os.path.dirname(os.path.abspath(path))
    if os.path.basename(path).startswith("__init__."):
        folder = os.path.dirname(folder)  # the folder the package is in
    parts = folder.split(os.sep)
    if "site-packages" in parts or "dist-packages" in parts:
        return os.path.join(sys.prefix, "var", f"{name}-instance")
    return os.path.join(folder, "instance")
