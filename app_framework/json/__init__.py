"""JSON helpers that use the current app's provider (``app.json``), as
``flask.json`` does: outside an app context they fall back to the
``json`` module with Flask's defaults."""

from __future__ import annotations

import json as _json
from typing import IO, TYPE_CHECKING, Any

from .._json_provider import flask_default
from ..globals import _cv_app, app_context
from .provider import DefaultJSONProvider, JSONProvider

if TYPE_CHECKING:
    from ..wrappers import Response

__all__ = [
    "DefaultJSONProvider",
    "JSONProvider",
    "dump",
    "dumps",
    "jsonify",
    "load",
    "loads",
]


def dumps(obj: Any, **kwargs: Any) -> str:
    """Serialise ``obj`` with ``current_app.json`` (or ``json.dumps``)."""
    ctx = _cv_app.get(None)
    if ctx is not None:
        return ctx.app.json.dumps(obj, **kwargs)
    kwargs.setdefault("default", flask_default)
    return _json.dumps(obj, **kwargs)


def dump(obj: Any, fp: IO[str], **kwargs: Any) -> None:
    """Serialise ``obj`` into the text file ``fp``."""
    fp.write(dumps(obj, **kwargs))


def loads(s: str | bytes, **kwargs: Any) -> Any:
    """Parse JSON with ``current_app.json`` (or ``json.loads``)."""
    ctx = _cv_app.get(None)
    if ctx is not None:
        return ctx.app.json.loads(s, **kwargs)
    return _json.loads(s, **kwargs)


def load(fp: IO[Any], **kwargs: Any) -> Any:
    """Parse the JSON in file ``fp``."""
    return loads(fp.read(), **kwargs)


def jsonify(*args: Any, **kwargs: Any) -> Response:
    """A JSON response made by ``current_app.json.response``:
    ``jsonify(obj)``, ``jsonify(a, b)`` or ``jsonify(key=value)``.

    :raises RuntimeError: outside an application context.
    """
    return app_context().app.json.response(*args, **kwargs)
