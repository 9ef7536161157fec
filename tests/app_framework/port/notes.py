"""The port of ``flask_notes.py``: imports renamed, async/await added,
nothing else (``tests/app_framework/test_port.py`` checks that)."""

from __future__ import annotations

import io
from typing import Any

from werkzeug.exceptions import HTTPException

from app_framework import (
    App,
    Response,
    abort,
    flash,
    jsonify,
    make_response,
    redirect,
    render_template_string,
    request,
    send_file,
    session,
    url_for,
)

PAGE = """{% for message in get_flashed_messages() %}
<p class=flash>{{ message }}</p>{% endfor %}
<h1>{{ user or "Guest" }}</h1>
<ul>{% for note in notes.values() %}<li>{{ note.text }}</li>{% endfor %}</ul>"""


def create_app(test_config: dict[str, Any] | None = None) -> App:
    app = App(__name__)
    app.config.from_mapping(SECRET_KEY="a-key-for-the-port-test-only-0123456789")
    if test_config:
        app.config.update(test_config)
    notes: dict[int, dict[str, Any]] = {}

    @app.route("/")
    async def index() -> str:
        return await render_template_string(PAGE, notes=notes, user=session.get("user"))

    @app.route("/login", methods=["POST"])
    async def login() -> Any:
        name = (await request.form)["name"]
        if not name.strip():
            abort(400, "a name is required")
        session["user"] = name
        flash(f"Welcome, {name}!")
        return redirect(url_for("index"))

    @app.route("/notes", methods=["POST"])
    async def add_note() -> tuple[Response, int]:
        if "user" not in session:
            abort(401)
        data = await request.get_json()
        note_id = len(notes) + 1
        notes[note_id] = {
            "id": note_id,
            "text": data["text"],
            "author": session["user"],
        }
        return jsonify(notes[note_id]), 201

    @app.route("/notes/<int:note_id>")
    async def get_note(note_id: int) -> dict[str, Any]:
        return notes.get(note_id) or abort(404)

    @app.route("/search")
    async def search() -> Response:
        query = request.args.get("q", "")
        limit = request.args.get("limit", 10, type=int)
        found = [note for note in notes.values() if query in note["text"]]
        return jsonify(found[:limit])

    @app.route("/export.txt")
    async def export() -> Response:
        text = "\n".join(note["text"] for note in notes.values())
        return send_file(
            io.BytesIO(text.encode()),
            mimetype="text/plain",
            as_attachment=True,
            download_name="notes.txt",
        )

    @app.after_request
    def count_notes(response: Response) -> Response:
        response.headers["X-Notes"] = str(len(notes))
        return response

    @app.errorhandler(404)
    def not_found(error: HTTPException) -> Response:
        return make_response(jsonify(error="not found"), 404)

    return app
