from __future__ import annotations

from app_framework import App

left = App("left")
right = App("right")
