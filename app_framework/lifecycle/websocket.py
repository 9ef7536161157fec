"""Serving one websocket: the handshake, the view, the client leaving.

The request's task reads the client's messages and hands them to the view,
which runs in a task of its own (one per connection, none per message),
through the public serving side of :class:`~._websocket.Websocket`
(``open``, ``feed``, ``deny``).
When the client leaves, the view's task is cancelled wherever it waits, as
in Quart: in ``receive()``, in ``send()`` or in any other await. The view
may catch the ``CancelledError`` to clean up (awaiting as it likes: the
cancellation is delivered once); the connection's end is not an error, so
teardown gets ``exc=None``.

Before the handshake is accepted, ``abort(401)`` or a response returned by
the view or a ``before_websocket`` hook (a success status becomes 403:
it refuses) is sent as an HTTP response where
the server supports the ASGI websocket denial response (uvicorn does);
elsewhere the connection is refused with close code 1008. After it, an HTTP
error closes with a code that says what kind of error it was.
"""

from __future__ import annotations

import asyncio
from inspect import isawaitable
from typing import TYPE_CHECKING, Any

from .._conversion import (
    error_response,
    made_response,
    make_response_override,
    to_response,
)
from ..exceptions import HTTPException, NotFound, describe
from ..signals import emit, websocket_finished, websocket_started
from ..wrappers.websocket import (
    CONNECTING,
    Websocket,
    WebsocketDisconnected,
    trim_reason,
)
from .plans import view_of

if TYPE_CHECKING:
    from ..ctx import RequestContext
    from .plans import Plan
    from .runner import Runner

__all__ = ["CLOSE_CODES", "close_code_for", "serve_websocket"]

INBOX_SIZE = 64
INBOX_BYTES = 1024 * 1024
"""Messages read ahead of the view: 64 at most, and no more once they hold
1 MiB (see :class:`~._websocket.Inbox`). Past that the server's queue is
not read, so its own flow control slows the client down."""

CLOSE_CODES = {
    400: 1008,
    401: 1008,
    403: 1008,
    404: 1008,
    413: 1009,
    415: 1003,
    503: 1013,
}
"""The close code for an HTTP error after the handshake (4xx otherwise
1008, "policy violation"; 5xx otherwise 1011, "internal error")."""


def close_code_for(exc: HTTPException) -> int:
    """The websocket close code that says what ``exc`` says."""
    code = exc.code or 500
    return CLOSE_CODES.get(code, 1011 if code >= 500 else 1008)


async def serve_websocket(runner: Runner, ctx: RequestContext) -> None:
    """Run one websocket connection (its contexts are pushed)."""
    ws = ctx.websocket
    if not await ws.open(INBOX_SIZE, INBOX_BYTES):  # gone before the handshake
        return
    view = asyncio.get_running_loop().create_task(_run(runner, ctx))
    try:
        await ws.feed(view)
        await asyncio.wait([view])
    except BaseException:
        # Cancelled from outside (the server shutting down): end the view
        # too, let it finish its clean-up, then go on being cancelled.
        if not view.done():
            view.cancel()
            await asyncio.wait([view])
        raise
    if not (view.cancelled() and ws.ended):  # cancelled before it began
        view.result()  # its error, if it raised


async def _run(runner: Runner, ctx: RequestContext) -> None:
    """The view's task: websocket_started, the hooks, the view, then close
    (1000) and websocket_finished; an unhandled error closes with 1011."""
    app, ws, chain = runner.app, ctx.websocket, ctx.plan
    assert chain is not None
    try:
        try:
            await _call_view(runner, ctx, chain)
        except asyncio.CancelledError:
            if not ws.ended:
                raise
            _uncancel()  # our own cancellation: the connection is over
        except WebsocketDisconnected:
            pass  # the view used its websocket after the client left
        except Exception as exc:
            await _handle(app, ws, chain, exc)
        await _save_session(app, ctx)
        await ws.close(1000)
        await emit(app, websocket_finished)
    except Exception as exc:
        await runner.report(ctx, exc, "Exception in websocket")
        await ws.close(1011)


async def _save_session(app: Any, ctx: RequestContext) -> None:
    """Quart's last step of a websocket: ``save_session(app, session,
    None)``, so a store on the server keeps what the websocket changed (the
    built-in interfaces open it read-only and do nothing here)."""
    interface, session = app.session_interface, ctx.session
    if interface.is_null_session(session):
        return
    saved = interface.save_session(app, session, None)
    if isawaitable(saved):  # else a plain method, as Flask's
        await saved


def _uncancel() -> None:
    task = asyncio.current_task()
    if task is not None and task.cancelling():
        task.uncancel()


async def _call_view(runner: Runner, ctx: RequestContext, chain: Plan) -> None:
    app, ws = runner.app, ctx.websocket
    await emit(app, websocket_started)
    if chain.value_preprocessors:
        chain.preprocess(ctx.rule.endpoint if ctx.rule else None, ctx.view_args)
    for func, is_async in chain.before:
        refusal = await func() if is_async else func()
        if refusal is not None:
            await _refuse(app, ws, refusal)
            return
    if ctx.rule is None:
        raise ctx.routing_error or NotFound()
    view_of(ctx.rule)
    assert chain.view is not None
    rv = await chain.view(**ctx.view_args)
    for after, is_async in chain.after:
        rv = await after(rv) if is_async else after(rv)
    if rv is not None and ws.state == CONNECTING:
        await _refuse(app, ws, rv)


async def _handle(app: Any, ws: Websocket, chain: Plan, exc: Exception) -> None:
    handler = chain.find_handler(exc)
    if handler is not None:
        rv = await handler(exc)
        if rv is not None and ws.state == CONNECTING:
            await _refuse(app, ws, rv)
    elif isinstance(exc, HTTPException):
        if ws.state == CONNECTING:
            await _refuse(app, ws, exc)
        else:
            await ws.close(close_code_for(exc), describe(exc))
    else:
        raise exc


async def _refuse(app: Any, ws: Websocket, rv: Any) -> None:
    """Refuse the handshake with ``rv`` (a response, or what a view may
    return, or an HTTP error) as an HTTP response when the server can send
    one; else close with 1008."""
    make = make_response_override(app)
    if isinstance(rv, HTTPException):
        response = error_response(app, rv)
    elif make is not None:
        response = await made_response(make, rv)
    else:
        response = to_response(app, rv)
    if response.status_code < 400:
        # A success cannot refuse a handshake; Quart would send it as it
        # is, and clients would report a confusing "unexpected 200".
        response.status_code = 403
    if "websocket.http.response" in (ws.scope.get("extensions") or {}):
        await ws.deny(response)
        return
    reason = (
        describe(rv)
        if isinstance(rv, HTTPException)
        else f"refused with {response.status_code}"
    )
    await ws.close(1008, trim_reason(reason))
