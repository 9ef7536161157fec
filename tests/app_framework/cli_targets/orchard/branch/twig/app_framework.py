from __future__ import annotations

from app_framework import App  # the installed framework, not this module

app = App("twig")
