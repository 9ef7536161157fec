"""Shield clean-up from cancellation, paying for the shield only when needed.

Cancellation can only reach a task where it suspends. A clean-up that
finishes without suspending (teardown hooks and receivers that log, count
or set attributes, even async ones) cannot be interrupted, so it needs no
shield. :func:`shielded` runs the clean-up coroutine step by step itself
and starts shielding just before the first step that really waits. Nothing
runs in between, so this protects exactly as much as a shield entered at
the start would, without its cost for clean-ups that never wait.

Two kinds of cancellation are held off once the clean-up waits:

* AnyIO's (cancel scopes, task groups): by an AnyIO shielding scope.
* asyncio's own ``Task.cancel()`` (what ``asyncio.timeout()`` and a
  server's graceful-shutdown timeout use), which AnyIO shields do not
  stop: each future the clean-up waits on is awaited through
  ``asyncio.shield``, so a cancel lands on the wrapper, not on the
  clean-up's future; the clean-up goes on, and the cancellation is raised
  once it has finished.

A clean-up still waiting after ``timeout`` seconds is abandoned:
``on_abandon`` is told, and the clean-up is cancelled, with one more
``timeout`` for its ``except``/``finally`` blocks (which may await, as a
context's pop does) before it is closed; so a hung clean-up cannot hang a
shutdown.
"""

from __future__ import annotations

import asyncio
import time
import types
from collections.abc import Callable, Coroutine, Generator
from typing import Any

import anyio


@types.coroutine
def shielded(
    coro: Coroutine[Any, Any, None],
    timeout: float | None = None,
    on_abandon: Callable[[float], None] | None = None,
) -> Generator[Any, Any, None]:
    """Await ``coro`` shielded from cancellation: ``await shielded(pop())``."""
    # The first step is taken by a for loop, not coro.send(None): a
    # clean-up that ends without suspending (the common case) then ends
    # the loop, where send() would raise a StopIteration to catch here.
    for waiting_on in coro.__await__():  # noqa: B007 - read after the loop
        break
    else:
        return  # finished without suspending: nothing could interrupt it
    yield from finish_shielded(coro, waiting_on, timeout, on_abandon)


@types.coroutine
def finish_shielded(
    coro: Coroutine[Any, Any, None],
    waiting_on: Any,
    timeout: float | None = None,
    on_abandon: Callable[[float], None] | None = None,
) -> Generator[Any, Any, None]:
    """:func:`shielded` for a ``coro`` its caller started itself, with
    ``coro.send(None)``, and that gave ``waiting_on``: a caller that drives
    the first step inline pays for the shield only when it is needed."""
    deadline = None if timeout is None else time.monotonic() + timeout
    cancelled = abandoning = False
    with anyio.CancelScope(shield=True):
        while True:
            try:
                if isinstance(waiting_on, asyncio.Future):
                    yield from _await_shielded(waiting_on, deadline)
                    answer = None  # a task resumes a coroutine so, too
                else:
                    answer = yield waiting_on  # a bare yield, or not asyncio
            except GeneratorExit:
                coro.close()
                raise
            except _Expired:
                if abandoning:
                    _close(coro)  # it would not even end when cancelled
                    break
                abandoning = True
                if on_abandon is not None:
                    on_abandon(timeout or 0.0)
                # Cancel what is left, giving its except/finally blocks one
                # more timeout to end (they may need to await, as a pop does).
                deadline = time.monotonic() + (timeout or 0.0)
                try:
                    waiting_on = coro.throw(asyncio.CancelledError())
                except (StopIteration, asyncio.CancelledError):
                    break
                continue
            except asyncio.CancelledError:
                # asyncio's own cancel: held off until the clean-up is done.
                cancelled = True
                if waiting_on is not None and not waiting_on.done():
                    continue  # wait on the same future again
                answer = None
            except BaseException as exc:  # delivered by the loop: pass it on
                try:
                    waiting_on = coro.throw(exc)
                except StopIteration:
                    break
                continue
            try:
                waiting_on = coro.send(answer)
            except StopIteration:
                break
    if cancelled:
        raise asyncio.CancelledError()


def _close(coro: Coroutine[Any, Any, None]) -> None:
    try:
        coro.close()
    except RuntimeError:  # it awaited in a finally block: nothing more to do
        pass


class _Expired(Exception):
    """The clean-up's time is up."""


@types.coroutine
def _await_shielded(
    future: asyncio.Future[Any], deadline: float | None
) -> Generator[Any, Any, None]:
    """Wait for ``future`` without letting a cancel of this task reach it
    (the clean-up resumes with ``send(None)``, as a task resumes a coroutine
    whose future is done); raise :class:`_Expired` at ``deadline``."""
    if future.done():
        return
    outer = asyncio.shield(future)
    timer = None
    expired = False
    if deadline is not None:

        def expire() -> None:
            nonlocal expired
            expired = True
            outer.cancel()

        loop = asyncio.get_running_loop()
        timer = loop.call_later(max(0.0, deadline - time.monotonic()), expire)
    try:
        yield from outer
    except asyncio.CancelledError:
        if expired:
            raise _Expired() from None
        raise
    finally:
        if timer is not None:
            timer.cancel()
