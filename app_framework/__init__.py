"""app_framework: Flask's programming model on Starlette (work in progress)."""

from __future__ import annotations

__all__: list[str] = []
