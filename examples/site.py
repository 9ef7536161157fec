"""What every page of the demo shares: the header's links.

The layout (``templates/layout.html``) is used by the tour (``make run``)
and by the chat app on its own (``uvicorn examples.chat:app``), which
serve different endpoints: the header links only to the pages the app
serving it has, so neither app renders a link to a 404.
"""

from __future__ import annotations

from typing import Any

from app_framework import current_app, url_for

# (label, endpoint, URL values), in the header's order.
NAV: list[tuple[str, str, dict[str, Any]]] = [
    ("Pages", "pages.home", {}),
    ("Contact", "pages.contact", {}),
    ("Chat", "chat.page", {"room": "lobby"}),
    ("Inspector", "inspector.inspector_page", {}),
]


def navigation() -> dict[str, Any]:
    """A context processor: ``home`` (the landing page's URL, or ``None``)
    and ``nav`` (label and URL of each header link this app serves)."""
    served = current_app.view_functions
    links = [
        (label, url_for(endpoint, **values))
        for label, endpoint, values in NAV
        if endpoint in served
    ]
    home = url_for("index") if "index" in served else None
    return {"home": home, "nav": links}
