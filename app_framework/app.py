"""App: a thin façade over the router, the pipeline, contexts and the
registration, template, CLI and config modules."""

from __future__ import annotations

import os
import sys
from collections.abc import AsyncGenerator, Awaitable, Callable, Mapping
from functools import cached_property
from typing import IO, TYPE_CHECKING, Any, ParamSpec, TypeVar

from starlette.types import ASGIApp, Receive, Scope, Send

from asignals import NamedSignal

from . import _urls, signals
from ._concurrency import as_async_view, as_sync
from ._conversion import default_make_response
from ._json_provider import DefaultJSONProvider, JSONProvider
from ._lazy_class import DefaultClass
from ._paths import find_instance_path, open_resource
from ._slow_receivers import watch_slow_receivers
from .blueprints import Blueprint
from .config import DEFAULTS, Config, ConfigAttributes
from .config import default_config as fresh_config
from .ctx import AppContext, AppGlobals, RequestContext
from .exceptions import Aborter, SetupError
from .globals import request_context
from .helpers import make_redirect
from .instrumentation import Instrumentation
from .lifecycle.background import BackgroundTasks
from .lifecycle.lifespan import add_while_serving, lifespan, shutdown, startup
from .lifecycle.runner import Runner, options_response, trap_http_exception
from .lifecycle.scale_out import share
from .logging import create_logger
from .middleware import AsgiAppSlot, serving_stack
from .routing import Router, ViewFunctions, check_static_host
from .scaffold import Scaffold
from .sessions import SecureCookieSessionInterface, SessionInterface
from .templating import TemplatesMixin
from .wrappers import Request, Response, Websocket

if TYPE_CHECKING:
    import logging

    import werkzeug.exceptions
    from jinja2 import Template
    from starlette.responses import Response as StarletteResponse

    from asignals.relay import Relay

    from .routing import BuildError, RuleOptions, UrlMap
    from .testing import AppCliRunner, TestApp, TestClient

F = TypeVar("F", bound=Callable[..., Any])
P = ParamSpec("P")


class App(ConfigAttributes, TemplatesMixin, Scaffold):
    """An ASGI application with Flask's programming model.

    :param import_name: The application's module, usually ``__name__``.
    :param static_url_path: The URL prefix of static files.
    :param static_folder: Static files, relative to ``root_path``.
    :param static_host: The host of static files, with ``host_matching``.
    :param host_matching: Match rules' ``host=`` against the Host header.
    :param subdomain_matching: Match rules' ``subdomain=`` below ``SERVER_NAME``.
    :param template_folder: Templates, relative to ``root_path``.
    :param instance_path: The instance folder (default: ``instance`` beside
        the package or module).
    :param instance_relative_config: Config files are relative to the
        instance folder, not ``root_path``.
    :param root_path: Where the app's files live (default: its module's folder).
    """

    request_class: type[Request] = Request
    """The class of ``request`` (replaceable)."""
    response_class: type[Response] = Response
    """The class views' return values become (replaceable)."""
    websocket_class: type[Websocket] = Websocket
    """The class of ``websocket`` (replaceable, as ``request_class``)."""
    json_provider_class: type[JSONProvider] = DefaultJSONProvider
    """The class of :attr:`json`, made for each app."""
    config_class: type[Config] = Config
    """The class of :attr:`config`, made for each app."""
    app_ctx_globals_class: type[AppGlobals] = AppGlobals
    """The class of ``g``."""
    session_interface: SessionInterface = SecureCookieSessionInterface()
    test_client_class: DefaultClass[TestClient] = DefaultClass(".testing", "TestClient")
    """The class of :meth:`test_client` (``testing.TestClient``; extensions
    derive from it, as from Quart's)."""
    test_cli_runner_class: DefaultClass[AppCliRunner] = DefaultClass(
        ".testing", "AppCliRunner"
    )
    """The class of :meth:`test_cli_runner` (``testing.AppCliRunner``)."""
    test_app_class: DefaultClass[TestApp] = DefaultClass(".testing", "TestApp")
    """The class of :meth:`test_app` (``testing.TestApp``)."""
    aborter_class: type[werkzeug.exceptions.Aborter] = Aborter
    """The class of :attr:`aborter` (werkzeug's ``Aborter``, or a subclass)."""
    default_config: Mapping[str, Any] = DEFAULTS
    """Each app's initial :attr:`config` (``DEBUG`` from the environment)."""

    def __init__(
        self,
        import_name: str,
        static_url_path: str | None = None,
        static_folder: str | os.PathLike[str] | None = "static",
        static_host: str | None = None,
        host_matching: bool = False,
        subdomain_matching: bool = False,
        template_folder: str | os.PathLike[str] | None = "templates",
        instance_path: str | None = None,
        instance_relative_config: bool = False,
        root_path: str | None = None,
    ) -> None:
        super().__init__(
            import_name, static_folder, static_url_path, template_folder, root_path
        )
        if instance_path is not None and not os.path.isabs(instance_path):
            raise ValueError(f"instance_path must be absolute, got {instance_path!r}")
        self.instance_path = instance_path or find_instance_path(import_name, self.name)
        """The instance folder, for files that are not part of the code."""
        root = self.instance_path if instance_relative_config else self.root_path
        self.config = self.config_class(root, fresh_config(self.default_config))
        self.json: JSONProvider = self.json_provider_class(self)
        """The JSON provider: ``app.json.dumps``, ``loads``, ``response``."""
        self.router = Router(self.config)
        self.view_functions = ViewFunctions(self.router)
        self.router.settings.host_matching = host_matching
        self.router.settings.subdomain_matching = subdomain_matching
        self.blueprints: dict[str, Blueprint] = {}
        self.extensions: dict[str, Any] = {}
        """Where extensions keep their state (``app.extensions["name"]``)."""
        self.url_build_error_handlers: list[Callable[..., Any]] = []
        self.teardown_appcontext_funcs: list[Callable[..., Any]] = []
        self.before_serving_funcs: list[Callable[..., Any]] = []
        self.after_serving_funcs: list[Callable[..., Any]] = []
        self.while_serving_funcs: list[Callable[[], AsyncGenerator[None, None]]] = []
        self.shell_context_processors: list[Callable[[], dict[str, Any]]] = []
        self.string_templates: dict[str, Template] = {}
        """Compiled ``render_template_string`` sources (see ``templating``)."""
        self._middleware: list[tuple[Callable[..., ASGIApp], dict[str, Any]]] = []
        self._stack: ASGIApp | None = None
        self._runner = Runner(self)
        self.instrumentation = Instrumentation(self._runner.observers_changed)
        """The observers of this app's hooks, views, templates and
        receivers (see :mod:`.instrumentation`)."""
        self.background = BackgroundTasks(self)
        self.shared_signals: dict[NamedSignal, dict[str, Any]] = {}
        """Signals shared with the app's other processes (see share_signal)."""
        self.relay: Relay | None = None
        """The running signal relay (with ``SIGNAL_RELAY_URL``), or None."""
        self.signal_channels = signals.AppChannels(self)
        """Each framework signal's receivers for this app, kept current."""
        if self.static_folder is not None:
            check_static_host(static_host, host_matching)
            self.add_url_rule(
                f"{self.static_url_path}/<path:filename>",
                "static",
                self.send_static_file,
                host=static_host,
                last=True,
            )

    # -- settings ------------------------------------------------------------

    @cached_property
    def name(self) -> str:  # type: ignore[override]
        """The import name, or the script's name when run as ``__main__``."""
        if self.import_name == "__main__":
            main = getattr(sys.modules["__main__"], "__file__", None) or "__main__"
            return os.path.splitext(os.path.basename(main))[0]
        return self.import_name

    subdomain_matching = property(
        lambda self: self.router.settings.subdomain_matching,
        lambda self, value: setattr(self.router.settings, "subdomain_matching", value),
        doc="Match rules' ``subdomain=`` below ``SERVER_NAME`` (set before serving).",
    )

    @cached_property
    def aborter(self) -> werkzeug.exceptions.Aborter:
        """What ``abort()`` calls in this app's context (see ``Aborter``)."""
        return self.aborter_class()

    @property
    def url_map(self) -> UrlMap:
        """The rules, as werkzeug's ``Map``: ``converters``, ``iter_rules()``,
        ``is_endpoint_expecting()``."""
        return self.router.url_map

    def trap_http_exception(self, e: Exception) -> bool:
        """Whether an HTTP error is raised as an unhandled exception
        (``TRAP_HTTP_EXCEPTIONS``, ``TRAP_BAD_REQUEST_ERRORS``)."""
        return trap_http_exception(self, e)

    @cached_property
    def logger(self) -> logging.Logger:
        """The app's logger (see :mod:`.logging`: a default handler when none
        would show its records)."""
        return create_logger(self)

    # -- registration --------------------------------------------------------

    def _check_setup(self, what: str) -> None:
        self._runner.plans.invalidate()
        if self._stack is not None:
            raise SetupError(
                f"The setup method {what!r} cannot be called after the "
                "application started serving; register routes, hooks and "
                "middleware at start-up."
            )

    def add_url_rule(
        self,
        rule: str,
        endpoint: str | None = None,
        view_func: Callable[..., Any] | None = None,
        provide_automatic_options: bool | None = None,
        **options: Any,
    ) -> None:
        """See :meth:`Scaffold.add_url_rule`."""
        self._last_rule = options.pop("last", False)
        super().add_url_rule(
            rule, endpoint, view_func, provide_automatic_options, **options
        )

    def _add_rule(
        self,
        rule: str,
        endpoint: str,
        view_func: Callable[..., Any] | None,
        options: RuleOptions,
    ) -> None:
        # Sync views run in a worker thread; see Scaffold.add_url_rule.
        view = self.ensure_async(view_func) if view_func is not None else None
        self.router.settings.provide_automatic_options = self.config[
            "PROVIDE_AUTOMATIC_OPTIONS"
        ]
        self.router.add(rule, endpoint, view, view_func, options, last=self._last_rule)
        if view_func is not None:
            self.view_functions[endpoint] = view_func

    def _set_endpoint_view(self, endpoint: str, func: Callable[..., Any]) -> None:
        self._check_setup("endpoint")
        self.router.set_view(endpoint, self.ensure_async(func), func)
        self.view_functions[endpoint] = func

    def register_blueprint(self, blueprint: Blueprint, **options: Any) -> None:
        """Add a blueprint's rules and hooks (options: ``url_prefix``,
        ``name``, ``subdomain``, ``url_defaults``, ``cli_group``).

        :raises ValueError: the name is already registered.
        """
        self._check_setup("register_blueprint")
        blueprint.register(self, options)

    def teardown_appcontext(self, func: F) -> F:
        """Run ``func(exc)`` when an app context is popped."""
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

    def while_serving(self, func: F) -> F:
        """Serve inside the async generator ``func()`` (Quart's): the code
        before its one ``yield`` runs at start-up, after the
        ``before_serving`` hooks; the code after it at shutdown, before the
        ``after_serving`` hooks. Both in an app context.

        :raises TypeError: ``func`` is not an async generator function.
        """
        return add_while_serving(self, func)

    def shell_context_processor(self, func: F) -> F:
        """Add ``func()``'s dict to the ``shell`` command's names."""
        self.shell_context_processors.append(func)
        return func

    def make_shell_context(self) -> dict[str, Any]:
        """The names the ``shell`` command offers."""
        names: dict[str, Any] = {"app": self}
        for func in self.shell_context_processors:
            names.update(func())
        return names

    def add_middleware(self, cls: Callable[..., ASGIApp], **options: Any) -> None:
        """Wrap the app in an ASGI middleware (``cls(app, **options)``); the
        last one added is the outermost, as in Starlette."""
        self._check_setup("add_middleware")
        self._middleware.insert(0, (cls, options))

    # -- files ---------------------------------------------------------------

    def open_instance_resource(
        self, resource: str, mode: str = "rb", encoding: str | None = None
    ) -> IO[Any]:
        """Open a file in the instance folder (any mode)."""
        return open_resource(self.instance_path, resource, mode, encoding)

    # -- sync and async ------------------------------------------------------

    def ensure_async(self, func: Callable[P, Any]) -> Callable[P, Awaitable[Any]]:
        """``func`` when async, else an async function running it in a
        worker thread with the contexts copied (how sync views run: views
        are registered through this method). Extensions wrap views with it."""
        return as_async_view(func)

    def ensure_sync(self, func: Callable[P, Any]) -> Callable[P, Any]:
        """``func`` when sync, else a blocking call of it, for sync code (a
        sync view's thread, a command); see ``_concurrency.as_sync``."""
        return as_sync(func)

    # -- responses and URLs --------------------------------------------------

    # The framework's own, by identity: the pipeline calls an override
    # (a subclass's, or one an extension sets on the app) and inlines this.
    make_response = default_make_response

    async def make_default_options_response(self) -> Response:
        """The answer to an OPTIONS request no view handles: empty, with an
        ``Allow`` header listing the path's methods. Override to change it;
        a view that handles OPTIONS (a CORS decorator's) may call it."""
        return options_response(request_context())

    def url_for(self, endpoint: str, **values: Any) -> str:
        """``url_for`` (needs an app context)."""
        return _urls.url_for(endpoint, **values)

    def inject_url_defaults(self, endpoint: str, values: dict[str, Any]) -> None:
        """Run the ``url_defaults`` functions for ``endpoint`` on ``values``."""
        _urls.inject_url_defaults(self, endpoint, values)

    def handle_url_build_error(
        self, error: BuildError, endpoint: str, values: dict[str, Any]
    ) -> str:
        """The URL one of ``url_build_error_handlers`` gives, else raise ``error``."""
        return _urls.handle_url_build_error(self, error, endpoint, values)

    def redirect(self, location: str, code: int = 302) -> Response:
        """A redirect response (what ``redirect()`` calls in this app)."""
        return make_redirect(location, code, self.response_class)

    # -- contexts, testing, serving -----------------------------------------

    def app_context(self) -> AppContext:
        """An application context: ``async with app.app_context(): ...``."""
        return AppContext(self)

    def request_context(self, environ: dict[str, Any]) -> RequestContext:
        """A request context for a WSGI environ, as Flask's (extensions and
        tests build one with werkzeug's ``EnvironBuilder``): ``async with
        app.request_context(environ):``."""
        from ._test_requests import environ_request

        return RequestContext(self, environ_request(self, environ))

    async def full_dispatch_request(self) -> StarletteResponse:
        """The response to the pushed request (hooks, view, errors handled),
        as Flask's; nothing is sent."""
        return await self._runner.respond(request_context())

    def test_request_context(self, path: str = "/", **kwargs: Any) -> RequestContext:
        """A request context for a made-up request, for tests:
        ``async with app.test_request_context("/users/1", method="POST",
        data={...}):``. Takes the test client's arguments."""
        from ._test_requests import make_request

        return RequestContext(self, make_request(self, path, **kwargs))

    def test_client(self, use_cookies: bool = True, **kwargs: Any) -> TestClient:
        """An ``httpx.AsyncClient`` (a :attr:`test_client_class`) that calls
        this app in-process; ``use_cookies=False``: no cookie jar.
        ``async with app.test_client() as client:`` also runs the lifespan."""
        return self.test_client_class(self, use_cookies=use_cookies, **kwargs)

    def test_app(self) -> TestApp:
        """``async with app.test_app():`` serves the app around a test (Quart's)."""
        return self.test_app_class(self)

    def test_cli_runner(self, **kwargs: Any) -> AppCliRunner:
        """A click runner (a :attr:`test_cli_runner_class`) that invokes this
        app's commands, for tests."""
        return self.test_cli_runner_class(self, **kwargs)

    async def startup(self) -> None:
        """Run the ``before_serving`` hooks, then send ``serving_started``
        (with ``SIGNAL_SLOW_RECEIVER_MS`` set, slow receivers are watched
        from here on)."""
        watch_slow_receivers(self)
        await startup(self)

    async def shutdown(self) -> None:
        """Send ``serving_stopping``, wait for requests still tearing down
        and for background tasks, then run the ``after_serving`` hooks."""
        await shutdown(self)

    def share_signal(
        self,
        signal: NamedSignal,
        *,
        max_bytes: int = 65_536,
        max_age: float | None = None,
        durable: bool = False,
        retention: int = 10_000,
        retention_seconds: float | None = None,
    ) -> None:
        """Share ``signal`` with every process of this app (other workers,
        other machines) through Redis when ``SIGNAL_RELAY_URL`` is set; a
        local signal otherwise. ``durable=True`` carries it over a Redis
        Stream (kept through outages, replayable with ``app.relay.follow``).
        See ``asignals.relay`` for the semantics and the options.

        :raises TypeError: ``signal`` has no name (use a namespace).
        """
        share(self, signal, max_bytes, max_age, durable, retention, retention_seconds)

    async def requests_in_flight(self, grace: float) -> None:
        """Wait (at most ``grace`` seconds) until no request or websocket
        is in flight, their teardowns included (used at shutdown)."""
        await self._runner.drain(grace)

    def add_background_task(
        self, func: Callable[..., Any], *args: Any, **kwargs: Any
    ) -> None:
        """Run ``func(*args, **kwargs)`` (sync: in a worker thread) in the
        background: after the response when called while handling an HTTP
        request, else right away. It gets an app context of its own, not the
        request. Shutdown waits for it; an exception is logged and sent as
        ``got_background_exception``."""
        self.background.add(func, args, kwargs)

    def run(
        self,
        host: str = "127.0.0.1",
        port: int = 8000,
        debug: bool | None = None,
        use_reloader: bool = False,
        **options: Any,
    ) -> None:
        """Serve with uvicorn, as Flask's ``app.run`` (for development; see
        the ``run`` command). The reloader needs the app importable as a
        module attribute."""
        from .serving import run

        run(self, host, port, debug, use_reloader, **options)

    async def handle_request(self, request: Request) -> StarletteResponse:
        """Quart's step: the response to ``request`` (built by hand, e.g.
        from its parts), made in a request context of its own with every
        hook and error handler run; not sent. Propagated exceptions
        (``PROPAGATE_EXCEPTIONS``, testing or debug) are raised."""
        response = await self._runner.handle(request)
        assert response is not None  # a request always gets one
        return response

    async def handle_websocket(self, websocket: Websocket) -> None:
        """Quart's step: serve ``websocket`` (built by hand, with its
        ``receive`` and ``send``) through the whole lifecycle."""
        await self._runner.handle(websocket)

    asgi_app = AsgiAppSlot()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """The ASGI entry point: :attr:`asgi_app`."""
        scope["app"] = self  # Starlette's convention (its form errors become 400s)
        stack = self._stack
        if stack is None:  # the first call: the app starts serving
            watch_slow_receivers(self)  # (again: a server with no lifespan)
            stack = self._stack = serving_stack(self)
            self._runner.setup_done()
        await stack(scope, receive, send)

    def _dispatch(self, scope: Scope, receive: Receive, send: Send) -> Awaitable[Any]:
        # A plain function returning the coroutine: one layer less per request.
        kind = scope["type"]
        if kind == "http":
            return self._runner(scope, receive, send)
        if kind == "websocket":
            return self._runner.websocket(scope, receive, send)
        if kind == "lifespan":
            return lifespan(self, receive, send)
        raise ValueError(f"unknown ASGI scope type {kind!r}")

    def _get_current_object(self) -> App:
        """This app (so ``current_app._get_current_object()`` type-checks)."""
        return self

    def __repr__(self) -> str:
        return f"<App {self.name!r}>"
