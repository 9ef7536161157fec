"""The response (Quart's ``quart.wrappers.response`` path), with Quart's
body wrappers."""

from __future__ import annotations

from .._response import Response, ResponseHeaders, html_response
from .._response_bodies import DataBody, FileBody, IOBody, IterableBody, ResponseBody

__all__ = [
    "DataBody",
    "FileBody",
    "IOBody",
    "IterableBody",
    "Response",
    "ResponseBody",
    "ResponseHeaders",
    "html_response",
]
