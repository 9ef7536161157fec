"""Docstrings for public data re-exported by a package, and one home for
each public object.

A package's ``__init__`` re-exports objects that are not classes or
functions (``app_framework.request``, a proxy; ``ResponseReturnValue``, a
type alias): autodoc would show the docstring of the object's *type*
there. Their real documentation is the attribute docstring written under
the assignment in the module that defines them; this extension finds that
module (the one whose namespace holds the very same object and documents
the name) and uses its docstring.

A public module often re-exports what the package's ``__all__`` already
gives (``app_framework.helpers.url_for`` is ``app_framework.url_for``).
Each object is documented once, at the package's name: a module page
leaves out the members that are the same objects as a name in
``app_framework.__all__`` or ``asignals.__all__``.
"""

from __future__ import annotations

import sys
from typing import Any

from sphinx.application import Sphinx
from sphinx.errors import PycodeError
from sphinx.pycode import ModuleAnalyzer


def _defining_module_doc(name: str, obj: Any) -> list[str] | None:
    package, _, attr = name.rpartition(".")
    top = package.split(".")[0]
    for module_name, module in sorted(sys.modules.items()):
        if module is None or not (
            module_name == top or module_name.startswith(top + ".")
        ):
            continue
        if vars(module).get(attr, None) is not obj:
            continue
        try:
            docs = ModuleAnalyzer.for_module(module_name).find_attr_docs()
        except PycodeError:
            continue
        if ("", attr) in docs:
            return list(docs[("", attr)])
    return None


def _fill_in(
    app: Sphinx, what: str, name: str, obj: Any, options: Any, lines: list[str]
) -> None:
    if what != "data":
        return
    found = _defining_module_doc(name, obj)
    if found is not None:
        lines[:] = found


HOMES = ("app_framework", "asignals")
_documenting: list[str] = []


def _exported_by_a_package(obj: Any) -> bool:
    for package_name in HOMES:
        package = sys.modules[package_name]
        if any(getattr(package, name) is obj for name in package.__all__):
            return True
    return False


def _note_module(
    app: Sphinx, what: str, name: str, obj: Any, options: Any, lines: list[str]
) -> None:
    if what == "module":
        _documenting[:] = [name]


def _skip_re_exports(
    app: Sphinx, what: str, name: str, obj: Any, skip: bool, options: Any
) -> bool | None:
    if what != "module" or not _documenting or _documenting[0] in HOMES:
        return None
    return True if _exported_by_a_package(obj) else None


def setup(app: Sphinx) -> dict[str, Any]:
    app.connect("autodoc-process-docstring", _note_module)
    app.connect("autodoc-process-docstring", _fill_in)
    app.connect("autodoc-skip-member", _skip_re_exports)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
