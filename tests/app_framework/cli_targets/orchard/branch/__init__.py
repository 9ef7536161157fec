from __future__ import annotations

from app_framework import App

application = App("branch")
