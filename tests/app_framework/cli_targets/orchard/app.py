from __future__ import annotations

from app_framework import App

# Not called "app": found as the module's only App.
grove = App("grove")
