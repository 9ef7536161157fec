"""Registration shared by ``App`` and ``Blueprint``: routes, hooks, error
handlers, URL processors, context processors, static files and resources.

Hooks are kept as Flask keeps them: in dicts keyed by blueprint name, the
scaffold's own under ``None``. A blueprint's are copied into the app under
the blueprint's registered name when it is registered.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from datetime import timedelta
from typing import IO, TYPE_CHECKING, Any, TypeVar

from werkzeug.exceptions import HTTPException, default_exceptions

from ._concurrency import is_async_callable
from ._paths import module_folder
from .globals import app_context
from .routing import RuleOptions

if TYPE_CHECKING:
    from ._cli_groups import AppGroup
    from .wrappers.response import Response

F = TypeVar("F", bound=Callable[..., Any])
ErrorKey = int | type[BaseException]
Funcs = dict[str | None, list[Callable[..., Any]]]
Handlers = dict[
    str | None, dict[int | None, dict[type[BaseException], Callable[..., Any]]]
]

HOOK_KINDS = (
    "before_request_funcs",
    "after_request_funcs",
    "teardown_request_funcs",
    "before_websocket_funcs",
    "after_websocket_funcs",
    "teardown_websocket_funcs",
    "url_value_preprocessors",
    "url_default_functions",
    "template_context_processors",
)
"""The per-blueprint hook dicts of a scaffold (besides ``error_handlers``)."""

# required_methods comes from the view, not from route()'s keywords.
_RULE_OPTIONS = frozenset(vars(RuleOptions())) - {"required_methods"}


def error_key(key: ErrorKey) -> tuple[int | None, type[BaseException]]:
    """``(code, class)`` for a status code or an exception class.

    :raises ValueError: a status with no werkzeug error class, or a class
        that is not an exception.
    :raises TypeError: an exception instance, or neither an int nor a class.
    """
    if isinstance(key, int) and not isinstance(key, bool):
        found = default_exceptions.get(key)
        if found is None:
            raise ValueError(
                f"{key} is not an HTTP error status werkzeug has a class for. "
                "Use a subclass of HTTPException with that code (code = "
                f"{key}) and register the handler for that class."
            )
        return key, found
    if isinstance(key, type):
        if not issubclass(key, BaseException):
            raise ValueError(f"{key.__name__!r} is not a subclass of Exception.")
        code = key.code if issubclass(key, HTTPException) else None
        return code, key
    if isinstance(key, BaseException):
        name = type(key).__name__
        raise TypeError(
            f"{key!r} is an instance, not a class. Register the class: "
            f"errorhandler({name})."
        )
    raise TypeError(
        f"errorhandler takes a status code or an exception class, got {key!r}"
    )


def rule_options(
    options: dict[str, Any], view_func: Callable[..., Any] | None = None
) -> RuleOptions:
    """The options of ``route()``/``add_url_rule()``, with the methods
    ``view_func`` requires (its ``required_methods`` attribute, which
    extensions set, e.g. OPTIONS for a CORS decorator answering preflights).

    :raises TypeError: an option Flask's ``route()`` does not have, or
        ``methods`` given as one string.
    """
    unknown = set(options) - _RULE_OPTIONS
    if unknown:
        known = ", ".join(sorted(_RULE_OPTIONS - {"websocket"}))
        raise TypeError(f"unknown route option(s) {sorted(unknown)}; known: {known}")
    methods = options.get("methods")
    if isinstance(methods, str):
        # A string is iterable: "GET POST" would allow G, E, T, ' '...
        raise TypeError(
            f"methods must be a list of method names, not the string "
            f"{methods!r}: write methods={methods.split()!r}"
        )
    required = getattr(view_func, "required_methods", None) or ()
    return RuleOptions(**options, required_methods=tuple(required))


class Scaffold:
    """Collects routes and hooks. The app registers them for real; a
    blueprint keeps them until it is registered on an app."""

    name: str
    _cli: AppGroup | None = None

    def __init__(
        self,
        import_name: str,
        static_folder: str | os.PathLike[str] | None = None,
        static_url_path: str | None = None,
        template_folder: str | os.PathLike[str] | None = None,
        root_path: str | None = None,
    ) -> None:
        self.import_name = import_name
        self.root_path = root_path or module_folder(import_name)
        # "" is a folder: the root path itself, served at the root URL.
        self.static_folder = (
            os.fspath(static_folder) if static_folder is not None else None
        )
        if static_url_path is None and self.static_folder is not None:
            static_url_path = "/" + os.path.basename(self.static_folder.rstrip("/"))
        self.static_url_path = (
            static_url_path.rstrip("/") if static_url_path else static_url_path
        )
        self.template_folder = os.fspath(template_folder) if template_folder else None
        self.view_functions: dict[str, Callable[..., Any]] = {}
        self.error_handlers: Handlers = {}
        """Error handlers by blueprint name, status code (None: any) and class."""
        for kind in HOOK_KINDS:
            setattr(self, kind, {})
        self.before_request_funcs: Funcs
        self.after_request_funcs: Funcs
        self.teardown_request_funcs: Funcs
        self.before_websocket_funcs: Funcs
        self.after_websocket_funcs: Funcs
        self.teardown_websocket_funcs: Funcs
        self.url_value_preprocessors: Funcs
        self.url_default_functions: Funcs
        self.template_context_processors: Funcs

    def _check_setup(self, what: str) -> None:
        """Raise when registering ``what`` is too late (overridden)."""

    def _add(self, kind: str, func: F) -> F:
        self._check_setup(kind.removesuffix("_funcs"))
        getattr(self, kind).setdefault(None, []).append(func)
        return func

    # -- routes --------------------------------------------------------------

    def add_url_rule(
        self,
        rule: str,
        endpoint: str | None = None,
        view_func: Callable[..., Any] | None = None,
        provide_automatic_options: bool | None = None,
        **options: Any,
    ) -> None:
        """Register ``view_func`` for ``rule`` (``/users/<int:user_id>``).

        ``endpoint`` defaults to the function's name; ``methods`` to GET
        (HEAD and OPTIONS are added). Options as Flask's: ``defaults``,
        ``subdomain``, ``host``, ``strict_slashes``, ``redirect_to``,
        ``provide_automatic_options``; ``websocket=True`` makes it a
        websocket rule (the view must be async). With an ``endpoint`` and
        no view, the view is given later with :meth:`endpoint`.

        :raises TypeError: no view and no endpoint, a sync websocket view,
            or an unknown option.
        :raises ValueError: a malformed rule, or an endpoint that is taken.
        """
        self._check_setup("add_url_rule")
        if (
            view_func is None
            and endpoint is None
            and options.get("redirect_to") is None
        ):
            raise TypeError("add_url_rule() needs a view_func or an endpoint")
        if options.get("websocket") and not is_async_callable(view_func):
            raise TypeError(f"websocket view {view_func!r} must be an async function")
        if endpoint is None:
            endpoint = getattr(view_func, "__name__", None) or rule
        if view_func is not None:
            methods = options.get("methods") or getattr(view_func, "methods", None)
            if methods is not None:
                options["methods"] = methods
            if provide_automatic_options is None:
                provide_automatic_options = getattr(
                    view_func, "provide_automatic_options", None
                )
        options["provide_automatic_options"] = provide_automatic_options
        self._add_rule(rule, endpoint, view_func, rule_options(options, view_func))

    def _add_rule(
        self,
        rule: str,
        endpoint: str,
        view_func: Callable[..., Any] | None,
        options: RuleOptions,
    ) -> None:
        """Register a checked rule (the app) or keep it (a blueprint)."""
        raise NotImplementedError

    def route(self, rule: str, **options: Any) -> Callable[[F], F]:
        """Decorator form of :meth:`add_url_rule`:
        ``@app.route("/users/<int:id>", methods=["GET", "POST"])``."""

        def decorator(func: F) -> F:
            self.add_url_rule(rule, options.pop("endpoint", None), func, **options)
            return func

        return decorator

    def endpoint(self, endpoint: str) -> Callable[[F], F]:
        """Give the rule added with ``endpoint=`` and no view its view."""

        def decorator(func: F) -> F:
            self._set_endpoint_view(endpoint, func)
            return func

        return decorator

    def _set_endpoint_view(self, endpoint: str, func: Callable[..., Any]) -> None:
        raise NotImplementedError

    def websocket(self, rule: str, **options: Any) -> Callable[[F], F]:
        """Register an async websocket view: ``@app.websocket("/ws/<room>")``.
        It talks through the ``websocket`` proxy."""

        def decorator(func: F) -> F:
            endpoint = options.pop("endpoint", None)
            self.add_url_rule(rule, endpoint, func, websocket=True, **options)
            return func

        return decorator

    def _method_route(
        self, method: str, rule: str, options: dict[str, Any]
    ) -> Callable[[F], F]:
        if "methods" in options:
            raise TypeError("use route() to give methods; get()/post()/... set one")
        return self.route(rule, methods=[method], **options)

    def get(self, rule: str, **options: Any) -> Callable[[F], F]:
        """``route(rule, methods=["GET"])``."""
        return self._method_route("GET", rule, options)

    def post(self, rule: str, **options: Any) -> Callable[[F], F]:
        """``route(rule, methods=["POST"])``."""
        return self._method_route("POST", rule, options)

    def put(self, rule: str, **options: Any) -> Callable[[F], F]:
        """``route(rule, methods=["PUT"])``."""
        return self._method_route("PUT", rule, options)

    def patch(self, rule: str, **options: Any) -> Callable[[F], F]:
        """``route(rule, methods=["PATCH"])``."""
        return self._method_route("PATCH", rule, options)

    def delete(self, rule: str, **options: Any) -> Callable[[F], F]:
        """``route(rule, methods=["DELETE"])``."""
        return self._method_route("DELETE", rule, options)

    # -- hooks ---------------------------------------------------------------

    def before_request(self, func: F) -> F:
        """Run ``func()`` before each view; a non-None return is the response."""
        return self._add("before_request_funcs", func)

    def after_request(self, func: F) -> F:
        """Run ``func(response)`` after each view; it must return a response.
        Runs in reverse registration order."""
        return self._add("after_request_funcs", func)

    def teardown_request(self, func: F) -> F:
        """Run ``func(exc)`` when the request is torn down, even after errors;
        ``exc`` is the unhandled exception or None. Reverse order; errors are
        logged and do not stop the others."""
        return self._add("teardown_request_funcs", func)

    def before_websocket(self, func: F) -> F:
        """Run ``func()`` before each websocket view; a non-None return
        refuses the connection."""
        return self._add("before_websocket_funcs", func)

    def after_websocket(self, func: F) -> F:
        """Run ``func(response)`` after each websocket view (``response`` is
        None unless the view returned one); it returns it."""
        return self._add("after_websocket_funcs", func)

    def teardown_websocket(self, func: F) -> F:
        """Run ``func(exc)`` when a websocket is torn down, as
        :meth:`teardown_request` does for requests."""
        return self._add("teardown_websocket_funcs", func)

    def url_value_preprocessor(self, func: F) -> F:
        """Run ``func(endpoint, values)`` before the hooks and view; it may
        change ``values`` (the view's arguments), e.g. pop a language code."""
        return self._add("url_value_preprocessors", func)

    def url_defaults(self, func: F) -> F:
        """Run ``func(endpoint, values)`` in ``url_for``, to fill in values."""
        return self._add("url_default_functions", func)

    def context_processor(self, func: F) -> F:
        """Register ``func()`` (sync or async) returning a dict that the
        templates of this scaffold's requests see."""
        return self._add("template_context_processors", func)

    def errorhandler(self, code_or_exception: ErrorKey) -> Callable[[F], F]:
        """Handle an HTTP status (``404``) or an exception class; the handler
        gets the exception and returns a response."""

        def decorator(func: F) -> F:
            self.register_error_handler(code_or_exception, func)
            return func

        return decorator

    def register_error_handler(self, key: ErrorKey, func: Callable[..., Any]) -> None:
        """Non-decorator form of :meth:`errorhandler`. A status code means
        werkzeug's class for it: ``404`` and ``NotFound`` are the same key.

        :raises ValueError: ``key`` is a status with no werkzeug error class.
        :raises TypeError: ``key`` is neither an int nor an exception class.
        """
        self._check_setup("errorhandler")
        code, cls = error_key(key)
        self.error_handlers.setdefault(None, {}).setdefault(code, {})[cls] = func

    # -- files ---------------------------------------------------------------

    @property
    def has_static_folder(self) -> bool:
        """Whether a static folder is set."""
        return self.static_folder is not None

    def get_send_file_max_age(self, filename: str | None) -> int | None:
        """The ``Cache-Control`` max-age, in seconds, of a file sent by
        ``send_static_file`` (the app's is used by ``send_file`` too): the
        current app's ``SEND_FILE_MAX_AGE_DEFAULT`` (None: no-cache, the
        browser revalidates). Override it to vary by file."""
        value = app_context().app.config["SEND_FILE_MAX_AGE_DEFAULT"]
        if value is None:
            return None
        if isinstance(value, timedelta):
            return int(value.total_seconds())
        return int(value)

    async def send_static_file(self, filename: str) -> Response:
        """The view of the ``static`` endpoint: a file of ``static_folder``
        (404 for anything missing or outside it), cached for
        :meth:`get_send_file_max_age` seconds."""
        from .helpers import send_from_directory

        if self.static_folder is None:
            raise RuntimeError(f"{self.name!r} has no static folder")
        folder = os.path.join(self.root_path, self.static_folder)
        max_age = self.get_send_file_max_age(filename)
        return send_from_directory(folder, filename, max_age=max_age)

    def open_resource(
        self, resource: str, mode: str = "rb", encoding: str | None = None
    ) -> IO[Any]:
        """Open a file below ``root_path`` for reading (``schema.sql``).

        :raises ValueError: a mode other than reading.
        """
        if mode not in {"r", "rt", "rb"}:
            raise ValueError("Resources can only be opened for reading.")
        path = os.path.join(self.root_path, resource)
        if mode == "rb":
            return open(path, mode)
        return open(path, mode, encoding=encoding)

    @property
    def jinja_loader_folder(self) -> str | None:
        """The absolute template folder, if any."""
        if self.template_folder is None:
            return None
        return os.path.join(self.root_path, self.template_folder)

    # -- the command line ----------------------------------------------------

    @property
    def cli(self) -> AppGroup:
        """A click group for this scaffold's commands (made on first use, so
        click is imported only by apps that have commands)."""
        if self._cli is None:
            from ._cli_groups import AppGroup

            self._cli = AppGroup(self._cli_name())
        return self._cli

    def _cli_name(self) -> str:
        return self.name
