# mypy reads the real Flask's annotations for 'flask' (sync render_template
# and flash) and the extensions ship no types (Any bases and decorators): the
# app is checked by running it, in tests/test_examples.py and tests/e2e/.
# mypy: disable-error-code="import-untyped, untyped-decorator, misc, func-returns-value"
"""A Flask app with three installed Flask extensions, run on app_framework.

The first line makes ``import flask`` give app_framework's objects, so the
rest is written as for Flask, extensions included: Flask-Login signs users
in (a tiny in-memory user store, passwords checked with werkzeug.security),
Flask-WTF's ``FlaskForm`` and ``CSRFProtect`` guard every form, and
Flask-Cors lets one other site read the JSON API. The only app_framework
spellings are ``async def`` views with ``await render_template(...)`` and
``await flash(...)``.

Run it with ``.venv/bin/uvicorn examples.extensions_demo:app`` and open
http://127.0.0.1:8000/ (``ada`` / ``analytical-engine``).
``EXTENSIONS_DEMO_PARTNER`` names the origin allowed to read
``/api/notes`` (default ``http://127.0.0.1:8001``).
"""

from __future__ import annotations

# First, before anything imports flask: from here on it is app_framework.
import app_framework.compat.flask  # noqa: F401

# isort: split
import os
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from flask import Flask, flash, redirect, render_template, request, url_for
from flask_cors import CORS
from flask_login import (
    LoginManager,
    UserMixin,
    current_user,
    login_required,
    login_user,
    logout_user,
)
from flask_wtf import FlaskForm
from flask_wtf.csrf import CSRFError, CSRFProtect
from werkzeug.security import check_password_hash, generate_password_hash
from wtforms import PasswordField, StringField
from wtforms.validators import DataRequired, Length

app = Flask(__name__)
app.config["SECRET_KEY"] = "extensions-demo-secret-change-me-in-production-0123"
PARTNER = os.environ.get("EXTENSIONS_DEMO_PARTNER", "http://127.0.0.1:8001")

login_manager = LoginManager(app)
login_manager.login_view = "login"
login_manager.login_message_category = "error"
csrf = CSRFProtect(app)
CORS(app, resources={r"/api/*": {"origins": [PARTNER]}})


@dataclass
class Member(UserMixin):
    """A user of the demo: Flask-Login reads ``id`` (and UserMixin's flags)."""

    id: str
    password_hash: str


# The user store: two members, their passwords hashed as a real app stores them.
MEMBERS = {
    name: Member(name, generate_password_hash(password))
    for name, password in (("ada", "analytical-engine"), ("grace", "cobol-1959"))
}
NOTES: list[dict[str, str]] = []
"""The notes posted so far, oldest first (in memory: one process)."""


@login_manager.user_loader
def load_member(member_id: str) -> Member | None:
    return MEMBERS.get(member_id)


class LoginForm(FlaskForm):
    username = StringField("Username", validators=[DataRequired()])
    password = PasswordField("Password", validators=[DataRequired()])


class NoteForm(FlaskForm):
    text = StringField("Note", validators=[DataRequired(), Length(max=200)])


def safe_next(target: str | None) -> str:
    """Where to go after logging in: ``?next=`` if it stays on this site."""
    if target and target.startswith("/") and not urlsplit(target).netloc:
        return target
    return url_for("board")


@app.get("/")
async def index() -> Any:
    return redirect(url_for("board" if current_user.is_authenticated else "login"))


@app.route("/login", methods=["GET", "POST"])
async def login() -> Any:
    form = LoginForm()
    if form.validate_on_submit():
        member = MEMBERS.get(form.username.data)
        if member and check_password_hash(member.password_hash, form.password.data):
            login_user(member)
            await flash(f"Welcome, {member.id}!")
            return redirect(safe_next(request.args.get("next")))
        await flash("Unknown user or wrong password.", "error")
        page = await render_template("extensions/login.html", form=form)
        return page, 401
    return await render_template("extensions/login.html", form=form)


@app.route("/board", methods=["GET", "POST"])
@login_required
async def board() -> Any:
    form = NoteForm()
    if form.validate_on_submit():
        NOTES.append({"author": current_user.id, "text": form.text.data})
        await flash(f"Noted: {form.text.data}")
        return redirect(url_for("board"))  # so a reload does not post again
    return await render_template("extensions/board.html", form=form, notes=NOTES)


@app.post("/logout")
@login_required
async def logout() -> Any:
    logout_user()
    await flash("You are logged out.")
    return redirect(url_for("login"))


@app.get("/api/notes")
async def api_notes() -> Any:
    """The notes as JSON; the partner site may read it from its pages."""
    return {"notes": NOTES}


@app.errorhandler(CSRFError)
async def refused(error: CSRFError) -> Any:
    page = await render_template("extensions/refused.html", error=error)
    return page, 400
