"""Registration shared by ``App`` and ``Blueprint``: routes, hooks, error handlers."""

from __future__ import annotations

import os
import sys
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any, TypeVar

from werkzeug.exceptions import HTTPException, default_exceptions

from ._concurrency import AsyncFunc, is_async_callable

F = TypeVar("F", bound=Callable[..., Any])
ErrorKey = int | type[BaseException]


def error_key(key: ErrorKey) -> tuple[int | None, type[BaseException]]:
    """``(code, class)`` for a status code or an exception class.

    :raises ValueError: a status with no werkzeug error class.
    :raises TypeError: neither an int nor an exception class.
    """
    if isinstance(key, int) and not isinstance(key, bool):
        found = default_exceptions.get(key)
        if found is None:
            raise ValueError(
                f"{key} is not an HTTP error status werkzeug has a class for; "
                "register a subclass of HTTPException with that code instead"
            )
        return key, found
    if isinstance(key, type) and issubclass(key, BaseException):
        code = key.code if issubclass(key, HTTPException) else None
        return code, key
    raise TypeError(
        f"errorhandler takes a status code or an exception class, got {key!r}"
    )


def module_folder(import_name: str) -> str:
    """The folder of module ``import_name`` (the working directory if unknown)."""
    module = sys.modules.get(import_name)
    path = getattr(module, "__file__", None)
    return os.path.dirname(os.path.abspath(path)) if path else os.getcwd()


@dataclass(frozen=True)
class HookChain:
    """The hooks one request runs, resolved once per blueprint."""

    before: tuple[AsyncFunc, ...]
    after: tuple[AsyncFunc, ...]
    teardown: tuple[AsyncFunc, ...]
    handlers: tuple[dict[int | None, dict[type[BaseException], AsyncFunc]], ...]

    def find_handler(self, exc: BaseException) -> AsyncFunc | None:
        """The handler for ``exc``, as Flask finds it: scope by scope (the
        blueprint's before the app's), the handlers for its status code,
        then those for any code, each by the exception's class hierarchy."""
        # Only HTTP errors have a status here: other exceptions may carry an
        # unrelated ``code`` attribute (urllib's HTTPError).
        code = exc.code if isinstance(exc, HTTPException) else None
        mro = type(exc).__mro__
        for scope in self.handlers:
            for key in (code, None) if code is not None else (None,):
                by_class = scope.get(key)
                if by_class:
                    for cls in mro:
                        handler = by_class.get(cls)
                        if handler is not None:
                            return handler
        return None


class Scaffold:
    """Collects routes and hooks. The app registers them for real; a
    blueprint keeps them until it is registered on an app."""

    def __init__(self) -> None:
        self.before_request_funcs: list[Callable[..., Any]] = []
        self.after_request_funcs: list[Callable[..., Any]] = []
        self.teardown_request_funcs: list[Callable[..., Any]] = []
        self.before_websocket_funcs: list[Callable[..., Any]] = []
        self.teardown_websocket_funcs: list[Callable[..., Any]] = []
        self.error_handlers: dict[
            int | None, dict[type[BaseException], Callable[..., Any]]
        ] = {}
        """Error handlers by status code (None: any) and exception class."""

    def _check_setup(self, what: str) -> None:
        """Raise when registering ``what`` is too late (overridden)."""

    def add_url_rule(
        self,
        rule: str,
        endpoint: str | None = None,
        view_func: Callable[..., Any] | None = None,
        methods: Iterable[str] | None = None,
        *,
        websocket: bool = False,
    ) -> None:
        """Register ``view_func`` for ``rule`` (``/users/<int:user_id>``).

        ``endpoint`` defaults to the function's name; ``methods`` to GET
        (HEAD and OPTIONS are added). With ``websocket=True`` the rule
        answers websocket connections and the view must be async.

        :raises TypeError: no view, or a sync websocket view.
        :raises ValueError: a malformed rule, or an endpoint that is taken
            (by the app) or has a '.' (on a blueprint).
        """
        self._check_setup("add_url_rule")
        if view_func is None:
            raise TypeError("add_url_rule() needs a view_func")
        if websocket and not is_async_callable(view_func):
            raise TypeError(f"websocket view {view_func!r} must be an async function")
        self._add_rule(
            rule, endpoint or view_func.__name__, view_func, methods, websocket
        )

    def _add_rule(
        self,
        rule: str,
        endpoint: str,
        view_func: Callable[..., Any],
        methods: Iterable[str] | None,
        websocket: bool,
    ) -> None:
        """Register a checked rule (the app) or keep it (a blueprint)."""
        raise NotImplementedError

    def route(
        self,
        rule: str,
        *,
        endpoint: str | None = None,
        methods: Iterable[str] | None = None,
    ) -> Callable[[F], F]:
        """Decorator form of :meth:`add_url_rule`."""

        def decorator(func: F) -> F:
            self.add_url_rule(rule, endpoint, func, methods)
            return func

        return decorator

    def websocket(self, rule: str, *, endpoint: str | None = None) -> Callable[[F], F]:
        """Register an async websocket view: ``@app.websocket("/ws/<room>")``.
        It talks through the ``websocket`` proxy."""

        def decorator(func: F) -> F:
            self.add_url_rule(rule, endpoint, func, websocket=True)
            return func

        return decorator

    def before_websocket(self, func: F) -> F:
        """Run ``func()`` before each websocket view; a non-None return
        refuses the connection (closed with 1008, the value as reason)."""
        self._check_setup("before_websocket")
        self.before_websocket_funcs.append(func)
        return func

    def teardown_websocket(self, func: F) -> F:
        """Run ``func(exc)`` when a websocket is torn down, as
        :meth:`teardown_request` does for requests."""
        self._check_setup("teardown_websocket")
        self.teardown_websocket_funcs.append(func)
        return func

    def _method_route(
        self, method: str, rule: str, endpoint: str | None
    ) -> Callable[[F], F]:
        return self.route(rule, endpoint=endpoint, methods=[method])

    def get(self, rule: str, *, endpoint: str | None = None) -> Callable[[F], F]:
        """``route(rule, methods=["GET"])``."""
        return self._method_route("GET", rule, endpoint)

    def post(self, rule: str, *, endpoint: str | None = None) -> Callable[[F], F]:
        """``route(rule, methods=["POST"])``."""
        return self._method_route("POST", rule, endpoint)

    def put(self, rule: str, *, endpoint: str | None = None) -> Callable[[F], F]:
        """``route(rule, methods=["PUT"])``."""
        return self._method_route("PUT", rule, endpoint)

    def patch(self, rule: str, *, endpoint: str | None = None) -> Callable[[F], F]:
        """``route(rule, methods=["PATCH"])``."""
        return self._method_route("PATCH", rule, endpoint)

    def delete(self, rule: str, *, endpoint: str | None = None) -> Callable[[F], F]:
        """``route(rule, methods=["DELETE"])``."""
        return self._method_route("DELETE", rule, endpoint)

    def before_request(self, func: F) -> F:
        """Run ``func()`` before each view; a non-None return is the response."""
        self._check_setup("before_request")
        self.before_request_funcs.append(func)
        return func

    def after_request(self, func: F) -> F:
        """Run ``func(response)`` after each view; it must return a response.
        Runs in reverse registration order."""
        self._check_setup("after_request")
        self.after_request_funcs.append(func)
        return func

    def teardown_request(self, func: F) -> F:
        """Run ``func(exc)`` when the request is torn down, even after errors;
        ``exc`` is the unhandled exception or None. Reverse order; errors are
        logged and do not stop the others."""
        self._check_setup("teardown_request")
        self.teardown_request_funcs.append(func)
        return func

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
        self.error_handlers.setdefault(code, {})[cls] = func
