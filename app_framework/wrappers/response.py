"""The response (Quart's ``quart.wrappers.response`` path)."""

from __future__ import annotations

from .._response import Response, ResponseHeaders, html_response

__all__ = ["Response", "ResponseHeaders", "html_response"]
