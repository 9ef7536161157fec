"""Running a request's plan: the whole HTTP lifecycle in one coroutine.

1. app context pushed (appcontext_pushed), 2. request bound, session opened,
URL matched, the route's plan found, 3. request_started, 4. URL value
preprocessors, before_request, 5. the view, 6. errors, 7. response,
after_request, session saved, request_finished, 8. response sent with the
contexts still pushed, 9. teardown, shielded, exactly once (ARCHITECTURE.md,
"The request lifecycle").

Everything runs in the server's task, in one coroutine: sync hooks are
called where they stand and sync receivers by ``signals.deliver``, the one
receiver loop, no coroutine made for them. A
signal's receivers are read from the app's channel when it is sent (a
receiver connected mid-request is heard from the next signal on).

The robust teardown loop (:meth:`Runner.tear_down`) is the only one: the
request path, ``RequestContext.pop`` and ``AppContext.pop`` all use it,
and :meth:`Runner.quiet` is the only answer to "is there anything to tear
down"; when nothing is, the contexts are unbound without a coroutine.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from inspect import isawaitable
from typing import TYPE_CHECKING, Any

from starlette.responses import Response as StarletteResponse
from starlette.types import Receive, Scope, Send

from .._concurrency import PASS_THROUGH, as_async
from .._contextvars import (
    NO_CONTEXTS,
    _cv_contexts,
    hiding_last_send,
)
from .._conversion import (
    error_response,
    made_response,
    make_response_override,
    to_response,
)
from ..ctx import AppContext, RequestContext, preserved_contexts
from ..debug import traceback_page
from ..exceptions import (
    BadRequest,
    BadRequestKeyError,
    ClientDisconnected,
    HTTPException,
    InternalServerError,
    NotFound,
)
from ..routing import RequestRedirect
from ..signals import (
    appcontext_popped,
    appcontext_tearing_down,
    deliver,
    emit_logged,
    got_request_exception,
    log_receiver_error,
)
from ..wrappers import Response, html_response
from .plans import Plan, Plans, view_of
from .shielding import finish_shielded
from .websocket import serve_websocket

if TYPE_CHECKING:
    from asignals import Signal

    from ..app import App
    from ..signals import AppChannels

__all__ = ["Runner", "options_response", "trap_http_exception"]

_FINISHED: Any = object()
"""What ``next(coroutine.__await__(), _FINISHED)`` gives when it ended."""

# A teardown phase: its teardown functions, the channel of its signal (the
# receivers are read when the phase is reached), the signal, and the
# context to unbind once they ran.
Phase = tuple[
    tuple[tuple[Callable[..., Any], bool], ...],
    Any,
    "Signal",
    "RequestContext | AppContext | None",
]


class Runner:
    """Runs requests and websockets through their plans, for one app."""

    def __init__(self, app: App) -> None:
        self.app = app
        self.plans = Plans(app)
        """The app's compiled plans."""
        self.in_flight = 0
        """Requests and websockets between their first step and the end of
        their teardown."""
        self._drained: asyncio.Event | None = None
        self.make_response: Callable[[Any], Any] | None = make_response_override(app)
        """The app's ``make_response`` when overridden (None: the
        framework's, inlined)."""
        self._unobserved: AppChannels | None = None

    def observers_changed(self) -> None:
        """Observers were added or removed: receivers are observed through
        the app's channels, everything else through its plans."""
        app = self.app
        base = self._unobserved or app.signal_channels
        self._unobserved = base if app.instrumentation else None
        app.signal_channels = (
            base.observed(app.instrumentation) if app.instrumentation else base
        )
        self.plans.invalidate()

    def setup_done(self) -> None:
        """The app starts serving: registration is closed, so plans are kept
        from now on, and an extension's ``make_response`` set on the app
        during set-up is the one used."""
        self.make_response = make_response_override(self.app)
        self.plans.keep = True
        self.plans.invalidate()

    # -- entry points --------------------------------------------------------

    def __call__(
        self, scope: Scope, receive: Receive, send: Send
    ) -> Awaitable[StarletteResponse | None]:
        """Handle one HTTP request (a plain function returning the
        coroutine: one layer less)."""
        app = self.app
        request = app.request_class(scope, receive, app.config["MAX_CONTENT_LENGTH"])
        return self.run(RequestContext(app, request), send)

    def websocket(
        self, scope: Scope, receive: Receive, send: Send
    ) -> Awaitable[StarletteResponse | None]:
        """Handle one websocket connection (same lifecycle, websocket signals)."""
        app = self.app
        return self.run(
            RequestContext(app, app.websocket_class(scope, receive, send, app)), send
        )

    async def handle(self, connection: Any) -> StarletteResponse | None:
        """Quart's ``handle_request``/``handle_websocket``: run ``connection``
        through the whole lifecycle in a request context of its own, and
        give the response made for a request (None for a websocket); nothing
        is sent. An exception that propagates is raised here."""
        return await self.run(RequestContext(self.app, connection), None)

    async def respond(self, ctx: RequestContext) -> StarletteResponse:
        """Steps 3 to 7 for a context pushed by the caller
        (``full_dispatch_request``)."""
        response = await self.run(ctx, None, pushed=True)
        assert response is not None
        return response

    # -- the lifecycle ---------------------------------------------------------

    async def run(
        self, ctx: RequestContext, send: Send | None, pushed: bool = False
    ) -> StarletteResponse | None:
        """The lifecycle of ``ctx``; with ``send`` None the response is
        returned, not sent; with ``pushed`` the caller pushed and pops."""
        app = self.app
        self.in_flight += 1
        try:
            if not pushed:
                # Steps 1 and 2, written out: most requests make no
                # coroutine for them.
                current = _cv_contexts.get()
                app_ctx = current[0]
                if app_ctx is None or app_ctx.app is not app:
                    app_ctx = ctx._app_ctx = AppContext(app)
                    app_ctx._tokens.append(_cv_contexts.set((app_ctx, current[1])))
                    try:
                        channel = app.signal_channels.appcontext_pushed
                        if channel.entries != ():  # () : nobody listens, no call
                            pending = deliver(channel, app)
                            if pending is not None:
                                await pending
                    except BaseException as exc:
                        _cv_contexts.reset(app_ctx._tokens.pop())
                        ctx._app_ctx = None
                        if not isinstance(exc, Exception):
                            raise
                        return await self._push_failed(ctx, exc, send)
                ctx._token = _cv_contexts.set((app_ctx, ctx))
                try:
                    interface = app.session_interface
                    if _opens_null(interface, app):  # no SECRET_KEY, say
                        ctx.session = interface.null_session(app)
                    else:
                        opened = self.open_session(ctx)
                        if opened is not None:
                            await opened
                except BaseException as exc:
                    ctx.session = app.session_interface.null_session(app)
                    pending = self._tear_down(ctx, None)
                    if pending is not None:
                        await pending
                    if not isinstance(exc, Exception):
                        raise
                    return await self._push_failed(ctx, exc, send)
                ctx.match_request()
            rule = ctx.rule
            plan = ctx.plan = (
                self.plans.for_rule(rule)
                if rule is not None
                else self.plans.for_blueprint(None, ctx.kind.websocket)
            )
            try:
                if ctx.kind.websocket:
                    await serve_websocket(self, ctx)
                    response = None
                else:
                    response = await self._respond(ctx, plan)
                    if send is not None:
                        if _plain(response):
                            # The response as two ASGI messages, no layer
                            # between (see _plain); contexts hidden from the
                            # server while it sends (see hide_contexts).
                            hidden = _cv_contexts.set(NO_CONTEXTS)
                            try:
                                await send(
                                    {
                                        "type": "http.response.start",
                                        "status": response.status_code,
                                        "headers": response.raw_headers,
                                    }
                                )
                                await send(
                                    {
                                        "type": "http.response.body",
                                        "body": response.body,
                                    }
                                )
                            except (ClientDisconnected, OSError) as exc:
                                self._client_left(ctx, exc)
                            finally:
                                _cv_contexts.reset(hidden)
                        else:
                            await self._send(ctx, response, send)
            except BaseException as exc:
                # Cancelled (or worse): teardown is told, so "commit unless
                # exc" never commits half-done work.
                if not pushed:
                    if ctx.error is None:
                        ctx.error = exc
                    pending = self._tear_down(ctx, ctx.error)
                    if pending is not None:
                        await pending
                    if ctx.background:
                        self._start_background(ctx)
                raise
            if not pushed:
                # A test inside 'async with client:' keeps a finished HTTP
                # request's contexts pushed, to read them; the client pops
                # them afterwards.
                kept = preserved_contexts.get()
                if kept is None or ctx.kind.websocket:
                    if ctx.error is not None or not self._unbind_if_quiet(ctx, plan):
                        pending = self._tear_down(ctx, ctx.error)
                        if pending is not None:
                            await pending
                else:
                    kept.append(ctx)
                if ctx.background:
                    self._start_background(ctx)
            return response
        finally:
            self.in_flight -= 1
            if self._drained is not None and not self.in_flight:
                self._drained.set()

    def plan_of(self, ctx: RequestContext) -> Plan:
        """The plan of ``ctx``'s route: the one its request runs, else (a
        context pushed by hand: ``test_request_context``) its matched
        rule's, else its blueprint's."""
        if ctx.plan is not None:
            return ctx.plan
        rule = ctx.rule
        if rule is not None:
            return self.plans.for_rule(rule)
        return self.plans.for_blueprint(ctx.connection.blueprint, ctx.kind.websocket)

    def open_session(self, ctx: RequestContext) -> Any:
        """Open the session; an awaitable when the interface must be awaited."""
        app = self.app
        interface = app.session_interface
        if _opens_null(interface, app):
            ctx.session = interface.null_session(app)
            return None
        # Flask's interfaces are plain methods, and may return None.
        opened: Any = interface.open_session(app, ctx.connection)
        if isawaitable(opened):
            return self._opened(ctx, opened)
        self._set_session(ctx, opened)
        return None

    async def _opened(self, ctx: RequestContext, opened: Any) -> None:
        self._set_session(ctx, await opened)

    def _set_session(self, ctx: RequestContext, opened: Any) -> None:
        app = self.app
        interface = app.session_interface
        ctx.session = interface.null_session(app) if opened is None else opened

    async def drain(self, grace: float) -> None:
        """Wait (at most ``grace`` seconds) until no request or websocket
        is in flight, teardowns included: at shutdown a server cancels the
        requests still running and goes straight on, and ``after_serving``
        (closing the database pool, say) must not pull the rug from under
        their teardowns."""
        if not self.in_flight:
            return
        self._drained = asyncio.Event()
        try:
            await asyncio.wait_for(self._drained.wait(), grace)
        except TimeoutError:
            self.app.logger.warning(
                "%d request(s) still in flight at shutdown after %s s "
                "(TEARDOWN_TIMEOUT): after_serving runs now",
                self.in_flight,
                grace,
            )
        finally:
            self._drained = None

    def _start_background(self, ctx: RequestContext) -> None:
        """Start the background tasks the request added."""
        for func, args, kwargs in ctx.background:
            self.app.background.spawn(func, args, kwargs)

    async def _push_failed(
        self, ctx: RequestContext, exc: Exception, send: Send | None
    ) -> StarletteResponse | None:
        """Nothing is pushed (push undid itself); answer 500 (or close a
        websocket with 1011) after signalling and logging, unless exceptions
        propagate."""
        await self.report(ctx, exc, "Exception while setting up")
        if self.app.propagate_exceptions:
            raise exc
        if ctx.kind.websocket:
            if send is not None:
                await send({"type": "websocket.close", "code": 1011})
            return None
        response = error_response(self.app, InternalServerError(original_exception=exc))
        if send is not None:
            await response(ctx.connection.scope, ctx.request.receive, send)
        return response

    async def _send(
        self, ctx: RequestContext, response: StarletteResponse, send: Send
    ) -> None:
        """Step 8: send with the contexts pushed (streamed bodies see them)."""
        request = ctx.request
        if not isinstance(response, Response):  # ours hides the contexts itself
            send = hiding_last_send(send)
        try:
            await response(request.scope, request.receive_after_body, send)
        except (ClientDisconnected, OSError) as exc:
            self._client_left(ctx, exc)
        except Exception as exc:
            await self.report(ctx, exc, "Exception while sending the response")
            raise

    def _client_left(self, ctx: RequestContext, exc: Exception) -> None:
        """The client went away mid-response: not an application error, but
        the teardown is told the response was cut short."""
        if not isinstance(exc, ClientDisconnected):
            cause, exc = exc, ClientDisconnected()
            exc.__cause__ = cause
        ctx.error = exc
        self.app.logger.debug("Client disconnected from %s", ctx.connection.path)

    # -- steps 3 to 7 ----------------------------------------------------------

    async def _respond(self, ctx: RequestContext, plan: Plan) -> StarletteResponse:
        """The response for the bound request, errors handled, finished:
        steps 3 to 7 in one coroutine (a layer less on every request)."""
        app = self.app
        from_error = False
        try:
            try:
                rule = ctx.rule
                if rule is not None and ctx.connection.body_expected():
                    await _preload(ctx)
                channel = app.signal_channels.request_started
                if channel.entries != ():  # () : nobody listens, no call
                    pending = deliver(channel, app)
                    if pending is not None:
                        await pending
                if plan.value_preprocessors:
                    plan.preprocess(rule.endpoint if rule else None, ctx.view_args)
                rv = None
                for func, is_async in plan.before:
                    rv = await func() if is_async else func()
                    if rv is not None:
                        break
                else:
                    view = plan.view
                    if view is None or ctx.allowed_methods:
                        rv = await _without_view(ctx)
                    else:
                        rv = await view(**ctx.view_args)
            except Exception as exc:
                rv = await self._handle_user_exception(plan, exc)
        except Exception as exc:
            rv = await self._server_error(ctx, plan, exc)
            from_error = True
        # Step 7, run a second time (from_error) for the response to an
        # unhandled exception raised while finishing the first.
        while True:
            response: StarletteResponse | None = None
            try:
                if self.make_response is None:
                    # to_response's first case, without the call.
                    if type(rv) is str and app.response_class is Response:
                        response = html_response(rv)
                    else:
                        response = to_response(app, rv, ctx.connection)
                else:
                    response = await self._made(ctx, rv)
                if isinstance(response, Response) and response._pending is not None:
                    response = await self._prepared(ctx, plan, response, from_error)
                if ctx._after_this:
                    response = await _run_after(ctx._after_this, response)
                for func, is_async in plan.after:
                    processed = await func(response) if is_async else func(response)
                    if processed is None:
                        raise TypeError(
                            f"after_request function {func!r} returned None"
                        )
                    response = processed
                session = ctx.session
                interface = app.session_interface
                if not (interface.is_null_session(session) or ctx.session_unsaved):
                    try:
                        saved = interface.save_session(app, session, response)
                        if isawaitable(saved):  # else a plain method, as Flask's
                            await saved
                    except HTTPException as exc:  # e.g. 503: the store is down
                        response = error_response(app, exc)
                    except Exception:
                        ctx.session_unsaved = True  # the 500 page must not fail too
                        raise
                channel = app.signal_channels.request_finished
                if channel.entries != ():  # () : nobody listens, no call
                    pending = deliver(channel, app, {"response": response})
                    if pending is not None:
                        await pending
                return response
            except Exception as exc:
                if not from_error:
                    rv = await self._server_error(ctx, plan, exc)
                    from_error = True
                    continue
                if response is None:  # the error's own response failed
                    raise
                app.logger.exception("Error while finishing the response to an error")
                return response

    async def _handle_user_exception(self, plan: Plan, exc: Exception) -> Any:
        """An HTTP error or an exception with a handler becomes a response;
        anything else, or an HTTP error the app traps (``TRAP_*`` config),
        is re-raised (step 6)."""
        http = None
        if isinstance(exc, HTTPException):
            if isinstance(exc, BadRequestKeyError):
                # Name the missing field: it is the client's mistake, and
                # the name tells them what to send (werkzeug shows it only
                # in debug mode).
                exc.show_exception = True
            if not self.app.trap_http_exception(exc):
                http = exc
                # Routing's redirects and abort(response) are answers.
                if isinstance(exc, RequestRedirect) or exc.code is None:
                    return error_response(self.app, exc)
        handler = plan.find_handler(exc)
        if handler is not None:
            return await handler(exc)
        if http is not None:
            return error_response(self.app, http)
        raise exc

    async def _prepared(
        self,
        ctx: RequestContext,
        plan: Plan,
        response: Response,
        from_error: bool,
    ) -> StarletteResponse:
        """``response`` with its pending work done (``send_file``'s stat and
        open, off the event loop), before the hooks see it. That work is
        the view's: its error is handled as the view's would have been (a
        404 for ``send_from_directory``, an error handler, else a 500)."""
        try:
            return await response
        except Exception as exc:
            if from_error:
                raise
            rv = await self._handle_user_exception(plan, exc)
        handled = await self._made(ctx, rv)
        if isinstance(handled, Response):
            await handled  # a handler's own file: its error is not handled again
        return handled

    async def _made(self, ctx: RequestContext, rv: Any) -> StarletteResponse:
        """The response for ``rv``, by the app's ``make_response``."""
        make = self.make_response
        if make is None:
            return to_response(self.app, rv, ctx.connection)
        return await made_response(make, rv)

    async def _server_error(
        self, ctx: RequestContext, plan: Plan, exc: Exception
    ) -> Any:
        """An unhandled exception: kept for teardown, signalled, logged, then
        what the 500 response is made from (or re-raised when exceptions
        propagate, as in testing)."""
        app = self.app
        ctx.error = exc
        await emit_logged(app, got_request_exception, exception=exc)
        if app.propagate_exceptions:
            raise exc
        request = ctx.request
        app.logger.error(
            "Exception on %s [%s]", request.path, request.method, exc_info=exc
        )
        server_error = InternalServerError(original_exception=exc)
        handler = plan.find_handler(server_error)
        if handler is not None:
            return await handler(server_error)
        if app.debug:
            return app.response_class(traceback_page(exc), 500)
        return error_response(app, server_error)

    async def report(self, ctx: RequestContext, exc: Exception, what: str) -> None:
        """An unhandled exception: keep it for teardown, signal it, log it."""
        ctx.error = exc
        await emit_logged(self.app, ctx.kind.got_exception, exception=exc)
        self.app.logger.error("%s %s", what, ctx.connection.path, exc_info=exc)

    # -- step 9 ----------------------------------------------------------------

    def _unbind_if_quiet(self, ctx: RequestContext, plan: Plan) -> bool:
        """Unbind ``ctx`` (and the app context it pushed) at once when
        tearing down would run nothing (see :meth:`quiet`); return whether
        it did."""
        if not self.quiet(ctx, plan):
            return False
        token = ctx._token
        ctx._token = None
        app_ctx = ctx._app_ctx
        if app_ctx is not None:
            # Bound after the app context: its token restores both.
            ctx._app_ctx = None
            token = app_ctx._tokens.pop()
        _cv_contexts.reset(token)  # type: ignore[arg-type]
        return True

    def quiet(self, ctx: RequestContext, plan: Plan) -> bool:
        """Whether tearing ``ctx`` down would run nothing: no teardown
        function, receiver or upload, and the app context it pushed (if
        any) as quiet; and ``ctx`` is current."""
        # Cheapest first, each channel read inline: this runs on every request.
        if plan.teardown or ctx.connection._form is not None:
            return False
        channels = self.app.signal_channels
        channel = (
            channels[ctx.kind.tearing_down]
            if ctx.kind.websocket
            else channels.request_tearing_down
        )
        entries = channel.entries
        if entries if entries is not None else channel.current():
            return False
        current = _cv_contexts.get()
        if current[1] is not ctx or ctx._token is None:
            return False
        app_ctx = ctx._app_ctx
        if app_ctx is None:
            return True
        if len(app_ctx._tokens) != 1 or current[0] is not app_ctx or plan.app_teardown:
            return False
        channel = channels.appcontext_tearing_down
        entries = channel.entries
        if entries if entries is not None else channel.current():
            return False
        channel = channels.appcontext_popped
        entries = channel.entries
        return not (entries if entries is not None else channel.current())

    def _tear_down(
        self, ctx: RequestContext, exc: BaseException | None
    ) -> Awaitable[None] | None:
        """Start :meth:`tear_down`; when it waits, the rest to await,
        shielded from cancellation (AnyIO's and asyncio's) for at most
        ``TEARDOWN_TIMEOUT`` seconds of waiting. None when it finished
        without waiting (no shield is made)."""
        teardown = self.tear_down(ctx, exc)
        # next() with a default ends without making a StopIteration.
        waiting_on = next(teardown.__await__(), _FINISHED)
        if waiting_on is _FINISHED:
            return None
        return finish_shielded(
            teardown,
            waiting_on,
            self.app.config["TEARDOWN_TIMEOUT"],
            ctx.teardown_abandoned,
        )

    def tear_down(self, ctx: RequestContext, exc: BaseException | None) -> Any:
        """Tear the request down, unbind it and pop the app context it
        pushed (a coroutine).

        :raises RuntimeError: ``ctx`` is not the current request context.
        """
        current = _cv_contexts.get()[1]
        if current is not ctx or ctx._token is None:
            raise RuntimeError(
                f"Popped wrong request context: {current!r} instead of {ctx!r}"
            )
        plan = self.plan_of(ctx)
        channels = self.app.signal_channels
        signal = ctx.kind.tearing_down
        phase: Phase = (
            plan.teardown,
            channels[signal] if ctx.kind.websocket else channels.request_tearing_down,
            signal,
            ctx,
        )
        app_ctx = ctx._app_ctx
        if app_ctx is None:
            return self._run_phases((phase,), exc)
        ctx._app_ctx = None
        if len(app_ctx._tokens) != 1:
            return self._run_phases((phase, *self._app_phases(app_ctx, plan)), exc)
        return self._run_phases(  # the usual case, built in one go
            (
                phase,
                (
                    plan.app_teardown,
                    channels.appcontext_tearing_down,
                    appcontext_tearing_down,
                    app_ctx,
                ),
                ((), channels.appcontext_popped, appcontext_popped, None),
            ),
            exc,
        )

    def pop_app(self, app_ctx: AppContext, exc: BaseException | None) -> Any:
        """Tear down (on the outermost pop) and unbind ``app_ctx`` (a coroutine).

        :raises RuntimeError: ``app_ctx`` is not the current app context.
        """
        current = _cv_contexts.get()[0]
        if current is not app_ctx:
            raise RuntimeError(
                f"Popped wrong app context: {current!r} instead of {app_ctx!r}"
            )
        plan = self.plans.for_blueprint(None)
        return self._run_phases(self._app_phases(app_ctx, plan), exc)

    def _app_phases(self, app_ctx: AppContext, plan: Plan) -> tuple[Phase, ...]:
        channels = self.app.signal_channels
        if len(app_ctx._tokens) != 1:  # a nested push: only unbind
            return (((), None, appcontext_tearing_down, app_ctx),)
        return (
            (
                plan.app_teardown,
                channels.appcontext_tearing_down,
                appcontext_tearing_down,
                app_ctx,
            ),
            ((), channels.appcontext_popped, appcontext_popped, None),
        )

    async def _run_phases(
        self, phases: tuple[Phase, ...], exc: BaseException | None
    ) -> None:
        """The robust teardown loop: in each phase, the teardown functions
        (``func(exc)``), then the signal's receivers (``receiver(app,
        exc=exc)``; ``appcontext_popped`` without ``exc``), every one run
        and one that raises logged; then the phase's context is unbound,
        whatever its calls did. A cancellation (or the coroutine closed)
        stops the phase it lands in; the next phases still run (their
        contexts must be torn down), then it is raised again."""
        app = self.app
        stopped: BaseException | None = None
        for funcs, channel, signal, unbind in phases:
            try:
                for func, is_async in funcs:
                    try:
                        if is_async:
                            await func(exc)
                        else:
                            func(exc)
                    except PASS_THROUGH:
                        raise
                    except BaseException as error:  # SystemExit too
                        app.logger.exception(
                            "Error in teardown function %r", func, exc_info=error
                        )
                if channel is None:
                    continue
                entries = channel.entries
                if entries is None:
                    entries = channel.current()
                popped = signal is appcontext_popped
                for get, is_async in entries:
                    receiver = get()
                    if receiver is None:  # a weakly held receiver that died
                        continue
                    try:
                        # Keywords written out: receiver(app, **kwargs)
                        # would copy a dict per call.
                        if popped:
                            if is_async:
                                await receiver(app)
                            else:
                                receiver(app)
                        elif is_async:
                            await receiver(app, exc=exc)
                        else:
                            receiver(app, exc=exc)
                    except PASS_THROUGH:
                        raise
                    except BaseException as error:
                        log_receiver_error(app, signal, receiver, error)
            except PASS_THROUGH as cut:
                stopped = stopped or cut
            finally:
                if isinstance(unbind, RequestContext):
                    if unbind.connection._form is not None:  # uploads to close
                        unbind.connection._close_uploads()
                    _cv_contexts.reset(unbind._token)  # type: ignore[arg-type]
                    unbind._token = None
                elif unbind is not None:
                    _cv_contexts.reset(unbind._tokens.pop())
        if stopped is not None:
            raise stopped


def _plain(response: StarletteResponse) -> bool:
    """Whether ``response`` is sent as two messages and nothing else: one of
    ours, not streamed, sending as ours do, with nothing to run after."""
    return (
        isinstance(response, Response)
        and response._stream is None
        and type(response).__call__ is Response.__call__
        and response._on_close is None
        and response.background is None
    )


def trap_http_exception(app: App, exc: Exception) -> bool:
    """Whether the HTTP error ``exc`` is treated as an unhandled exception
    (it propagates in testing, else a 500) instead of becoming its error
    page: Flask's ``TRAP_HTTP_EXCEPTIONS`` (all of them) and
    ``TRAP_BAD_REQUEST_ERRORS`` (400s; when None, a missing key in debug
    mode). An error handler registered for it still handles it."""
    config = app.config
    if config["TRAP_HTTP_EXCEPTIONS"]:
        return True
    trap_bad_request = config["TRAP_BAD_REQUEST_ERRORS"]
    if trap_bad_request is None:
        return app.debug and isinstance(exc, BadRequestKeyError)
    return bool(trap_bad_request) and isinstance(exc, BadRequest)


async def _preload(ctx: RequestContext) -> None:
    """Read the announced body before ``request_started``, so Flask's
    ``request.form[...]`` works without ``await`` everywhere after (see
    ``Request.preload``), unless the app or the view says not to."""
    view = ctx.rule.view if ctx.rule is not None else None
    if getattr(view, "preload_body", True):
        await ctx.request.preload(ctx.app.config["PRELOAD_REQUEST_BODY"])


async def _without_view(ctx: RequestContext) -> StarletteResponse:
    """No view to call: answer OPTIONS to a rule with no OPTIONS view,
    through ``app.make_default_options_response`` (which an app may
    override), or raise the routing error (404, 405, redirect)."""
    if ctx.allowed_methods:
        return await ctx.app.make_default_options_response()
    if ctx.rule is not None:
        view_of(ctx.rule)
    raise ctx.routing_error or NotFound()


def options_response(ctx: RequestContext) -> Response:
    """An empty response whose ``Allow`` header lists the methods the
    request's path allows (all its rules', as werkzeug's
    ``MapAdapter.allowed_methods``)."""
    request = ctx.request
    methods = ctx.allowed_methods or ctx.app.router.allowed_methods(
        request.path, request.scope
    )
    return ctx.app.response_class(headers={"Allow": ", ".join(sorted(methods))})


async def _run_after(
    funcs: list[Callable[..., Any]], response: StarletteResponse
) -> StarletteResponse:
    """The request's ``after_this_request`` functions, in order."""
    for func in funcs:
        processed = await as_async(func)(response)
        if processed is None:
            raise TypeError(f"after_this_request function {func!r} returned None")
        response = processed
    return response


def _opens_null(interface: Any, app: App) -> bool:
    """The interface's own :meth:`~SessionInterface.opens_null`, read on its
    class: an object standing in for an interface (Quart's tests use
    ``AsyncMock(spec=SessionInterface)``) is not asked, and has its
    ``open_session`` called as Flask and Quart call it."""
    method = getattr(type(interface), "opens_null", None)
    return method is not None and method(interface, app) is True
