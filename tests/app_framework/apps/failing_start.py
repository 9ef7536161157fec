"""An app whose start-up hook calls sys.exit(): uvicorn must refuse to serve
and say why (run by test_base_exceptions.py)."""

from __future__ import annotations

import sys

from app_framework import App

app = App(__name__)


@app.before_serving
def connect_to_database() -> None:
    sys.exit("the database is not configured")


@app.route("/")
async def index() -> str:
    return "served with start-up unfinished"
