"""The less travelled ways to call a plan's receivers.

The two hot loops (``send`` with sync receivers, ``send_async`` one receiver
after another) live in :mod:`asignals._signal`; everything that needs extra
bookkeeping per receiver lives here: wrappers, robust outcomes and
concurrent dispatch.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Coroutine
from typing import Any, NamedTuple

from ._observe import originals
from ._registry import Plan

Receiver = Callable[..., Any]

AsyncWrapper = Callable[[Callable[..., Coroutine[Any, Any, Any]]], Callable[..., Any]]
"""Turns an async receiver into a sync callable, for ``send(_async_wrapper=)``.
It is given the receiver (a callable returning a coroutine)."""

SyncWrapper = Callable[[Callable[..., Any]], Callable[..., Awaitable[Any]]]
"""Turns a sync receiver into an async callable, for ``send_async(_sync_wrapper=)``
(for example to run a blocking receiver in a worker thread)."""


class Outcome(NamedTuple):
    """What one receiver did in a robust send.

    ``error`` is the exception the receiver *raised* (None when it
    returned); ``value`` is what it returned. A receiver that returns an
    exception object has ``ok`` True and that object as ``value``, so the two
    cases never look alike. (A named tuple: cheap to make on the hot path.)
    """

    value: Any = None
    error: Exception | None = None

    @property
    def ok(self) -> bool:
        """True when the receiver returned instead of raising."""
        return self.error is None

    def unwrap(self) -> Any:
        """Return ``value``, or raise ``error`` when the receiver raised."""
        if self.error is not None:
            raise self.error
        return self.value


_RETURNED_NONE = Outcome()
_new_tuple = tuple.__new__


def returned(value: Any) -> Outcome:
    """The Outcome of a receiver that returned ``value``.

    Built with ``tuple.__new__`` (half the cost of the named tuple's
    generated constructor), and shared when ``value`` is None, the common
    case: outcomes are immutable, so sharing one is safe.
    """
    if value is None:
        return _RETURNED_NONE
    outcome: Outcome = _new_tuple(Outcome, (value, None))
    return outcome


def live(plan: Plan) -> list[tuple[Receiver, bool]]:
    """The plan's receivers that are still alive, with their async flag."""
    found = []
    for get, is_async in plan.entries:
        receiver = get()
        if receiver is not None:
            found.append((receiver, is_async))
    return found


def refuse_async(plan: Plan, wrapper: AsyncWrapper | None) -> None:
    """Raise before calling anything when a sync send meets an async receiver."""
    if wrapper is not None:
        return
    for receiver, is_async in live(plan):
        if is_async:
            raise RuntimeError(
                f"cannot call async receiver {receiver!r} from send(); "
                "use 'await send_async(...)' or pass _async_wrapper"
            )


def sync_callable(
    receiver: Receiver, is_async: bool, wrapper: AsyncWrapper | None
) -> Receiver:
    """The callable a sync send calls for ``receiver``."""
    return wrapper(receiver) if is_async and wrapper is not None else receiver


def async_callable(
    receiver: Receiver, is_async: bool, wrapper: SyncWrapper | None
) -> Receiver | None:
    """The coroutine function an async send awaits, or None to call inline."""
    if is_async:
        return receiver
    return None if wrapper is None else wrapper(receiver)


def call_wrapped(
    plan: Plan, sender: Any, kwargs: dict[str, Any], wrapper: AsyncWrapper | None
) -> list[tuple[Receiver, Any]]:
    """``send`` when some receivers are async (wrapped, or refused up
    front), or when the signal is observed."""
    if plan.observed is not None:
        return list(originals(call_wrapped(plan.observed, sender, kwargs, wrapper)))
    refuse_async(plan, wrapper)
    return [
        (receiver, sync_callable(receiver, is_async, wrapper)(sender, **kwargs))
        for receiver, is_async in live(plan)
    ]


async def await_wrapped(
    plan: Plan, sender: Any, kwargs: dict[str, Any], wrapper: SyncWrapper
) -> list[tuple[Receiver, Any]]:
    """``send_async`` with a ``_sync_wrapper``: sync receivers are called
    through it and awaited, one receiver after another."""
    if plan.observed is not None:
        done = await await_wrapped(plan.observed, sender, kwargs, wrapper)
        return list(originals(done))
    results = []
    for get, is_async in plan.entries:
        receiver = get()
        if receiver is not None:
            call = receiver if is_async else wrapper(receiver)
            results.append((receiver, await call(sender, **kwargs)))
    return results


async def await_observed(
    plan: Plan, sender: Any, kwargs: dict[str, Any]
) -> list[tuple[Receiver, Any]]:
    """``send_async`` of an observed signal: ``plan`` is the plan to call
    (its receivers wrapped for their observers); the results name the
    receivers themselves."""
    results = []
    for get, is_async in plan.entries:
        call = get()
        if call is None:
            continue
        if is_async:
            results.append((call.__wrapped__, await call(sender, **kwargs)))
        else:
            results.append((call.__wrapped__, call(sender, **kwargs)))
    return results


def capture(call: Receiver, sender: Any, kwargs: dict[str, Any]) -> Outcome:
    """Call ``call`` and record whether it returned or raised."""
    try:
        return returned(call(sender, **kwargs))
    except Exception as exc:
        return Outcome(error=exc)


async def capture_async(call: Receiver, sender: Any, kwargs: dict[str, Any]) -> Outcome:
    """Await ``call`` and record whether it returned or raised."""
    try:
        return returned(await call(sender, **kwargs))
    except Exception as exc:
        return Outcome(error=exc)


def call_robust(
    plan: Plan, sender: Any, kwargs: dict[str, Any], wrapper: AsyncWrapper | None
) -> list[tuple[Receiver, Outcome]]:
    """``send_robust``: every receiver runs; each result is an Outcome."""
    if plan.observed is not None:
        return list(originals(call_robust(plan.observed, sender, kwargs, wrapper)))
    refuse_async(plan, wrapper)
    return [
        (receiver, capture(sync_callable(receiver, is_async, wrapper), sender, kwargs))
        for receiver, is_async in live(plan)
    ]


async def await_robust(
    plan: Plan, sender: Any, kwargs: dict[str, Any], wrapper: SyncWrapper | None
) -> list[tuple[Receiver, Outcome]]:
    """``send_async_robust`` one receiver after another."""
    if plan.observed is not None:
        done = await await_robust(plan.observed, sender, kwargs, wrapper)
        return list(originals(done))
    outcomes = []
    for get, is_async in plan.entries:
        receiver = get()
        if receiver is None:
            continue
        try:
            if is_async:
                value = await receiver(sender, **kwargs)
            elif wrapper is None:
                value = receiver(sender, **kwargs)
            else:
                value = await wrapper(receiver)(sender, **kwargs)
        except Exception as exc:
            outcomes.append((receiver, Outcome(error=exc)))
        else:
            outcomes.append((receiver, returned(value)))
    return outcomes


async def await_concurrently(
    plan: Plan, sender: Any, kwargs: dict[str, Any], wrapper: SyncWrapper | None
) -> list[tuple[Receiver, Outcome]]:
    """Run async receivers together in a task group; outcomes in plan order.

    Sync receivers (without a wrapper) run inline, in order, while the tasks
    are being started. Each task runs in a copy of the caller's context. A
    failing receiver is recorded and never cancels the others.
    """
    if plan.observed is not None:
        done = await await_concurrently(plan.observed, sender, kwargs, wrapper)
        return list(originals(done))
    receivers = live(plan)
    outcomes: list[Outcome] = [_RETURNED_NONE] * len(receivers)

    async def run(index: int, call: Receiver) -> None:
        outcomes[index] = await capture_async(call, sender, kwargs)

    import anyio  # here: only concurrent sends need it, not every import

    async with anyio.create_task_group() as group:
        for index, (receiver, is_async) in enumerate(receivers):
            call = async_callable(receiver, is_async, wrapper)
            if call is None:
                outcomes[index] = capture(receiver, sender, kwargs)
            else:
                group.start_soon(run, index, call)
    return [(receiver, outcomes[i]) for i, (receiver, _) in enumerate(receivers)]


def unwrap_all(
    outcomes: list[tuple[Receiver, Outcome]], what: str
) -> list[tuple[Receiver, Any]]:
    """Results of a concurrent send, or every failure raised together."""
    errors = [outcome.error for _, outcome in outcomes if outcome.error is not None]
    if errors:
        raise ExceptionGroup(f"{len(errors)} receiver(s) of {what} raised", errors)
    return [(receiver, outcome.value) for receiver, outcome in outcomes]
