"""Shield clean-up from cancellation, paying for the shield only when needed.

Cancellation can only reach a task where it suspends. A clean-up that
finishes without suspending (teardown hooks and receivers that log, count
or set attributes, even async ones) cannot be interrupted, so it needs no
shield. :func:`shielded` runs the clean-up coroutine step by step itself
and enters an AnyIO shielding cancel scope just before the first step that
really waits. Nothing runs in between, so this protects exactly as much as
a shield entered at the start would, without its cost (about 4 µs on
asyncio, a third of a whole request) for clean-ups that never wait.
"""

from __future__ import annotations

import types
from collections.abc import Coroutine, Generator
from typing import Any

import anyio


@types.coroutine
def shielded(coro: Coroutine[Any, Any, None]) -> Generator[Any, Any, None]:
    """Await ``coro`` shielded from cancellation: ``await shielded(pop())``."""
    try:
        waiting_on = coro.send(None)
    except StopIteration:
        return  # finished without suspending: nothing could interrupt it
    with anyio.CancelScope(shield=True):
        while True:
            # Forward what the coroutine waits on to the event loop, and the
            # loop's answer (a value or an exception) back, as ``await`` does.
            try:
                answer = yield waiting_on
            except GeneratorExit:
                coro.close()
                raise
            except BaseException as exc:  # delivered by the loop: pass it on
                try:
                    waiting_on = coro.throw(exc)
                except StopIteration:
                    return
            else:
                try:
                    waiting_on = coro.send(answer)
                except StopIteration:
                    return
