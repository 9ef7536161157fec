"""The app's Jinja2 environment and template loader, imported on first use
(``app.jinja_env``), so importing the framework does not import Jinja2."""

from __future__ import annotations

import os
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from jinja2 import BaseLoader, Environment, FileSystemLoader, TemplateNotFound
from jinja2 import select_autoescape as _select_autoescape

from .._urls import url_for
from ..helpers import get_flashed_messages
from ._jinja import Environment as AppEnvironment

if TYPE_CHECKING:
    from ..app import App

__all__ = ["AppLoader", "create_environment"]


class AppLoader(BaseLoader):
    """Looks in the app's template folder, then in each blueprint's, in
    registration order. A missing template names every folder searched."""

    def __init__(self, app: App) -> None:
        self.app = app

    def folders(self) -> list[str]:
        """The template folders, most important first (each once)."""
        scaffolds: list[Any] = [self.app, *self.app.blueprints.values()]
        folders = (s.jinja_loader_folder for s in scaffolds)
        return list(dict.fromkeys(folder for folder in folders if folder))

    def get_source(
        self, environment: Environment, template: str
    ) -> tuple[str, str | None, Callable[[], bool] | None]:
        searched = self.folders()
        for folder in searched:
            try:
                return FileSystemLoader(folder).get_source(environment, template)
            except TemplateNotFound:
                continue
        raise TemplateNotFound(
            template,
            f"template {template!r} not found; searched: {', '.join(searched)}",
        )

    def list_templates(self) -> list[str]:
        found: set[str] = set()
        for folder in self.folders():
            if os.path.isdir(folder):
                found.update(FileSystemLoader(folder).list_templates())
        return sorted(found)


def create_environment(app: App) -> AppEnvironment:
    """The app's environment (of ``app.jinja_environment``, else
    ``templating.Environment``, loading through the app's
    ``create_global_jinja_loader()``): async, autoescaping ``.html``/``.htm``/``.xml``,
    reloading templates when ``TEMPLATES_AUTO_RELOAD`` (default: ``DEBUG``)."""
    auto_reload = app.config["TEMPLATES_AUTO_RELOAD"]
    env_class = app.jinja_environment or AppEnvironment
    env = env_class(
        app,
        enable_async=True,
        autoescape=_select_autoescape(
            ["html", "htm", "xml", "xhtml", "svg"], default_for_string=True
        ),
        auto_reload=app.debug if auto_reload is None else bool(auto_reload),
    )
    env.globals.update(url_for=url_for, get_flashed_messages=get_flashed_messages)
    # |tojson serialises with app.json (Flask's default conversions, or the
    # app's own provider), looked up per call so a provider set later counts;
    # Jinja still makes the output safe inside <script>.
    env.policies["json.dumps_function"] = lambda obj, **kwargs: app.json.dumps(
        obj, **kwargs
    )
    return env
