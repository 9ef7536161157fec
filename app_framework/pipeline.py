"""The request lifecycle's helpers, at the path they had before the plan
runner (see :mod:`._plan_runner`)."""

from __future__ import annotations

from .lifecycle.runner import options_response, trap_http_exception

__all__ = ["options_response", "trap_http_exception"]
