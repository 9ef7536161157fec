from __future__ import annotations

from app_framework import App

app = App("via_app_py")
