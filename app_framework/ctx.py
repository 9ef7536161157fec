"""Application and request contexts: push, pop, teardown and their signals."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterator
from contextvars import ContextVar, Token
from dataclasses import dataclass
from inspect import isawaitable
from types import TracebackType
from typing import TYPE_CHECKING, Any, Self

from ._concurrency import PASS_THROUGH
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
    Entries,
    appcontext_popped,
    appcontext_tearing_down,
    got_request_exception,
    got_websocket_exception,
    log_receiver_error,
    request_started,
    request_tearing_down,
    websocket_started,
    websocket_tearing_down,
)
from .wrappers import Connection, Request, Websocket, route_path

if TYPE_CHECKING:
    from asignals import Signal

    from ._hooks import HookChain
    from .app import App
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


async def run_teardown(
    app: App,
    funcs: tuple[Callable[[BaseException | None], Awaitable[Any]], ...],
    exc: BaseException | None,
) -> None:
    """Run teardown callbacks in order; log errors, never stop early."""
    for func in funcs:
        try:
            await func(exc)
        except PASS_THROUGH:
            raise
        except BaseException:  # SystemExit too: one step fails, not the server
            app.logger.exception("Error in teardown function %r", func)


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
        self._tokens: list[Token[AppContext | None]] = []

    async def push(self) -> None:
        """Make this the current app context and send ``appcontext_pushed``."""
        entries = self._bind()
        if entries:
            await self._announce(entries)

    # The request path pushes and pops through these two halves, awaiting
    # only when a receiver or teardown function is there to run: most
    # requests then make no coroutine for their app context at all.

    def _bind(self) -> Entries:
        """Become current; the ``appcontext_pushed`` receivers to call."""
        self._tokens.append(_cv_app.set(self))
        channel = self.app.signal_channels.appcontext_pushed
        entries = channel.entries
        return entries if entries is not None else channel.current()

    async def _announce(self, entries: Entries) -> None:
        """Send ``appcontext_pushed``; on failure, stop being current."""
        app = self.app
        try:
            # The loop of signals.fire, written out: one coroutine less on
            # the request path, where every receiver should cost its call.
            # (Measured: calling fire_logged from the three teardown loops
            # below instead costs 0.6-0.7 us a request with receivers, 8%.)
            for get, is_async in entries:
                receiver = get()
                if receiver is not None:
                    if is_async:
                        await receiver(app)
                    else:
                        receiver(app)
        except BaseException:
            _cv_app.reset(self._tokens.pop())
            raise

    def _is_quiet(self) -> bool:
        """Whether popping would run nothing: the outermost push, current,
        with no teardown function and no receiver to call."""
        if len(self._tokens) != 1 or _cv_app.get(None) is not self:
            return False
        channels = self.app.signal_channels
        for channel in (channels.appcontext_tearing_down, channels.appcontext_popped):
            entries = channel.entries
            if entries is None:
                entries = channel.current()
            if entries:
                return False
        return not self.app.teardown_appcontext_chain()

    def _unbind(self) -> None:
        _cv_app.reset(self._tokens.pop())

    async def pop(self, exc: BaseException | None = None) -> None:
        """Tear down (on the outermost pop) and stop being current.

        :raises RuntimeError: this context is not the current one.
        """
        current = _cv_app.get(None)
        if current is not self:
            raise RuntimeError(
                f"Popped wrong app context: {current!r} instead of {self!r}"
            )
        app = self.app
        try:
            if len(self._tokens) == 1:
                funcs = app.teardown_appcontext_chain()
                if funcs:
                    await run_teardown(app, funcs, exc)
                channel = app.signal_channels.appcontext_tearing_down
                entries = channel.entries
                if entries is None:
                    entries = channel.current()
                # signals.fire_logged's loop, written out (see _announce).
                for get, is_async in entries:
                    receiver = get()
                    if receiver is None:
                        continue
                    try:
                        if is_async:
                            await receiver(app, exc=exc)
                        else:
                            receiver(app, exc=exc)
                    except PASS_THROUGH:
                        raise
                    except BaseException as error:
                        log_receiver_error(
                            app, appcontext_tearing_down, receiver, error
                        )
        finally:
            _cv_app.reset(self._tokens.pop())
        channel = app.signal_channels.appcontext_popped
        entries = channel.entries
        if entries is None:
            entries = channel.current()
        for get, is_async in entries:
            receiver = get()
            if receiver is None:
                continue
            try:
                if is_async:
                    await receiver(app)
                else:
                    receiver(app)
            except PASS_THROUGH:
                raise
            except BaseException as error:
                log_receiver_error(app, appcontext_popped, receiver, error)

    def __repr__(self) -> str:
        return f"<AppContext of {self.app.name!r}>"


@dataclass(frozen=True)
class ConnectionKind:
    """What differs between an HTTP request and a websocket: their signals
    and hooks. Everything else in their lifecycle is shared."""

    websocket: bool
    started: Signal
    got_exception: Signal
    tearing_down: Signal


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
    """For OPTIONS without a view: the methods the path allows."""
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
    _token: Token[RequestContext | None] | None = None
    _hooks: HookChain | None = None

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
            entries = app_ctx._bind()
            if entries:
                await app_ctx._announce(entries)
            self._app_ctx = app_ctx
        self._token = _cv_request.set(self)
        interface = self.app.session_interface
        try:
            # Flask's interfaces are plain methods, and may return None.
            opened: Any = interface.open_session(self.app, self.connection)
            if isawaitable(opened):
                opened = await opened
            self.session = (
                interface.null_session(self.app) if opened is None else opened
            )
        except BaseException:
            self.session = interface.null_session(self.app)
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
        path = route_path(scope)
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
        elif match.error is not None:
            error = match.error
            if isinstance(error, RequestRedirect):
                _absolute(error, connection)
            self.routing_error = connection.routing_exception = error
        else:
            self.allowed_methods = match.allowed

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

    def hooks(self) -> HookChain:
        """The hooks of this request's blueprint and kind (resolved once,
        after routing has named the blueprint)."""
        chain = self._hooks
        if chain is None:
            chain = self.app.hooks_for(self.connection.blueprint, self.kind.websocket)
            self._hooks = chain
        return chain

    async def pop(self, exc: BaseException | None = None) -> None:
        """Tear down the request, unbind it and pop the app context it pushed.

        :raises RuntimeError: this context is not the current one.
        """
        current = _cv_request.get(None)
        if current is not self or self._token is None:
            raise RuntimeError(
                f"Popped wrong request context: {current!r} instead of {self!r}"
            )
        app = self.app
        try:
            funcs = self.hooks().teardown
            if funcs:
                await run_teardown(app, funcs, exc)
            signal = self.kind.tearing_down
            channel = app.signal_channels[signal]
            entries = channel.entries
            if entries is None:
                entries = channel.current()
            # signals.fire_logged's loop, written out (see AppContext._announce).
            for get, is_async in entries:
                receiver = get()
                if receiver is None:
                    continue
                try:
                    if is_async:
                        await receiver(app, exc=exc)
                    else:
                        receiver(app, exc=exc)
                except PASS_THROUGH:
                    raise
                except BaseException as error:
                    log_receiver_error(app, signal, receiver, error)
        finally:
            if self.connection._form is not None:  # uploads to close
                self.connection._close_uploads()
            _cv_request.reset(self._token)
            self._token = None
            if self._app_ctx is not None:
                app_ctx, self._app_ctx = self._app_ctx, None
                if app_ctx._is_quiet():
                    app_ctx._unbind()
                else:
                    await app_ctx.pop(exc)

    def teardown_abandoned(self, seconds: float) -> None:
        """Log that this context's teardown outlived ``TEARDOWN_TIMEOUT``."""
        self.app.logger.error(
            "Teardown of %s abandoned after %s s (TEARDOWN_TIMEOUT): the "
            "teardown functions and receivers still waiting were cancelled",
            self.connection.path,
            seconds,
        )

    def pop_quietly(self) -> bool:
        """Pop at once, without a coroutine, when popping has nothing to run
        (no teardown function, receiver or upload; the app context quiet as
        well); return whether it did. Otherwise await :meth:`pop`."""
        entries = self.app.signal_channels[self.kind.tearing_down].entries
        if entries is None or entries:
            return False  # (a stale channel: the full pop looks again)
        if _cv_request.get(None) is not self or self._token is None:
            return False
        if self.hooks().teardown or self.connection._form is not None:
            return False
        app_ctx = self._app_ctx
        if app_ctx is not None and not app_ctx._is_quiet():
            return False
        _cv_request.reset(self._token)
        self._token = None
        if app_ctx is not None:
            self._app_ctx = None
            app_ctx._unbind()
        return True

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
