"""The app's Jinja2 environment class, on its own so that both
:mod:`.templating` (which names it) and :mod:`._environment` (which makes
the app's instance) can import it when Jinja2 is first needed."""

from __future__ import annotations

from typing import Any

import jinja2

__all__ = ["Environment"]


class Environment(jinja2.Environment):
    """A Jinja2 environment that knows its app (``env.app``). Without a
    ``loader`` option it loads through ``app.create_global_jinja_loader()``.
    Subclass it and set the subclass as ``App.jinja_environment`` to
    customise the app's environment."""

    def __init__(self, app: Any, **options: Any) -> None:
        if "loader" not in options:
            options["loader"] = app.create_global_jinja_loader()
        super().__init__(**options)
        self.app = app
