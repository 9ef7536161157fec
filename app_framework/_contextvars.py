"""The context variables behind ``current_app``, ``g``, ``request``...

Defined at the bottom layer, so request and response objects can find the
current app (for its config and JSON provider) without importing the
context machinery above them; :mod:`.globals` builds the proxies on them.
"""

from __future__ import annotations

from contextvars import ContextVar
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from .ctx import AppContext, RequestContext

__all__ = ["_cv_app", "_cv_request"]

_cv_app: ContextVar[AppContext] = ContextVar("app_framework.app_context")
_cv_request: ContextVar[RequestContext] = ContextVar("app_framework.request_context")
