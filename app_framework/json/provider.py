"""``app_framework.json.provider``, where Flask keeps its JSON providers."""

from __future__ import annotations

from .._json_provider import DefaultJSONProvider, JSONProvider

__all__ = ["DefaultJSONProvider", "JSONProvider"]
