"""The HTTP request (Quart's ``quart.wrappers.request`` path)."""

from __future__ import annotations

from .._request import Body, NotLoadedError, Request, RequestBody

__all__ = ["Body", "NotLoadedError", "Request", "RequestBody"]
