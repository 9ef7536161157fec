"""Hints for mistakes that debug mode points out (Flask's
``flask.debughelpers``): a file field read from a form that was posted
without ``enctype="multipart/form-data"``."""

from __future__ import annotations

from typing import Any

from ._contextvars import _cv_app
from ._values import ReadyMultiDict

__all__ = ["DebugFilesKeyError", "hint_missing_files"]


class DebugFilesKeyError(KeyError, AssertionError):
    """``request.files[name]`` is missing but the form has a field ``name``:
    the browser sent only the file's name, as a text field."""

    def __init__(self, key: str, submitted: list[Any], mimetype: str) -> None:
        super().__init__(key)
        names = ", ".join(repr(value) for value in submitted)
        self.message = (
            f"request.files[{key!r}] is missing, but the form has a {key!r} "
            f"field: no file contents were transmitted, because the form was "
            f"posted as {mimetype or 'no content type'!r}. Write "
            f'<form method="post" enctype="multipart/form-data"> to send '
            f"files. This was submitted: {names}"
        )

    def __str__(self) -> str:
        return self.message


class _FilesWithHint(ReadyMultiDict):
    """Files that explain a missing key the form has (see the module)."""

    form: ReadyMultiDict
    mimetype: str

    def __getitem__(self, key: str) -> Any:
        try:
            return super().__getitem__(key)
        except KeyError as missing:
            if key not in self.form:
                raise
            raise DebugFilesKeyError(
                key, self.form.getlist(key), self.mimetype
            ) from missing


def hint_missing_files(
    parsed: tuple[ReadyMultiDict, ReadyMultiDict], mimetype: str
) -> tuple[ReadyMultiDict, ReadyMultiDict]:
    """The parsed ``(form, files)``, whose files explain a missing key in
    debug mode when the body was not multipart (it cannot hold files)."""
    ctx = _cv_app.get(None)
    if mimetype == "multipart/form-data" or ctx is None or not ctx.app.debug:
        return parsed
    form, files = parsed
    hinting = _FilesWithHint(files)
    hinting.form, hinting.mimetype = form, mimetype
    return form, hinting
