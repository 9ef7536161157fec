"""Sending a streamed body while watching for the client to leave.

A server does not tell the app that a client left by failing its sends:
uvicorn's ``send()`` returns silently once the connection is gone (ASGI
before 2.4). The only word is an ``http.disconnect`` message on
``receive``. Nobody reads ``receive`` while a body streams, so without a
watcher an event stream would go on producing for nobody, its ``finally``
would never run, and the request would never be torn down (nor would the
server stop on SIGTERM: it waits for the request).

So a streamed body is sent with a watcher task reading ``receive``; when
the client leaves it cancels the request's task once, where it waits (in
the body's own ``await``, or in a send), and the body's iterator is
closed. The request is then torn down with a ``ClientDisconnected`` as
``exc``. The cancellation is asyncio's, one-shot: the body's ``finally``
may still await its clean-up (an AnyIO cancel scope would cancel those
awaits too).

A body that never awaits would never let the watcher run (the sends
return at once), so the loop is yielded to every few chunks.
"""

from __future__ import annotations

import asyncio
import contextvars
from collections.abc import AsyncGenerator, Awaitable, Callable, MutableMapping
from typing import Any

from ..exceptions import ClientDisconnected

__all__ = ["YIELD_EVERY", "send_body_chunks"]

YIELD_EVERY = 8
"""Sends in a row, at most, before the event loop is let run: a server's
send often returns without waiting, so a loop of sends would otherwise
starve every other request and never see its client leave."""

Message = MutableMapping[str, Any]


class _ClientWatch:
    """Reads ``receive`` until ``http.disconnect``, then cancels the task
    that started it, once, unless it has been stopped by then."""

    def __init__(self, receive: Callable[[], Awaitable[Message]]) -> None:
        self.left = False
        self.cancelled = False
        self._stopped = False
        try:
            self._task: asyncio.Task[Any] | None = asyncio.current_task()
        except RuntimeError:  # not asyncio (trio): only yielding protects
            self._task = None
        # An empty context: the watcher needs none, and a task holding a
        # copy of the request's would keep the request alive after it.
        self._watcher = (
            None
            if self._task is None
            else asyncio.get_running_loop().create_task(
                self._watch(receive), context=contextvars.Context()
            )
        )

    async def _watch(self, receive: Callable[[], Awaitable[Message]]) -> None:
        import anyio.lowlevel  # here: only streamed bodies load it

        try:
            while (await receive())["type"] != "http.disconnect":
                # Not a message a server sends once the body is in; a
                # receive that answers at once must not starve the loop.
                await anyio.lowlevel.checkpoint()
        except Exception:
            return  # a receive that fails tells nothing: keep streaming
        self.left = True
        if not self._stopped and self._task is not None:
            self.cancelled = True
            self._task.cancel("the client disconnected")

    def taken_back(self) -> bool:
        """After a ``CancelledError`` in the watched task: whether it was
        this watch's own and nobody else's (then the task is no longer
        cancelling, and the caller turns it into ``ClientDisconnected``)."""
        if not self.cancelled or self._task is None:
            return False
        self.cancelled = False
        return self._task.uncancel() == 0

    async def stop(self) -> None:
        self._stopped = True
        if self.cancelled and self._task is not None:
            # A cancel the body swallowed: take it back, so the task does
            # not stay "cancelling" for the teardown.
            self.cancelled = False
            self._task.uncancel()
        if self._watcher is not None and not self._watcher.done():
            # Ended now, not at some later turn of the loop: until then its
            # frame holds ``receive``, and so the request.
            self._watcher.cancel()
            await asyncio.wait((self._watcher,))
        # Its cancellation's traceback holds the frame holding this watch:
        # no cycle back to the task, so reference counting frees both.
        self._watcher = None


async def send_body_chunks(
    chunks: AsyncGenerator[bytes, None],
    receive: Callable[[], Awaitable[Message]],
    send: Callable[[Message], Awaitable[None]],
) -> None:
    """Send ``chunks`` as ``http.response.body`` messages with more to come.

    :raises ClientDisconnected: the client left before the last chunk was
        sent; ``chunks`` has been closed (so has whatever it iterates).
    """
    import anyio.lowlevel  # here: only streamed bodies load it

    watch = _ClientWatch(receive)
    unyielded = 0
    try:
        async for chunk in chunks:
            if watch.left:
                raise ClientDisconnected()
            await send({"type": "http.response.body", "body": chunk, "more_body": True})
            unyielded += 1
            if unyielded == YIELD_EVERY:
                unyielded = 0
                await anyio.lowlevel.checkpoint()
    except asyncio.CancelledError:
        if watch.taken_back():
            raise ClientDisconnected() from None
        raise
    except OSError as exc:  # an ASGI 2.4 server's word for a client gone
        raise ClientDisconnected() from exc
    finally:
        await watch.stop()
        await chunks.aclose()  # a no-op once it has ended
