"""The port of ``flask_journal.entries``."""

from __future__ import annotations

from typing import Any

from app_framework import (
    Blueprint,
    g,
    redirect,
    render_template_string,
    request,
    url_for,
)

from .auth import login_required
from .db import get_db

bp = Blueprint("entries", __name__)

LIST = """{% if g.user %}<a href="{{ url_for('entries.create') }}">New</a>{% endif %}
{% for entry in entries %}
<article>{{ entry['username'] }}: {{ entry['body'] }}</article>{% endfor %}"""


@bp.route("/")
async def index() -> str:
    entries = (
        get_db()
        .execute(
            "SELECT e.id, body, username FROM entry e JOIN user u ON e.author_id = u.id"
            " ORDER BY e.id DESC"
        )
        .fetchall()
    )
    return await render_template_string(LIST, entries=entries)


@bp.route("/create", methods=("GET", "POST"))
@login_required
async def create() -> Any:
    if request.method == "POST":
        body = (await request.form)["body"]
        db = get_db()
        db.execute(
            "INSERT INTO entry (body, author_id) VALUES (?, ?)", (body, g.user["id"])
        )
        db.commit()
        return redirect(url_for("entries.index"))
    return await render_template_string(
        "<form method=post><textarea name=body></textarea></form>"
    )
