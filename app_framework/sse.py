"""Server-Sent Events: a streamed ``text/event-stream`` response.

Return an :class:`EventStream` from a view, built on any iterable (async or
not) of events; each item is a :class:`ServerSentEvent`, a ``str`` (the
event's data) or a ``dict`` of its fields::

    @app.route("/feed")
    async def feed():
        async def events():
            async for item in updates():
                yield ServerSentEvent(item.text, id=item.id, event="update")
        return EventStream(events(), retry=2000)

What it takes care of:

* **The wire format**: data is split into one ``data:`` line per line (a
  ``\\r\\n``, ``\\r`` or ``\\n`` in it ends a line, as the browser reads them),
  and an ``id`` or ``event`` that would break a line is refused where it is
  made, not sent corrupted.
* **Headers**: ``text/event-stream``, ``Cache-Control: no-cache`` (no cache
  or proxy keeps one client's stream for another) and ``X-Accel-Buffering:
  no`` (nginx would otherwise hold events back until its buffer fills).
* **Heartbeats**: a comment line (``: ping``) after ``ping`` seconds without
  an event, so that proxies and load balancers do not close an idle stream.
* **A client that leaves**: as for every streamed body (see
  ``wrappers._streaming``), the iterable's ``finally`` runs and the request is torn
  down with ``ClientDisconnected``.
* **Resuming**: a browser's ``EventSource`` reconnects by itself, sending
  the id of the last event it received as ``Last-Event-ID``;
  :func:`last_event_id` reads it (or a query parameter, for the first
  connection of a page, and for websockets).
"""

from __future__ import annotations

import asyncio
import contextvars
import re
from collections.abc import AsyncIterable, AsyncIterator, Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from starlette.concurrency import iterate_in_threadpool

from .globals import has_websocket_context, request, websocket
from .wrappers.response import Response

__all__ = ["EventStream", "ServerSentEvent", "last_event_id"]

_LINE_END = re.compile(r"\r\n|\r|\n")
PING = b": ping\n\n"
"""The heartbeat: a comment, which ``EventSource`` ignores."""
_DONE = object()


def _single_line(field: str, value: str | None) -> None:
    if value is not None and _LINE_END.search(value):
        raise ValueError(
            f"a ServerSentEvent's {field} must be one line: {value!r} has a line "
            "break (put multi-line text in data=)"
        )


@dataclass(frozen=True, slots=True)
class ServerSentEvent:
    """One event of an :class:`EventStream`.

    :param data: The text the client's ``event.data`` gets (``None``: no
        data line, so the browser dispatches no event, but an ``id`` or
        ``retry`` still takes effect). Send JSON as ``json.dumps(value)``.
    :param event: The event's type (``addEventListener(type)``); without
        one it is a ``message``.
    :param id: The id the browser remembers and sends back as
        ``Last-Event-ID`` when it reconnects.
    :param retry: How long the browser waits before reconnecting, in
        milliseconds.
    :param comment: Text the client ignores (each line sent as ``: ...``).
    :raises ValueError: ``event`` or ``id`` spans lines (or ``id`` holds a
        NUL, which makes browsers ignore it), or ``retry`` is negative.
    :raises TypeError: ``data`` is not text, or ``retry`` not an int.
    """

    data: str | None = None
    event: str | None = None
    id: str | None = None
    retry: int | None = None
    comment: str | None = None

    def __post_init__(self) -> None:
        if self.data is not None and not isinstance(self.data, str):
            raise TypeError(
                f"a ServerSentEvent's data must be str, not "
                f"{type(self.data).__name__}: send json.dumps(value) for JSON"
            )
        _single_line("event", self.event)
        _single_line("id", self.id)
        if self.id is not None and "\0" in self.id:
            raise ValueError("a ServerSentEvent's id cannot hold a NUL character")
        retry = self.retry
        if retry is not None and (type(retry) is not int or retry < 0):
            # bool is an int, but True milliseconds is a mistake
            wrong_type = type(retry) is not int
            raise (TypeError if wrong_type else ValueError)(
                "a ServerSentEvent's retry is a number of milliseconds, an int "
                f">= 0, not {retry!r}"
            )

    def encode(self) -> bytes:
        """The event as it is sent, ending with the blank line that
        dispatches it."""
        lines: list[str] = []
        if self.comment is not None:
            lines += [f": {line}" for line in _LINE_END.split(self.comment)]
        if self.event is not None:
            lines.append(f"event: {self.event}")
        if self.data is not None:
            lines += [f"data: {line}" for line in _LINE_END.split(self.data)]
        if self.id is not None:
            lines.append(f"id: {self.id}")
        if self.retry is not None:
            lines.append(f"retry: {self.retry}")
        return ("\n".join(lines) + "\n\n").encode()


def _encoded(item: Any) -> bytes:
    if isinstance(item, ServerSentEvent):
        return item.encode()
    if isinstance(item, str):
        return ServerSentEvent(item).encode()
    if isinstance(item, Mapping):
        return ServerSentEvent(**item).encode()
    raise TypeError(
        "an EventStream's items are ServerSentEvent, str (the data) or dict (the "
        f"event's fields), not {type(item).__name__}"
    )


class EventStream(Response):
    """A ``text/event-stream`` response sending ``events`` as they come.

    :param events: An iterable or async iterable of :class:`ServerSentEvent`,
        ``str`` (data) or ``dict`` (fields). A sync one is iterated in a
        worker thread, as any sync streamed body.
    :param ping: Seconds without an event after which a heartbeat comment
        is sent; ``None`` sends none.
    :param retry: Sent first: the browser's reconnection delay in
        milliseconds.
    :param status: The status code.
    :param headers: More headers (they win over the defaults).
    """

    default_mimetype = "text/event-stream"

    def __init__(
        self,
        events: AsyncIterable[Any] | Iterable[Any],
        *,
        ping: float | None = 15.0,
        retry: int | None = None,
        status: int = 200,
        headers: Mapping[str, str] | None = None,
    ) -> None:
        if not isinstance(events, AsyncIterable | Iterable) or isinstance(
            events, str | bytes | Mapping
        ):
            raise TypeError(
                "EventStream takes an iterable (or async iterable) of events, "
                f"not {type(events).__name__}: wrap one event in a list"
            )
        if ping is not None and not ping > 0:
            raise ValueError(f"ping is in seconds, > 0 (or None for none), not {ping}")
        first = b"" if retry is None else ServerSentEvent(retry=retry).encode()
        super().__init__(self._body(events, ping, first), status)
        self.headers.setdefault("Cache-Control", "no-cache")
        self.headers.setdefault("X-Accel-Buffering", "no")
        for key, value in (headers or {}).items():
            self.headers[key] = value

    @staticmethod
    async def _body(
        events: AsyncIterable[Any] | Iterable[Any], ping: float | None, first: bytes
    ) -> AsyncIterator[bytes]:
        if first:
            yield first
        source: AsyncIterable[Any] = (
            events
            if isinstance(events, AsyncIterable)
            else iterate_in_threadpool(iter(events))
        )
        paced = source if ping is None else _with_pings(source, ping)
        async for item in paced:
            yield item if item is PING else _encoded(item)


async def _next(iterator: AsyncIterator[Any]) -> Any:
    try:
        return await anext(iterator)
    except StopAsyncIteration:
        return _DONE  # a task cannot end with StopAsyncIteration cleanly


async def _with_pings(events: AsyncIterable[Any], ping: float) -> AsyncIterator[Any]:
    """``events``' items, with :data:`PING` after each ``ping`` seconds of
    silence.

    Waiting for the next item with a timeout must not cancel it (a
    generator cancelled mid-await is broken), so each step runs in a task
    that is waited on, not waited for; the steps share one context, so the
    iterable sees its own context changes from one item to the next.
    """
    iterator = aiter(events)
    try:
        loop = asyncio.get_running_loop()
    except RuntimeError:  # not asyncio (trio): no heartbeats
        async for item in iterator:
            yield item
        return
    context = contextvars.copy_context()
    step: asyncio.Task[Any] | None = None
    try:
        while True:
            if step is None:
                step = loop.create_task(_next(iterator), context=context)
            done, _ = await asyncio.wait((step,), timeout=ping)
            if not done:
                yield PING
                continue
            item, step = step.result(), None
            if item is _DONE:
                return
            yield item
    finally:
        if step is not None:
            # The client left (or the stream was closed) while the
            # iterable was producing: its clean-up runs where it waited.
            step.cancel()
            await asyncio.wait((step,))
            if not step.cancelled():
                step.exception()  # retrieved: it was the iterable's to log
        aclose = getattr(iterator, "aclose", None)
        if aclose is not None:
            await aclose()


def last_event_id(param: str = "last_event_id") -> str | None:
    """The id of the last event the client has, or ``None``: the
    ``Last-Event-ID`` header (an ``EventSource`` reconnecting sends it),
    else the query parameter ``param`` (a page's first connection, or a
    websocket, whose browser API sends no such header). Read in a request
    or a websocket."""
    connection: Any = websocket if has_websocket_context() else request
    value = connection.headers.get("Last-Event-ID") or connection.args.get(param)
    return value or None
