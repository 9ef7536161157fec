"""Request data structures: werkzeug's, as Flask and Quart hand them out.

``request.args``, ``request.form`` and ``request.files`` are werkzeug
multi-dicts (``get(key, default, type=int)``, ``getlist``; a missing key is
``BadRequestKeyError``, a 400). Uploaded files are :class:`FileStorage`.
"""

from __future__ import annotations

import os
from typing import IO

from werkzeug.datastructures import (
    Authorization,
    CombinedMultiDict,
    Headers,
    ImmutableMultiDict,
    MultiDict,
)
from werkzeug.datastructures import FileStorage as _WerkzeugFileStorage

from ._values import ReadyConstant

__all__ = [
    "Authorization",
    "CombinedMultiDict",
    "FileStorage",
    "Headers",
    "ImmutableMultiDict",
    "MultiDict",
]


class FileStorage(_WerkzeugFileStorage):
    """An uploaded file: werkzeug's ``FileStorage`` (``filename``,
    ``mimetype``, ``read()``, ``stream``...) whose :meth:`save` reads both
    ways: ``file.save(path)`` (Flask) and ``await file.save(path)`` (Quart).
    """

    def save(  # type: ignore[override]
        self, dst: str | os.PathLike[str] | IO[bytes], buffer_size: int = 16384
    ) -> ReadyConstant:
        """Write the file to ``dst`` (a path or a binary file object).

        The write happens during the call, so the Flask spelling saves and
        raises as it should; the return value may be awaited (Quart's
        spelling) and gives None. The data is already in memory or in a
        local temporary file (its size bounded by ``MAX_CONTENT_LENGTH``),
        so the copy is a local one.
        """
        super().save(dst, buffer_size)
        return ReadyConstant(None)
