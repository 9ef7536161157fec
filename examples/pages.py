"""Pages with templates, a layout, and a form that flashes.

Registered on the tour app, so ``make run`` serves it: open
http://127.0.0.1:8000/pages/ and send the contact form.
"""

from __future__ import annotations

from typing import Any

from app_framework import (
    Blueprint,
    flash,
    redirect,
    render_template,
    request,
    session,
    url_for,
)

pages = Blueprint("pages", __name__, url_prefix="/pages")


@pages.route("/")
async def home() -> str:
    return await render_template("pages/home.html")


@pages.route("/contact", methods=["GET", "POST"])
async def contact() -> Any:
    if request.method == "POST":
        form = await request.form
        name = str(form.get("name", "")).strip()
        message = str(form.get("message", "")).strip()
        if not name or not message:
            await flash("Please give your name and a message.", "error")
            # The form comes back with what was typed: nothing is lost.
            page = await render_template(
                "pages/contact.html", name=name, message=message
            )
            return page, 400
        session["name"] = name
        await flash(f"Thanks, {name}! Your message was received.")
        return redirect(url_for("pages.home"))
    return await render_template(
        "pages/contact.html", name=session.get("name", ""), message=""
    )
