"""The app bench/soak.py serves: every signal heard, several kinds of route."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import app_framework
from app_framework import flash, render_template_string, session, signals
from app_framework.signals import all_signals

app = app_framework.App("soak")
app.config["SECRET_KEY"] = "soak-test-secret-key-that-is-long-enough-0123456789"
heard = {"count": 0}


def _sync(sender: Any, **kwargs: Any) -> None:
    heard["count"] += 1


async def _async(sender: Any, **kwargs: Any) -> None:
    heard["count"] += 1


for _signal in all_signals().values():
    _signal.connect(_sync, sender=app)
    _signal.connect(_async, sender=app)
assert signals.request_started.has_receivers_for(app)


@app.route("/hello")
async def hello() -> str:
    return "hello"


@app.route("/json/<int:n>")
async def as_json(n: int) -> dict[str, int]:
    return {"n": n, "heard": heard["count"]}


@app.route("/page")
async def page() -> str:
    session["visits"] = session.get("visits", 0) + 1
    await flash("soaking")
    return await render_template_string(
        "{{ session['visits'] }} {{ get_flashed_messages() }}"
    )


@app.route("/stream")
async def stream() -> AsyncIterator[str]:
    async def body() -> AsyncIterator[str]:
        for i in range(5):
            yield f"{i}\n"

    return body()
