"""Blueprints: a group of routes and hooks registered on an app under a prefix."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING, Any

from .scaffold import Scaffold, module_folder

if TYPE_CHECKING:
    from .app import App


class Blueprint(Scaffold):
    """Routes and hooks that apply to one part of an application.

    Its endpoints are named ``"<blueprint>.<view>"``; its ``before_request``,
    ``after_request``, ``teardown_request`` and error handlers apply only to
    requests its rules matched, after (or, for error handlers, before) the
    app's own.

    :param name: The blueprint's name, the prefix of its endpoints.
    :param import_name: The module defining it, usually ``__name__``.
    :param url_prefix: Prepended to every rule (``"/admin"``).
    :param template_folder: The blueprint's own templates, relative to
        ``root_path`` (default: its module's folder); searched after the app's.
    """

    def __init__(
        self,
        name: str,
        import_name: str,
        url_prefix: str | None = None,
        template_folder: str | None = None,
        root_path: str | None = None,
    ) -> None:
        if not name or "." in name:
            raise ValueError(
                f"blueprint name {name!r} must be non-empty and have no '.'"
            )
        super().__init__()
        self.name = name
        self.import_name = import_name
        self.url_prefix = url_prefix
        self.template_folder = template_folder
        self.root_path = root_path or module_folder(import_name)
        self.rules: list[
            tuple[str, str, Callable[..., Any], Iterable[str] | None, bool]
        ] = []
        self._registered = False

    def _check_setup(self, what: str) -> None:
        if self._registered:
            raise RuntimeError(
                f"Cannot call {what}() on blueprint {self.name!r}: it is already "
                "registered on an app. Set it up fully before register_blueprint()."
            )

    def _add_rule(
        self,
        rule: str,
        endpoint: str,
        view_func: Callable[..., Any],
        methods: Iterable[str] | None,
        websocket: bool,
    ) -> None:
        """Keep a rule; it is added to the app, prefixed, on registration."""
        if "." in endpoint:
            raise ValueError(
                f"endpoint {endpoint!r} of a blueprint may not contain '.'"
            )
        self.rules.append((rule, endpoint, view_func, methods, websocket))

    def register(self, app: App, url_prefix: str | None = None) -> None:
        """Add this blueprint's rules to ``app`` (called by ``register_blueprint``)."""
        prefix = (url_prefix if url_prefix is not None else self.url_prefix) or ""
        for rule, endpoint, view_func, methods, websocket in self.rules:
            full = prefix.rstrip("/") + rule if prefix else rule
            app.add_url_rule(
                full, f"{self.name}.{endpoint}", view_func, methods, websocket=websocket
            )
        self._registered = True
