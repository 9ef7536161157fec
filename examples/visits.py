"""A small extension in Flask's ``init_app`` style: it counts visits.

It shows everything an extension usually does: keeps its state in
``app.extensions``, reads its config, registers hooks, a
``teardown_appcontext`` function, a blueprint, a template global and a
CLI command, and sends a signal of its own::

    from examples.visits import Visits, visit_counted

    visits = Visits()

    def create_app():
        app = App(__name__)
        visits.init_app(app)
        return app

Templates then have ``visit_count(endpoint)``; ``/visits/`` lists the
counts; ``app-framework --app module:app visits reset`` clears them.
"""

from __future__ import annotations

from collections import Counter
from typing import Any

import click

from app_framework import App, Blueprint, current_app, g, request
from app_framework.signals import Namespace

visit_signals = Namespace()
visit_counted = visit_signals.signal(
    "visit-counted", doc="A visit was counted; kwargs: endpoint, count."
)


class Visits:
    """Counts requests per endpoint, for one app or many (``init_app``)."""

    def __init__(self, app: App | None = None) -> None:
        if app is not None:
            self.init_app(app)

    def init_app(self, app: App) -> None:
        """Set the extension up on ``app``."""
        app.config.setdefault("VISITS_IGNORE", ["static"])
        app.extensions["visits"] = Counter()
        app.before_request(self._count)
        app.teardown_appcontext(self._forget)
        app.add_template_global(self.count, "visit_count")
        app.register_blueprint(_report_blueprint())

        @app.cli.group("visits")
        def visits_group() -> None:
            """Visit counters."""

        @visits_group.command("reset")
        def reset() -> None:
            """Forget every count."""
            current_app.extensions["visits"].clear()
            click.echo("visit counts reset")

    @staticmethod
    def counts() -> Counter[str]:
        """The current app's counts."""
        counts: Counter[str] = current_app.extensions["visits"]
        return counts

    def count(self, endpoint: str) -> int:
        """How often ``endpoint`` was visited."""
        return self.counts()[endpoint]

    async def _count(self) -> None:
        endpoint = request.endpoint
        if endpoint is None or endpoint in current_app.config["VISITS_IGNORE"]:
            return
        counts = self.counts()
        counts[endpoint] += 1
        g.visit_number = counts[endpoint]
        await visit_counted.send_async(
            current_app._get_current_object(), endpoint=endpoint, count=counts[endpoint]
        )

    @staticmethod
    def _forget(exc: BaseException | None) -> None:
        g.pop("visit_number", None)


def _report_blueprint() -> Blueprint:
    report = Blueprint("visits", __name__, url_prefix="/visits")

    @report.route("/")
    async def counts() -> dict[str, Any]:
        return dict(Visits.counts())

    return report
