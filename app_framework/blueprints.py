"""Blueprints, as Flask 3.1 has them: routes, hooks, templates, static
files and commands for one part of an app, registered under a name and a
URL prefix, nestable, and registrable twice under two names."""

from __future__ import annotations

import os
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, TypeVar

from .exceptions import SetupError
from .routing import RuleOptions
from .scaffold import HOOK_KINDS, Scaffold

if TYPE_CHECKING:
    from .app import App

__all__ = ["Blueprint", "BlueprintSetupState"]

F = TypeVar("F", bound=Callable[..., Any])
Deferred = Callable[["BlueprintSetupState"], None]

# Quart's default, so that passing it (cli_group=...) means the default too.
_DEFAULT_GROUP: Any = Ellipsis


class BlueprintSetupState:
    """What a blueprint's deferred functions (``record``) get at each
    registration: the app, the options, and an ``add_url_rule`` that
    applies the prefix, subdomain, defaults and name."""

    def __init__(
        self, blueprint: Blueprint, app: App, options: dict[str, Any], first: bool
    ) -> None:
        self.app = app
        self.blueprint = blueprint
        self.options = options
        self.first_registration = first
        """Whether this is the blueprint's first registration on this app."""
        subdomain = options.get("subdomain")
        self.subdomain: str | None = (
            blueprint.subdomain if subdomain is None else subdomain
        )
        url_prefix = options.get("url_prefix")
        self.url_prefix: str | None = (
            blueprint.url_prefix if url_prefix is None else url_prefix
        )
        self.name: str = options.get("name", blueprint.name)
        self.name_prefix: str = options.get("name_prefix", "")
        self.url_defaults = {
            **blueprint.url_values_defaults,
            **dict(options.get("url_defaults", ())),
        }

    def add_url_rule(
        self,
        rule: str,
        endpoint: str | None = None,
        view_func: Callable[..., Any] | None = None,
        **options: Any,
    ) -> None:
        """Add a rule to the app, prefixed and named for this blueprint."""
        if self.url_prefix is not None:
            if rule:
                rule = "/".join((self.url_prefix.rstrip("/"), rule.lstrip("/")))
            else:
                rule = self.url_prefix
        if options.get("subdomain") is None:
            options["subdomain"] = self.subdomain
        if endpoint is None:
            endpoint = getattr(view_func, "__name__", rule)
        options["defaults"] = {**self.url_defaults, **(options.get("defaults") or {})}
        self.app.add_url_rule(rule, self._full(endpoint), view_func, **options)

    def _full(self, endpoint: str) -> str:
        return f"{self.name_prefix}.{self.name}.{endpoint}".lstrip(".")

    def view_endpoint(self, endpoint: str) -> str:
        """The endpoint ``@blueprint.endpoint(endpoint)`` gives its view to:
        the blueprint's own (prefixed) when it has such a rule, else the
        app's rule of that plain name when there is one (Flask hands a
        blueprint's endpoint views to the app under the plain name)."""
        full = self._full(endpoint)
        rules = self.app.router.by_endpoint
        return endpoint if not rules.get(full) and rules.get(endpoint) else full


class Blueprint(Scaffold):
    """Routes and hooks that apply to one part of an application.

    Its endpoints are named ``"<blueprint>.<view>"``. Its own
    ``before_request``, ``after_request``, ``teardown_request``,
    ``errorhandler``, ``context_processor``, ``url_defaults`` and
    ``url_value_preprocessor`` apply to requests its rules matched; the
    ``*_app_*`` forms (``before_app_request``, ``app_errorhandler``...)
    apply to every request of the app.

    :param name: The blueprint's name, the prefix of its endpoints.
    :param import_name: The module defining it, usually ``__name__``.
    :param static_folder: Its static files, served under ``static_url_path``
        (below ``url_prefix``) as the ``<name>.static`` endpoint.
    :param template_folder: Its templates; searched after the app's.
    :param url_prefix: Prepended to every rule (``"/admin"``).
    :param subdomain: The subdomain its rules match (with subdomain matching).
    :param url_defaults: Default values for its rules' parts.
    :param cli_group: The name of its command group; ``None`` adds its
        commands to the app's own group. Default (or ``...``, as Quart
        spells it): the blueprint's name.
    """

    def __init__(
        self,
        name: str,
        import_name: str,
        static_folder: str | os.PathLike[str] | None = None,
        static_url_path: str | None = None,
        template_folder: str | os.PathLike[str] | None = None,
        url_prefix: str | None = None,
        subdomain: str | None = None,
        url_defaults: dict[str, Any] | None = None,
        root_path: str | None = None,
        cli_group: str | None = _DEFAULT_GROUP,
    ) -> None:
        if not name:
            raise ValueError("'name' may not be empty.")
        if "." in name:
            raise ValueError(f"'name' may not contain a dot '.' character: {name!r}")
        super().__init__(
            import_name, static_folder, static_url_path, template_folder, root_path
        )
        self.name = name
        self.url_prefix = url_prefix
        self.subdomain = subdomain
        self.url_values_defaults: dict[str, Any] = dict(url_defaults or {})
        self.cli_group = cli_group
        self.deferred_functions: list[Deferred] = []
        self._blueprints: list[tuple[Blueprint, dict[str, Any]]] = []
        self._registered = False

    def _check_setup(self, what: str) -> None:
        if self._registered:
            raise SetupError(
                f"The setup method {what!r} cannot be called on blueprint "
                f"{self.name!r}: it is already registered on an app. Set it up "
                "fully before register_blueprint()."
            )

    # -- deferred setup ------------------------------------------------------

    def record(self, func: Deferred) -> Deferred:
        """Call ``func(state)`` at each registration (for extensions)."""
        self._check_setup("record")
        self.deferred_functions.append(func)
        return func

    def record_once(self, func: Deferred) -> Deferred:
        """Call ``func(state)`` at the blueprint's first registration only."""

        def once(state: BlueprintSetupState) -> None:
            if state.first_registration:
                func(state)

        return self.record(once)

    def _add_rule(
        self,
        rule: str,
        endpoint: str,
        view_func: Callable[..., Any] | None,
        options: RuleOptions,
    ) -> None:
        """Keep a rule; it is added to the app, prefixed, on registration."""
        if "." in endpoint:
            raise ValueError(
                f"'endpoint' may not contain a dot '.' character: {endpoint!r}"
            )
        if view_func is not None and "." in getattr(view_func, "__name__", ""):
            raise ValueError("'view_func' name may not contain a dot '.' character.")
        # The app reads required_methods from the view again: not an option.
        settings = {
            k: v
            for k, v in vars(options).items()
            if v is not None and k != "required_methods"
        }
        self.record(lambda s: s.add_url_rule(rule, endpoint, view_func, **settings))

    def _set_endpoint_view(self, endpoint: str, func: Callable[..., Any]) -> None:
        self.record(lambda s: s.app._set_endpoint_view(s.view_endpoint(endpoint), func))

    def register_blueprint(self, blueprint: Blueprint, **options: Any) -> None:
        """Nest ``blueprint`` in this one: its endpoints become
        ``"<this>.<child>.<view>"`` and its URL prefix follows this one's.

        :raises ValueError: registering a blueprint on itself.
        """
        if blueprint is self:
            raise ValueError("Cannot register a blueprint on itself")
        self._check_setup("register_blueprint")
        self._blueprints.append((blueprint, options))

    # -- app-wide hooks and template functions -------------------------------

    def _app_wide(self, kind: str, func: F) -> F:
        self.record_once(
            lambda s: getattr(s.app, kind).setdefault(None, []).append(func)
        )
        return func

    def before_app_request(self, func: F) -> F:
        """``before_request`` for every request of the app."""
        return self._app_wide("before_request_funcs", func)

    def after_app_request(self, func: F) -> F:
        """``after_request`` for every request of the app."""
        return self._app_wide("after_request_funcs", func)

    def teardown_app_request(self, func: F) -> F:
        """``teardown_request`` for every request of the app."""
        return self._app_wide("teardown_request_funcs", func)

    def before_app_websocket(self, func: F) -> F:
        """``before_websocket`` for every websocket of the app."""
        return self._app_wide("before_websocket_funcs", func)

    def after_app_websocket(self, func: F) -> F:
        """``after_websocket`` for every websocket of the app."""
        return self._app_wide("after_websocket_funcs", func)

    def teardown_app_websocket(self, func: F) -> F:
        """``teardown_websocket`` for every websocket of the app."""
        return self._app_wide("teardown_websocket_funcs", func)

    def app_context_processor(self, func: F) -> F:
        """A context processor for every template of the app."""
        return self._app_wide("template_context_processors", func)

    def app_url_value_preprocessor(self, func: F) -> F:
        """A URL value preprocessor for every request of the app."""
        return self._app_wide("url_value_preprocessors", func)

    def app_url_defaults(self, func: F) -> F:
        """A ``url_defaults`` function for every ``url_for`` of the app."""
        return self._app_wide("url_default_functions", func)

    def app_errorhandler(self, code_or_exception: Any) -> Callable[[F], F]:
        """An error handler for every request of the app."""

        def decorator(func: F) -> F:
            self.record_once(
                lambda s: s.app.register_error_handler(code_or_exception, func)
            )
            return func

        return decorator

    def app_template_filter(self, name: str | None = None) -> Callable[[F], F]:
        """A Jinja filter for every template of the app."""
        return self._template_decorator("filter", name)

    def app_template_test(self, name: str | None = None) -> Callable[[F], F]:
        """A Jinja test for every template of the app."""
        return self._template_decorator("test", name)

    def app_template_global(self, name: str | None = None) -> Callable[[F], F]:
        """A Jinja global for every template of the app."""
        return self._template_decorator("global", name)

    def _template_decorator(self, kind: str, name: str | None) -> Callable[[F], F]:
        def decorator(func: F) -> F:
            self._add_template(kind, func, name)
            return func

        return decorator

    def _add_template(
        self, kind: str, func: Callable[..., Any], name: str | None
    ) -> None:
        self.record_once(lambda s: getattr(s.app, f"add_template_{kind}")(func, name))

    def add_app_template_filter(
        self, func: Callable[..., Any], name: str | None = None
    ) -> None:
        """Non-decorator form of :meth:`app_template_filter`."""
        self._add_template("filter", func, name)

    def add_app_template_test(
        self, func: Callable[..., Any], name: str | None = None
    ) -> None:
        """Non-decorator form of :meth:`app_template_test`."""
        self._add_template("test", func, name)

    def add_app_template_global(
        self, func: Callable[..., Any], name: str | None = None
    ) -> None:
        """Non-decorator form of :meth:`app_template_global`."""
        self._add_template("global", func, name)

    # -- registration (called by app.register_blueprint) ---------------------

    def register(self, app: App, options: dict[str, Any]) -> None:
        """Register this blueprint (and those nested in it) on ``app``.

        :raises ValueError: the name is taken (by this or another blueprint),
            or one of its commands has a name the app's group already uses.
        """
        self_name = options.get("name", self.name)
        if "." in self_name:
            raise ValueError(
                f"'name' may not contain a dot '.' character: {self_name!r}"
            )
        name = f"{options.get('name_prefix', '')}.{self_name}".lstrip(".")
        known = app.blueprints.get(name)
        if known is not None:
            which = (
                "this blueprint"
                if known is self
                else f"blueprint {known.import_name}:{known.name}"
            )
            raise ValueError(
                f"The name {name!r} is already registered for {which}; "
                f"{self.import_name}:{self.name} cannot take it too. Use "
                "register_blueprint(..., name='another') to register it again."
            )
        first = not any(bp is self for bp in app.blueprints.values())
        app.blueprints[name] = self
        self._registered = True
        state = BlueprintSetupState(self, app, options, first)
        if self.has_static_folder:
            state.add_url_rule(
                f"{self.static_url_path}/<path:filename>",
                view_func=self.send_static_file,
                endpoint="static",
                last=True,
            )
        self._merge_hooks(app, name)
        for deferred in self.deferred_functions:
            deferred(state)
        self._register_commands(app, name, options.get("cli_group", self.cli_group))
        for child, child_options in self._blueprints:
            child.register(app, self._child_options(state, child, child_options, name))

    def _merge_hooks(self, app: App, name: str) -> None:
        for kind in HOOK_KINDS:
            for key, funcs in getattr(self, kind).items():
                target = name if key is None else f"{name}.{key}"
                getattr(app, kind).setdefault(target, []).extend(funcs)
        for key, by_code in self.error_handlers.items():
            target = name if key is None else f"{name}.{key}"
            merged = app.error_handlers.setdefault(target, {})
            for code, by_class in by_code.items():
                merged.setdefault(code, {}).update(by_class)

    def _register_commands(self, app: App, name: str, group: str | None) -> None:
        if self._cli is None or not self._cli.commands:
            return
        if group is None:
            for command in self._cli.commands.values():
                app.cli.add_command_checked(command, f"blueprint {name!r}")
            return
        self._cli.name = name if group is _DEFAULT_GROUP else group
        app.cli.add_command_checked(self._cli, f"blueprint {name!r}")

    @staticmethod
    def _child_options(
        state: BlueprintSetupState, child: Blueprint, options: dict[str, Any], name: str
    ) -> dict[str, Any]:
        options = dict(options)
        # An option given as None means the child's own, as Flask reads it.
        url_prefix = options.get("url_prefix")
        if url_prefix is None:
            url_prefix = child.url_prefix
        if state.url_prefix is not None and url_prefix is not None:
            options["url_prefix"] = (
                state.url_prefix.rstrip("/") + "/" + url_prefix.lstrip("/")
            )
        elif url_prefix is None and state.url_prefix is not None:
            options["url_prefix"] = state.url_prefix
        subdomain = options.get("subdomain")
        if subdomain is None:
            subdomain = child.subdomain
        if state.subdomain is not None and subdomain is not None:
            options["subdomain"] = f"{subdomain}.{state.subdomain}"
        elif subdomain is None and state.subdomain is not None:
            options["subdomain"] = state.subdomain
        options["name_prefix"] = name
        return options
