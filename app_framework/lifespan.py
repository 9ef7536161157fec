"""``app_framework.lifespan``: kept for imports written before it moved to
``app_framework.lifecycle.lifespan``."""

from __future__ import annotations

from .lifecycle.lifespan import (
    add_while_serving,
    lifespan,
    shutdown,
    startup,
    warn_about_weak_secret,
)

__all__ = [
    "add_while_serving",
    "lifespan",
    "shutdown",
    "startup",
    "warn_about_weak_secret",
]
