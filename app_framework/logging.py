"""``app.logger``'s set-up, as ``flask.logging``: the app's logger, with
:data:`default_handler` added when nothing else would show its records.

:data:`wsgi_errors_stream` keeps Flask's name for the stream the default
handler writes to. In Flask it is the request's ``environ["wsgi.errors"]``
during a request, else ``sys.stderr``; ASGI has no per-request error stream,
so here it is always ``sys.stderr``, looked up at each write. To take the
handler off (after configuring logging yourself)::

    from app_framework.logging import default_handler

    app.logger.removeHandler(default_handler)
"""

from __future__ import annotations

import logging
import sys
from typing import TYPE_CHECKING, TextIO, cast

from werkzeug.local import LocalProxy

if TYPE_CHECKING:
    from .app import App

__all__ = [
    "create_logger",
    "default_handler",
    "has_level_handler",
    "wsgi_errors_stream",
]


def _current_stderr() -> TextIO:
    return sys.stderr


wsgi_errors_stream = cast(TextIO, LocalProxy(_current_stderr))
"""Whatever ``sys.stderr`` is when written to (Flask's name; see the module
docstring). A proxy rather than the stream itself, so that replacing
``sys.stderr`` after import (pytest's ``capsys``, a process manager's
redirection, ``contextlib.redirect_stderr``) also moves the app's log."""

default_handler = logging.StreamHandler(wsgi_errors_stream)
"""The handler added to an app's logger when nothing would show its
records: time, level and logger name, then the message, written to
:data:`wsgi_errors_stream`."""
default_handler.setFormatter(
    logging.Formatter("[%(asctime)s] %(levelname)s in %(name)s: %(message)s")
)


def has_level_handler(logger: logging.Logger) -> bool:
    """Whether some handler on the way up from ``logger`` shows its
    effective level (so a default handler would print records twice)."""
    level = logger.getEffectiveLevel()
    current: logging.Logger | None = logger
    while current is not None:
        if any(handler.level <= level for handler in current.handlers):
            return True
        if not current.propagate:
            break
        current = current.parent
    return False


def create_logger(app: App) -> logging.Logger:
    """The logger named after the app; DEBUG level when ``app.debug`` and
    no level was set; the default handler when no handler would show it.
    (uvicorn configures only its own loggers, so under uvicorn an app's
    records go to the default handler unless logging is configured.)"""
    logger = logging.getLogger(app.name)
    if app.debug and not logger.level:
        logger.setLevel(logging.DEBUG)
    if not has_level_handler(logger):
        logger.addHandler(default_handler)
    return logger
