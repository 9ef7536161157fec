"""The request lifecycle, step by step (see DESIGN.md, "request lifecycle").

1. app context pushed (appcontext_pushed), 2. request bound, session opened,
URL matched, 3. request_started, 4. before_request, 5. the view, 6. errors,
7. response, after_request, session saved, request_finished, 8. response
sent with the contexts still pushed, 9. teardown, shielded, exactly once.

Everything runs in the server's task: no task is created per request.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from inspect import isawaitable
from typing import TYPE_CHECKING, Any

from starlette.responses import Response as StarletteResponse
from starlette.types import Receive, Scope, Send

from ._contextvars import hiding_last_send
from ._conversion import (
    error_response,
    made_response,
    make_response_override,
    to_response,
)
from ._shielding import shielded
from ._websocket_serving import serve_websocket
from .ctx import RequestContext, preserved_contexts
from .debug import traceback_page
from .exceptions import (
    BadRequest,
    BadRequestKeyError,
    ClientDisconnected,
    HTTPException,
    InternalServerError,
)
from .routing import RequestRedirect
from .signals import emit_logged, got_request_exception
from .wrappers import Response

if TYPE_CHECKING:
    from ._hooks import HookChain
    from .app import App
    from .routing import Rule


class Pipeline:
    """Runs one HTTP request through the lifecycle for an app."""

    def __init__(self, app: App) -> None:
        self.app = app
        self.in_flight = 0
        """Requests and websockets between their first step and the end of
        their teardown."""
        self._drained: asyncio.Event | None = None
        self.make_response: Callable[[Any], Any] | None = make_response_override(app)
        """The app's ``make_response`` when overridden (None: the
        framework's, inlined)."""

    def setup_done(self) -> None:
        """The app starts serving: an extension's ``make_response`` set on
        the app during set-up is the one from now on."""
        self.make_response = make_response_override(self.app)

    # Entry points are plain functions returning the coroutine that does
    # the work: one coroutine layer less on every request.

    def __call__(self, scope: Scope, receive: Receive, send: Send) -> Awaitable[None]:
        """Handle one HTTP request."""
        app = self.app
        request = app.request_class(scope, receive, app.config["MAX_CONTENT_LENGTH"])
        return self._in_context(RequestContext(app, request), self._serve_http, send)

    def websocket(self, scope: Scope, receive: Receive, send: Send) -> Awaitable[None]:
        """Handle one websocket connection (same lifecycle, websocket signals)."""
        app = self.app
        connection = app.websocket_class(scope, receive, send, app)
        return self._in_context(
            RequestContext(app, connection), self._serve_websocket, send
        )

    async def handle(self, connection: Any) -> StarletteResponse | None:
        """Quart's ``handle_request``/``handle_websocket``: run ``connection``
        (a request or websocket already built) through the whole lifecycle
        in a request context of its own, and give the response made for a
        request (None for a websocket). An exception that propagates
        (``PROPAGATE_EXCEPTIONS``, a cancellation) is raised here."""
        made: list[StarletteResponse] = []

        async def respond(ctx: RequestContext, send: Send) -> None:
            if ctx.kind.websocket:
                await self._serve_websocket(ctx, send)
            else:
                made.append(await self.respond(ctx))

        await self._in_context(RequestContext(self.app, connection), respond, _unsent)
        return made[0] if made else None

    async def _in_context(
        self,
        ctx: RequestContext,
        serve: Callable[[RequestContext, Send], Awaitable[None]],
        send: Send,
    ) -> None:
        """Push, serve, then tear down exactly once (shielded from
        cancellation) and start the background tasks the request added."""
        self.in_flight += 1
        try:
            await self._lifecycle(ctx, serve, send)
        finally:
            self.in_flight -= 1
            if self._drained is not None and not self.in_flight:
                self._drained.set()

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

    async def _lifecycle(
        self,
        ctx: RequestContext,
        serve: Callable[[RequestContext, Send], Awaitable[None]],
        send: Send,
    ) -> None:
        try:
            await ctx.push()
        except Exception as exc:  # e.g. a faulty appcontext_pushed receiver
            await self._push_failed(ctx, exc, send)
            return
        try:
            await serve(ctx, send)
        except BaseException as exc:
            # Cancelled (or worse): teardown is told, so "commit unless exc"
            # never commits half-done work.
            if ctx.error is None:
                ctx.error = exc
            await self._tear_down(ctx)
            self._start_background(ctx)
            raise
        # A test inside 'async with client:' keeps a finished HTTP request's
        # contexts pushed, to read them; the client pops them afterwards.
        kept = preserved_contexts.get()
        if kept is None or ctx.kind.websocket:
            if ctx.error is not None or not ctx.pop_quietly():
                await self._tear_down(ctx)
        else:
            kept.append(ctx)
        self._start_background(ctx)

    def _tear_down(self, ctx: RequestContext) -> Awaitable[None]:
        """Pop ``ctx``, shielded from cancellation (AnyIO's and asyncio's),
        for at most ``TEARDOWN_TIMEOUT`` seconds of waiting."""
        timeout = self.app.config["TEARDOWN_TIMEOUT"]
        return shielded(ctx.pop(ctx.error), timeout, ctx.teardown_abandoned)

    def _start_background(self, ctx: RequestContext) -> None:
        """Start the background tasks the request added."""
        for func, args, kwargs in ctx.background:
            self.app.background.spawn(func, args, kwargs)

    async def _push_failed(
        self, ctx: RequestContext, exc: Exception, send: Send
    ) -> None:
        """Nothing is pushed (push undoes itself); answer 500 (or close a
        websocket with 1011) after signalling and logging, unless exceptions
        propagate."""
        await self._report(ctx, exc, "Exception while setting up")
        if self.app.propagate_exceptions:
            raise exc
        if ctx.kind.websocket:
            await send({"type": "websocket.close", "code": 1011})
        else:
            response = error_response(
                self.app, InternalServerError(original_exception=exc)
            )
            await response(ctx.connection.scope, ctx.request.receive, send)

    async def _serve_http(self, ctx: RequestContext, send: Send) -> None:
        """Steps 3 to 8: respond, then send with the contexts pushed
        (streamed bodies see them)."""
        response = await self.respond(ctx)
        request = ctx.request
        if not isinstance(response, Response):  # ours hides the contexts itself
            send = hiding_last_send(send)
        try:
            await response(request.scope, request.receive_after_body, send)
        except (ClientDisconnected, OSError) as exc:
            # The client went away mid-response: not an application error,
            # but the teardown is told the response was cut short.
            if not isinstance(exc, ClientDisconnected):
                cause, exc = exc, ClientDisconnected()
                exc.__cause__ = cause
            ctx.error = exc
            self.app.logger.debug("Client disconnected from %s", request.path)
        except Exception as exc:
            await self._report(ctx, exc, "Exception while sending the response")
            raise

    async def respond(self, ctx: RequestContext) -> StarletteResponse:
        """Steps 3 to 7: the response for the bound request, errors handled."""
        app, chain = self.app, ctx.hooks()
        try:
            try:
                if ctx.rule is not None and ctx.connection.body_expected():
                    await _preload(ctx)
                channel = app.signal_channels.request_started
                entries = channel.entries
                if entries is None:
                    entries = channel.current()
                # signals.fire's loop, written out (see AppContext._announce).
                for get, is_async in entries:
                    receiver = get()
                    if receiver is not None:
                        if is_async:
                            await receiver(app)
                        else:
                            receiver(app)
                if chain.value_preprocessors:
                    _preprocess(ctx, chain)
                rv = None
                for func in chain.before:
                    rv = await func()
                    if rv is not None:
                        break
                else:
                    view = ctx.rule.view if ctx.rule is not None else None
                    if view is None:
                        rv = await _without_view(ctx)
                    else:
                        rv = await view(**ctx.view_args)
            except Exception as exc:
                rv = await self._handle_user_exception(chain, exc)
            return await self._finalize(ctx, chain, rv)
        except Exception as exc:
            ctx.error = exc
            return await self._handle_exception(ctx, chain, exc)

    async def _handle_user_exception(self, chain: HookChain, exc: Exception) -> Any:
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
        handler = chain.find_handler(exc)
        if handler is not None:
            return await handler(exc)
        if http is not None:
            return error_response(self.app, http)
        raise exc

    async def _finalize(
        self, ctx: RequestContext, chain: HookChain, rv: Any, from_error: bool = False
    ) -> StarletteResponse:
        app = self.app
        if self.make_response is None:
            response = to_response(app, rv, ctx.connection)
        else:
            response = await self._made(ctx, rv)
        try:
            if isinstance(response, Response) and response._pending is not None:
                response = await self._prepared(ctx, chain, response, from_error)
            if ctx.after_this_request:
                response = await _run_after(ctx.after_this_request, response)
            for func in chain.after:
                processed = await func(response)
                if processed is None:
                    raise TypeError(f"after_request function {func!r} returned None")
                response = processed
            session = ctx.session
            if not (
                app.session_interface.is_null_session(session) or ctx.session_unsaved
            ):
                try:
                    saved = app.session_interface.save_session(app, session, response)
                    if isawaitable(saved):  # else a plain method, as Flask's
                        await saved
                except HTTPException as exc:  # e.g. 503: the store is down
                    response = error_response(app, exc)
                except Exception:
                    ctx.session_unsaved = True  # the 500 page must not fail too
                    raise
            channel = app.signal_channels.request_finished
            entries = channel.entries
            if entries is None:
                entries = channel.current()
            for get, is_async in entries:  # signals.fire's loop, written out
                receiver = get()
                if receiver is not None:
                    if is_async:
                        await receiver(app, response=response)
                    else:
                        receiver(app, response=response)
        except Exception:
            if not from_error:
                raise
            app.logger.exception("Error while finishing the response to an error")
        return response

    async def _prepared(
        self,
        ctx: RequestContext,
        chain: HookChain,
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
            rv = await self._handle_user_exception(chain, exc)
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

    async def _handle_exception(
        self, ctx: RequestContext, chain: HookChain, exc: Exception
    ) -> StarletteResponse:
        """An unhandled exception: signal, log, then the 500 response (or
        re-raise when exceptions propagate, as in testing)."""
        app = self.app
        await emit_logged(app, got_request_exception, exception=exc)
        if app.propagate_exceptions:
            raise exc
        request = ctx.request
        app.logger.error(
            "Exception on %s [%s]", request.path, request.method, exc_info=exc
        )
        server_error = InternalServerError(original_exception=exc)
        handler = chain.find_handler(server_error)
        if handler is not None:
            rv = await handler(server_error)
        elif app.debug:
            rv = app.response_class(traceback_page(exc), 500)
        else:
            rv = error_response(app, server_error)
        return await self._finalize(ctx, chain, rv, from_error=True)

    async def _report(self, ctx: RequestContext, exc: Exception, what: str) -> None:
        """An unhandled exception: keep it for teardown, signal it, log it."""
        ctx.error = exc
        await emit_logged(self.app, ctx.kind.got_exception, exception=exc)
        self.app.logger.error("%s %s", what, ctx.connection.path, exc_info=exc)

    async def _serve_websocket(self, ctx: RequestContext, send: Send) -> None:
        """The websocket lifecycle (see :mod:`._websocket_serving`)."""
        await serve_websocket(self, ctx)

    @staticmethod
    def preprocess(ctx: RequestContext, chain: HookChain) -> None:
        """Run the URL value preprocessors (see :func:`_preprocess`)."""
        _preprocess(ctx, chain)

    @staticmethod
    def view_of(rule: Rule) -> Callable[..., Any]:
        """The rule's view (see :func:`_view_of`)."""
        return _view_of(rule)


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


def _preprocess(ctx: RequestContext, chain: HookChain) -> None:
    """The URL value preprocessors (sync, as in Flask and Quart), which may
    change the values the view gets."""
    endpoint = ctx.rule.endpoint if ctx.rule is not None else None
    for func in chain.value_preprocessors:
        func(endpoint, ctx.view_args)


async def _preload(ctx: RequestContext) -> None:
    """Read the announced body before ``request_started``, so Flask's
    ``request.form[...]`` works without ``await`` everywhere after (see
    ``Request.preload``), unless the app or the view says not to."""
    view = ctx.rule.view if ctx.rule is not None else None
    if getattr(view, "preload_body", True):
        await ctx.request.preload(ctx.app.config["PRELOAD_REQUEST_BODY"])


def _view_of(rule: Rule) -> Callable[..., Any]:
    """The rule's view.

    :raises RuntimeError: the rule was added with an endpoint and no view,
        and no ``@app.endpoint(name)`` gave it one.
    """
    if rule.view is None:
        raise RuntimeError(
            f"The rule {rule.rule!r} has no view: give its endpoint one with "
            f"@app.endpoint({rule.endpoint!r})."
        )
    return rule.view


async def _without_view(ctx: RequestContext) -> StarletteResponse:
    """No view to call: raise the routing error (404, 405, redirect), or
    answer OPTIONS on a path with no explicit OPTIONS view, through
    ``app.make_default_options_response`` (which an app may override)."""
    if ctx.rule is not None:
        _view_of(ctx.rule)
    if ctx.routing_error is not None:
        raise ctx.routing_error
    return await ctx.app.make_default_options_response()


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
    from ._concurrency import as_async

    for func in funcs:
        processed = await as_async(func)(response)
        if processed is None:
            raise TypeError(f"after_this_request function {func!r} returned None")
        response = processed
    return response


async def _unsent(message: Any) -> None:
    """``send`` for a connection handled without a server: the response
    is returned, not sent."""
    raise RuntimeError(
        f"handle_request() returns the response: nothing is sent ({message['type']})"
    )
