"""``app_framework.converters``: kept for imports written before it moved to
``app_framework.routing.converters``."""

from __future__ import annotations

from .routing.converters import (
    CONVERTERS,
    DEFAULT_CONVERTERS,
    PLACEHOLDER,
    BaseConverter,
    Pattern,
    ValidationError,
    host_specificity,
    specificity,
    string_to_url,
    translate,
)

__all__ = [
    "CONVERTERS",
    "DEFAULT_CONVERTERS",
    "PLACEHOLDER",
    "BaseConverter",
    "Pattern",
    "ValidationError",
    "host_specificity",
    "specificity",
    "string_to_url",
    "translate",
]
