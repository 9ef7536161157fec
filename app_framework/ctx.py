"""Application and request contexts: push, pop, teardown and their signals."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterator
from contextvars import ContextVar, Token
from types import TracebackType
from typing import TYPE_CHECKING, Any, Self

from ._context_helpers import (
    after_this_request,
    copy_current_app_context,
    copy_current_request_context,
    copy_current_websocket_context,
)
from .exceptions import SecurityError
from .globals import (
    _cv_app,
    _cv_request,
    has_app_context,
    has_request_context,
    has_websocket_context,
)
from .routing import RequestRedirect, SlashRedirect
from .signals import (
    appcontext_pushed,
    emit,
    got_request_exception,
    got_websocket_exception,
    request_started,
    request_tearing_down,
    websocket_started,
    websocket_tearing_down,
)
from .wrappers import Connection, Request, Websocket, route_path

if TYPE_CHECKING:
    from asignals import Signal

    from ._contextvars import Contexts
    from .app import App
    from .lifecycle.plans import Plan
    from .routing import Rule
    from .sessions import Session

# Flask and Quart export these helpers from their ctx module too.
__all__ = [
    "HTTP",
    "WEBSOCKET",
    "AppContext",
    "AppGlobals",
    "ConnectionKind",
    "RequestContext",
    "after_this_request",
    "copy_current_app_context",
    "copy_current_request_context",
    "copy_current_websocket_context",
    "has_app_context",
    "has_request_context",
    "has_websocket_context",
    "preserved_contexts",
]

_MISSING: Any = object()

preserved_contexts: ContextVar[list[RequestContext] | None] = ContextVar(
    "app_framework.preserved_contexts", default=None
)
"""Set by the test client inside ``async with client:``: finished HTTP
requests leave their context here, still pushed, instead of popping it, so
a test can read ``request``, ``session`` and ``g`` after the call."""


class AppGlobals:
    """The type of ``g``: a plain namespace with a few dict-like helpers."""

    # Declared so that type checkers accept any attribute on ``g``.
    def __getattr__(self, name: str) -> Any:
        raise AttributeError(f"g has no attribute {name!r}")

    def __setattr__(self, name: str, value: Any) -> None:
        self.__dict__[name] = value

    def __delattr__(self, name: str) -> None:
        try:
            del self.__dict__[name]
        except KeyError:
            raise AttributeError(name) from None

    def get(self, name: str, default: Any = None) -> Any:
        """Return attribute ``name``, or ``default`` when it is not set."""
        return self.__dict__.get(name, default)

    def pop(self, name: str, default: Any = _MISSING) -> Any:
        """Remove and return attribute ``name`` (``KeyError`` without default)."""
        if default is _MISSING:
            return self.__dict__.pop(name)
        return self.__dict__.pop(name, default)

    def setdefault(self, name: str, default: Any = None) -> Any:
        """Return attribute ``name``, setting it to ``default`` first if unset."""
        return self.__dict__.setdefault(name, default)

    def __contains__(self, name: str) -> bool:
        return name in self.__dict__

    def __iter__(self) -> Iterator[str]:
        return iter(self.__dict__)

    def __repr__(self) -> str:
        ctx = _cv_app.get(None)
        if ctx is None:
            return object.__repr__(self)
        return f"<app_framework.g of {ctx.app.name!r}>"


class _Pushable:
    """``async with ctx:`` pushes on entry and pops on exit, passing the
    block's exception (if any) to teardown, as Flask's contexts do."""

    push: Callable[[], Awaitable[None]]
    pop: Callable[[BaseException | None], Awaitable[None]]

    async def __aenter__(self) -> Self:
        await self.push()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.pop(exc)


class AppContext(_Pushable):
    """Makes ``current_app`` and ``g`` available; pushed for every request.

    Use ``async with app.app_context():`` outside requests (CLI commands,
    tests, background work). It may be pushed again while current (nested);
    teardown runs when the outermost push is popped.
    """

    def __init__(self, app: App) -> None:
        self.app = app
        self.g = app.app_ctx_globals_class()
        self._tokens: list[Token[Contexts]] = []

    async def push(self) -> None:
        """Make this the current app context and send ``appcontext_pushed``
        (a receiver that raises undoes the push)."""
        self._tokens.append(_cv_app.set(self))
        try:
            await emit(self.app, appcontext_pushed)
        except BaseException:
            _cv_app.reset(self._tokens.pop())
            raise

    async def pop(self, exc: BaseException | None = None) -> None:
        """Tear down (on the outermost pop) and stop being current.

        :raises RuntimeError: this context is not the current one.
        """
        await self.app._runner.pop_app(self, exc)

    def __repr__(self) -> str:
        return f"<AppContext of {self.app.name!r}>"


class ConnectionKind:
    """What differs between an HTTP request and a websocket: their signals
    and hooks. Everything else in their lifecycle is shared."""

    # A plain class, not a frozen dataclass: that costs the import of
    # app_framework ~1 ms. There are two, HTTP and WEBSOCKET.
    __slots__ = ("got_exception", "started", "tearing_down", "websocket")

    def __init__(
        self,
        websocket: bool,
        started: Signal,
        got_exception: Signal,
        tearing_down: Signal,
    ) -> None:
        self.websocket = websocket
        self.started = started
        self.got_exception = got_exception
        self.tearing_down = tearing_down

    def __repr__(self) -> str:
        return "WEBSOCKET" if self.websocket else "HTTP"


HTTP = ConnectionKind(
    False, request_started, got_request_exception, request_tearing_down
)
WEBSOCKET = ConnectionKind(
    True, websocket_started, got_websocket_exception, websocket_tearing_down
)


class RequestContext(_Pushable):
    """Makes ``request`` (or ``websocket``) and ``session`` available for one
    HTTP request or websocket connection.

    Pushing it pushes an app context first, unless this app's context is
    already current (then the request shares that context's ``g``).
    """

    session: Session
    """The session, opened when the context is pushed."""

    # Defaults shared by every instance until set: each request then
    # assigns only what it uses (routing sets one or two of these).
    rule: Rule | None = None
    """The matched rule, once routing found one."""
    routing_error: Exception | None = None
    """The 404, 405 or redirect routing decided on, raised at dispatch."""
    allowed_methods: frozenset[str] = frozenset()
    """For OPTIONS to a rule without an OPTIONS view: the methods the path
    allows, answered instead of calling the view."""
    view_args: dict[str, Any] = {}
    """The matched rule's values, as the view gets them (the same dict as
    ``request.view_args``, so URL value preprocessors can change them)."""
    flashes: list[tuple[str, str]] | None = None
    """The flashed messages, once read in this request."""
    error: BaseException | None = None
    """The unhandled exception of this request, passed to teardown."""
    session_unsaved = False
    """Whether saving the session failed: the error response that follows
    does not try (and fail) again."""
    _after_this: list[Callable[..., Any]] | None = None
    _app_ctx: AppContext | None = None
    _token: Token[Contexts] | None = None
    plan: Plan | None = None
    """What this request runs (its route's plan), once routing found it."""

    def __init__(self, app: App, connection: Connection) -> None:
        self.app = app
        self.connection = connection
        self.kind = WEBSOCKET if isinstance(connection, Websocket) else HTTP
        self.background: list[
            tuple[Callable[..., Any], tuple[Any, ...], dict[str, Any]]
        ] = []
        """Background tasks to start once the response is sent."""

    @property
    def after_this_request(self) -> list[Callable[..., Any]]:
        """The functions ``after_this_request`` added, run on this response."""
        return self._after_this or []

    @property
    def after_request_funcs(self) -> list[Callable[..., Any]]:
        """The list ``after_this_request`` appends to (made on first use)."""
        if self._after_this is None:
            self._after_this = []
        return self._after_this

    @property
    def _after_request_functions(self) -> list[Callable[..., Any]]:
        """Quart's name for :attr:`after_request_funcs` (extensions and tests
        written for Quart read it)."""
        return self.after_request_funcs

    @property
    def request(self) -> Request:
        """The HTTP request. :raises RuntimeError: this is a websocket."""
        if not isinstance(self.connection, Request):
            raise RuntimeError(
                "This is a websocket connection: use 'websocket', not 'request'."
            )
        return self.connection

    @property
    def websocket(self) -> Websocket:
        """The websocket. :raises RuntimeError: this is an HTTP request."""
        if not isinstance(self.connection, Websocket):
            raise RuntimeError(
                "This is an HTTP request: use 'request', not 'websocket'."
            )
        return self.connection

    async def push(self) -> None:
        """Push an app context if needed, bind, open the session, match the URL."""
        app_ctx = _cv_app.get(None)
        if app_ctx is None or app_ctx.app is not self.app:
            app_ctx = AppContext(self.app)
            await app_ctx.push()
            self._app_ctx = app_ctx
        self._token = _cv_request.set(self)
        try:
            opened = self.app._runner.open_session(self)
            if opened is not None:
                await opened
        except BaseException:
            self.session = self.app.session_interface.null_session(self.app)
            await self.pop(None)
            raise
        self.match_request()

    def match_request(self) -> None:
        """Match the URL; keep the rule and its values (``request.url_rule``,
        ``request.view_args``), or the error (``request.routing_exception``).
        Done when the context is pushed, after the session is opened; a
        session interface that needs ``request.endpoint`` in
        ``open_session`` calls it first (``request_ctx.match_request()``),
        as in Flask."""
        connection = self.connection
        scope = connection.scope
        path = route_path(scope) if scope.get("root_path") else scope["path"]
        connection.__dict__["path"] = path  # request.path, cached (werkzeug's way)
        hosts = self.app.config["TRUSTED_HOSTS"]
        if hosts is not None and not self._host_is_trusted(hosts):
            return
        match = self.app.router.match(
            scope.get("method", ""), path, scope, self.kind.websocket
        )
        rule = match.rule
        if rule is not None:
            self.rule = connection.url_rule = rule
            self.view_args = connection.view_args = match.view_args
            if match.allowed:  # OPTIONS answered for it (Allow header)
                self.allowed_methods = match.allowed
        elif match.error is not None:
            error = match.error
            if isinstance(error, RequestRedirect):
                _absolute(error, connection)
            self.routing_error = connection.routing_exception = error

    def _host_is_trusted(self, hosts: list[str]) -> bool:
        """Check the Host header against ``TRUSTED_HOSTS`` before routing;
        an untrusted one is kept as the routing error (a 400 saying which
        host), as Flask 3.1 does."""
        connection = self.connection
        connection.trusted_hosts = hosts
        try:
            connection.host  # noqa: B018 - reading it is the check
        except SecurityError as error:
            self.routing_error = connection.routing_exception = error
            return False
        return True

    async def pop(self, exc: BaseException | None = None) -> None:
        """Tear down the request, unbind it and pop the app context it pushed.

        :raises RuntimeError: this context is not the current one.
        """
        await self.app._runner.tear_down(self, exc)

    def teardown_abandoned(self, seconds: float) -> None:
        """Log that this context's teardown outlived ``TEARDOWN_TIMEOUT``."""
        self.app.logger.error(
            "Teardown of %s abandoned after %s s (TEARDOWN_TIMEOUT): the "
            "teardown functions and receivers still waiting were cancelled",
            self.connection.path,
            seconds,
        )

    def __repr__(self) -> str:
        method = "WEBSOCKET" if self.kind.websocket else self.request.method
        return f"<RequestContext {method} {self.connection.path!r}>"


def _absolute(redirect: RequestRedirect, connection: Connection) -> None:
    """Make a routing redirect's URL absolute, as werkzeug makes them (a
    slash redirect keeps the mount point and the query string)."""
    url = redirect.new_url
    if isinstance(redirect, SlashRedirect):
        query = connection.query_string.decode("latin-1")
        url = connection.root_path + url + ("?" + query if query else "")
    if url.startswith("/"):
        redirect.new_url = f"{connection.scheme}://{connection.host}{url}"
