"""App: a thin façade over the router, the pipeline, contexts and hooks."""

from __future__ import annotations

import logging
import os
import sys
from collections.abc import Awaitable, Callable, Iterable
from functools import cached_property
from typing import TYPE_CHECKING, Any, TypeVar

from jinja2 import Environment, Template
from starlette.types import ASGIApp, Receive, Scope, Send

from . import signals
from ._concurrency import AsyncFunc, as_async, as_async_view
from ._json_provider import DefaultJSONProvider, JSONProvider
from .background import BackgroundTasks
from .blueprints import Blueprint
from .config import DEFAULTS, Config
from .ctx import AppContext, RequestContext
from .globals import _cv_request
from .lifespan import lifespan, shutdown, startup
from .pipeline import Pipeline
from .routing import Router
from .scaffold import HookChain, Scaffold, module_folder
from .sessions import SecureCookieSessionInterface, SessionInterface
from .templating import create_environment
from .wrappers import Request, Response

if TYPE_CHECKING:
    from asignals import Signal

    from .testing import TestClient

F = TypeVar("F", bound=Callable[..., Any])


class App(Scaffold):
    """An ASGI application with Flask's programming model.

    :param import_name: The application's module, usually ``__name__``.
    :param root_path: Where the app's files live (default: its module's folder).
    :param static_folder: Static files, relative to ``root_path``.
    :param static_url_path: The URL prefix of static files.
    :param template_folder: Templates, relative to ``root_path``.
    """

    request_class: type[Request] = Request
    """The class of ``request`` (replaceable)."""
    response_class: type[Response] = Response
    """The class views' return values become (replaceable)."""
    json_provider_class: type[JSONProvider] = DefaultJSONProvider
    """The class of :attr:`json`, made for each app."""
    session_interface: SessionInterface = SecureCookieSessionInterface()

    def __init__(
        self,
        import_name: str,
        *,
        root_path: str | None = None,
        static_folder: str | None = "static",
        static_url_path: str | None = None,
        template_folder: str | None = "templates",
    ) -> None:
        super().__init__()
        self.import_name = import_name
        self.root_path = root_path or module_folder(import_name)
        self.static_folder = static_folder
        self.static_url_path = static_url_path
        self.template_folder = template_folder
        self.config = Config(DEFAULTS)
        self.json: JSONProvider = self.json_provider_class(self)
        """The JSON provider: ``app.json.dumps``, ``loads``, ``response``."""
        self.router = Router()
        self.logger = logging.getLogger(self.name)
        self.blueprints: dict[str, Blueprint] = {}
        self.teardown_appcontext_funcs: list[Callable[..., Any]] = []
        self.before_serving_funcs: list[Callable[..., Any]] = []
        self.after_serving_funcs: list[Callable[..., Any]] = []
        self._chains: dict[tuple[str | None, bool], HookChain] = {}
        self._appcontext_teardown: tuple[AsyncFunc, ...] | None = None
        self.context_processors: list[Callable[..., Any]] = []
        self.string_templates: dict[str, Template] = {}
        """Compiled ``render_template_string`` sources (see ``templating``)."""
        self._middleware: list[tuple[Callable[..., ASGIApp], dict[str, Any]]] = []
        self._stack: ASGIApp | None = None
        self._pipeline = Pipeline(self)
        self.background = BackgroundTasks(self)
        self.listening: frozenset[Signal] = frozenset()
        """The signals with receivers for this app (``signal in
        app.listening``), kept current by :class:`signals.Listening`."""
        signals.listening.track(self)
        if static_folder is not None:
            if self.static_url_path is None:
                self.static_url_path = "/" + os.path.basename(static_folder.rstrip("/"))
            self.router.add(
                self.static_url_path.rstrip("/") + "/<path:filename>",
                "static",
                self.send_static_file,
                self.send_static_file,
                last=True,
            )

    # -- settings ------------------------------------------------------------

    @property
    def name(self) -> str:
        """The import name, or the script's name when run as ``__main__``."""
        if self.import_name == "__main__":
            main = getattr(sys.modules["__main__"], "__file__", None) or "__main__"
            return os.path.splitext(os.path.basename(main))[0]
        return self.import_name

    @property
    def debug(self) -> bool:
        """``config["DEBUG"]``: 500 responses show the traceback."""
        return bool(self.config["DEBUG"])

    @debug.setter
    def debug(self, value: bool) -> None:
        self.config["DEBUG"] = value

    @property
    def testing(self) -> bool:
        """``config["TESTING"]``: unhandled exceptions propagate to the caller."""
        return bool(self.config["TESTING"])

    @testing.setter
    def testing(self, value: bool) -> None:
        self.config["TESTING"] = value

    @property
    def secret_key(self) -> Any:
        """``config["SECRET_KEY"]``."""
        return self.config["SECRET_KEY"]

    @secret_key.setter
    def secret_key(self, value: Any) -> None:
        self.config["SECRET_KEY"] = value

    @property
    def propagate_exceptions(self) -> bool:
        """``PROPAGATE_EXCEPTIONS`` if set, else ``TESTING``."""
        value = self.config["PROPAGATE_EXCEPTIONS"]
        return bool(self.testing if value is None else value)

    # -- registration --------------------------------------------------------

    def _check_setup(self, what: str) -> None:
        if self._stack is not None:
            raise RuntimeError(
                f"Cannot call {what}() after the application started serving; "
                "register routes, hooks and middleware at start-up."
            )

    def _add_rule(
        self,
        rule: str,
        endpoint: str,
        view_func: Callable[..., Any],
        methods: Iterable[str] | None,
        websocket: bool,
    ) -> None:
        # Sync views run in a worker thread; see Scaffold.add_url_rule.
        view = as_async_view(view_func)
        self.router.add(rule, endpoint, view, view_func, methods, websocket)

    def register_blueprint(
        self, blueprint: Blueprint, url_prefix: str | None = None
    ) -> None:
        """Add a blueprint's rules (prefixed) and hooks to this app.

        :raises ValueError: another blueprint already has this name.
        """
        self._check_setup("register_blueprint")
        known = self.blueprints.get(blueprint.name)
        if known is not None and known is not blueprint:
            raise ValueError(
                f"a different blueprint named {blueprint.name!r} is registered"
            )
        self.blueprints[blueprint.name] = blueprint
        blueprint.register(self, url_prefix)

    def teardown_appcontext(self, func: F) -> F:
        """Run ``func(exc)`` when an app context is popped (after each
        request, after the request's own teardown)."""
        self._check_setup("teardown_appcontext")
        self.teardown_appcontext_funcs.append(func)
        return func

    def before_serving(self, func: F) -> F:
        """Run ``func()`` at server start-up (ASGI lifespan), in an app context."""
        self._check_setup("before_serving")
        self.before_serving_funcs.append(func)
        return func

    def after_serving(self, func: F) -> F:
        """Run ``func()`` at server shutdown (ASGI lifespan), in an app context."""
        self._check_setup("after_serving")
        self.after_serving_funcs.append(func)
        return func

    def add_middleware(self, cls: Callable[..., ASGIApp], **options: Any) -> None:
        """Wrap the app in an ASGI middleware (``cls(app, **options)``); the
        last one added is the outermost, as in Starlette."""
        self._check_setup("add_middleware")
        self._middleware.insert(0, (cls, options))

    # -- templates and static files ------------------------------------------

    @cached_property
    def jinja_env(self) -> Environment:
        """The Jinja2 environment, made on first use (see ``templating``)."""
        return create_environment(self)

    def context_processor(self, func: F) -> F:
        """Register ``func()`` (sync or async) returning a dict that every
        template sees."""
        self._check_setup("context_processor")
        self.context_processors.append(func)
        return func

    def template_context_processors(self) -> tuple[AsyncFunc, ...]:
        """The context processors, as async callables."""
        return tuple(as_async(f) for f in self.context_processors)

    def template_filter(self, name: str | None = None) -> Callable[[F], F]:
        """Register a Jinja filter: ``@app.template_filter()``."""
        return self._jinja_register("filters", name)

    def template_global(self, name: str | None = None) -> Callable[[F], F]:
        """Register a Jinja global function: ``@app.template_global()``."""
        return self._jinja_register("globals", name)

    def template_test(self, name: str | None = None) -> Callable[[F], F]:
        """Register a Jinja test: ``@app.template_test()``."""
        return self._jinja_register("tests", name)

    def _jinja_register(self, kind: str, name: str | None) -> Callable[[F], F]:
        def decorator(func: F) -> F:
            getattr(self.jinja_env, kind)[name or func.__name__] = func
            return func

        return decorator

    async def send_static_file(self, filename: str) -> Any:
        """The view of the ``static`` endpoint: a file of ``static_folder``
        (404 for anything missing or outside it)."""
        from .helpers import send_from_directory

        folder = os.path.join(self.root_path, self.static_folder or "")
        return send_from_directory(folder, filename)

    def make_response(self, rv: Any) -> Any:
        """Turn a view's return value into a response (see ``make_response``)."""
        from ._conversion import to_response

        return to_response(self, rv)

    # -- resolved hooks (cached once serving) --------------------------------

    def hooks_for(self, blueprint: str | None, websocket: bool = False) -> HookChain:
        """The hooks a request (or websocket) of ``blueprint`` runs."""
        key = (blueprint, websocket)
        chain = self._chains.get(key)
        if chain is None:
            scopes: list[Scaffold] = [self]
            if blueprint in self.blueprints:
                scopes.append(self.blueprints[blueprint])
            if websocket:
                before = [f for s in scopes for f in s.before_websocket_funcs]
                after: list[Callable[..., Any]] = []
                teardown = [
                    f
                    for s in reversed(scopes)
                    for f in reversed(s.teardown_websocket_funcs)
                ]
            else:
                before = [f for s in scopes for f in s.before_request_funcs]
                after = [
                    f for s in reversed(scopes) for f in reversed(s.after_request_funcs)
                ]
                teardown = [
                    f
                    for s in reversed(scopes)
                    for f in reversed(s.teardown_request_funcs)
                ]
            chain = HookChain(
                before=tuple(as_async(f) for f in before),
                after=tuple(as_async(f) for f in after),
                teardown=tuple(as_async(f) for f in teardown),
                handlers=tuple(
                    {
                        code: {cls: as_async(f) for cls, f in by_class.items()}
                        for code, by_class in s.error_handlers.items()
                    }
                    for s in reversed(scopes)
                ),
            )
            if self._stack is not None:  # registration is closed: safe to keep
                self._chains[key] = chain
        return chain

    def teardown_appcontext_chain(self) -> tuple[AsyncFunc, ...]:
        """The ``teardown_appcontext`` functions, in the order they run."""
        chain = self._appcontext_teardown
        if chain is None:
            chain = tuple(as_async(f) for f in reversed(self.teardown_appcontext_funcs))
            if self._stack is not None:
                self._appcontext_teardown = chain
        return chain

    # -- contexts, testing, serving -----------------------------------------

    def app_context(self) -> AppContext:
        """An application context: ``async with app.app_context(): ...``."""
        return AppContext(self)

    def test_request_context(self, path: str = "/", **kwargs: Any) -> RequestContext:
        """A request context for a made-up request, for tests:
        ``async with app.test_request_context("/users/1", method="POST",
        data={...}):``. Takes the test client's arguments (``method``,
        ``headers``, ``query_string``, ``data``, ``json``, ``form``,
        ``files``, ``content_type``)."""
        from ._test_requests import make_request

        return RequestContext(self, make_request(self, path, **kwargs))

    def test_client(self, **kwargs: Any) -> TestClient:
        """An ``httpx.AsyncClient`` that calls this app in-process.
        ``async with app.test_client() as client:`` also runs the lifespan."""
        from .testing import TestClient

        return TestClient(self, **kwargs)

    async def startup(self) -> None:
        """Run the ``before_serving`` hooks, then send ``serving_started``."""
        await startup(self)

    async def shutdown(self) -> None:
        """Send ``serving_stopping``, wait for background tasks, then run the
        ``after_serving`` hooks."""
        await shutdown(self)

    def add_background_task(
        self, func: Callable[..., Any], *args: Any, **kwargs: Any
    ) -> None:
        """Run ``func(*args, **kwargs)`` (sync: in a worker thread) in the
        background: after the response when called while handling an HTTP
        request, else (websockets included, which have no response to wait
        for) right away. It gets an app context of its own, not the request.
        Shutdown waits for it; an exception is logged and sent as
        ``got_background_exception``."""
        ctx = _cv_request.get(None)
        if ctx is not None and ctx.app is self and not ctx.kind.websocket:
            ctx.background.append((func, args, kwargs))
        else:
            self.background.spawn(func, args, kwargs)

    def run(self, host: str = "127.0.0.1", port: int = 8000, **options: Any) -> None:
        """Serve with uvicorn (for development; see ``python -m app_framework run``)."""
        import uvicorn

        uvicorn.run(self, host=host, port=port, **options)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """The ASGI entry point."""
        scope["app"] = self  # Starlette's convention (its form errors become 400s)
        stack = self._stack
        if stack is None:
            stack = self._dispatch
            for cls, options in reversed(self._middleware):
                stack = cls(stack, **options)
            self._stack = stack
        await stack(scope, receive, send)

    def _dispatch(self, scope: Scope, receive: Receive, send: Send) -> Awaitable[None]:
        # A plain function returning the coroutine: one layer less per request.
        kind = scope["type"]
        if kind == "http":
            return self._pipeline(scope, receive, send)
        if kind == "websocket":
            return self._pipeline.websocket(scope, receive, send)
        if kind == "lifespan":
            return lifespan(self, receive, send)
        raise ValueError(f"unknown ASGI scope type {kind!r}")

    def _get_current_object(self) -> App:
        """This app (so ``current_app._get_current_object()`` type-checks)."""
        return self

    def __repr__(self) -> str:
        return f"<App {self.name!r}>"
