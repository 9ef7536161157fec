"""``app_framework.background``: kept for imports written before it moved to
``app_framework.lifecycle.background``."""

from __future__ import annotations

from .lifecycle.background import (
    BackgroundTasks,
)

__all__ = ["BackgroundTasks"]
