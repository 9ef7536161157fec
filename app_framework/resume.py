"""Resuming a client where it left off: what it missed, then live.

A browser that loses its connection (a train tunnel, a laptop lid, a
deploy) comes back with the id of the last message it got: ``EventSource``
sends it as ``Last-Event-ID`` by itself, a websocket page passes it in its
URL. :func:`follow` turns that id into the messages of a shared signal it
missed, then the new ones as they are sent, each once and in order::

    @app.route("/rooms/<room>/events")
    async def events(room):
        # Here, not in the generator: a bad id is a 400, not a broken stream.
        messages = follow(
            said, after=last_event_id(), match=lambda m: m.kwargs["room"] == room
        )

        async def stream():
            async with messages:  # stops following when the client leaves
                async for m in messages:
                    yield ServerSentEvent(m.kwargs["text"], id=m.id)

        return EventStream(stream())

With the relay on (``SIGNAL_RELAY_URL``), the signal must be shared with
``durable=True``: the messages come from its Redis stream, so a client
resumes on any worker of any machine, from whatever the stream retains.
Without a relay (one process: development, tests) the messages come from a
log kept in the process since the signal was first followed (the last
``LOCAL_RETENTION`` of them), with ids of the same shape.
"""

from __future__ import annotations

import asyncio
import re
import time
from collections import deque
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from types import TracebackType
from typing import TYPE_CHECKING, Any, Protocol

from .exceptions import abort
from .globals import current_app

if TYPE_CHECKING:
    from asignals import NamedSignal

    from .app import App

__all__ = ["FollowedMessage", "Following", "follow", "newest_id"]

LOCAL_RETENTION = 1000
"""Messages a process keeps per followed signal when there is no relay."""
_MESSAGE_ID = re.compile(r"\d{1,20}(?:-\d{1,20})?")
_EXTENSION = "app_framework.follow"


class FollowedMessage(Protocol):
    """What :func:`follow` yields (``asignals.relay.Message`` with the relay)."""

    @property
    def id(self) -> str:
        """The message's id, ``"<milliseconds>-<n>"``: send it to the client."""

    @property
    def signal(self) -> str:
        """The signal's name."""

    @property
    def sender(self) -> Any:
        """The sender, as receivers get it (the app arrives as this app)."""

    @property
    def kwargs(self) -> dict[str, Any]:
        """The send's keyword arguments."""


def _key(message_id: str) -> tuple[int, int]:
    ms, _, n = message_id.partition("-")
    return int(ms), int(n or 0)


def follow(
    signal: NamedSignal,
    *,
    after: str | None = None,
    match: Callable[[Any], bool] | None = None,
) -> Following:
    """The messages of ``signal`` sent after the message ``after``, then
    each new one as it is sent; those for which ``match(message)`` is true
    (all without ``match``). ``after=None`` is live only; ``"0"`` is
    everything retained.

    Iterate it (an :class:`EventStream` closes it when the client leaves),
    or use it as ``async with follow(...) as messages:`` in a websocket.
    Call it in a request or websocket, after the app has started.

    :raises HTTPException: 400 when ``after`` (the client's) is not a
        message id.
    :raises TypeError: the relay is on but ``signal`` is not shared with
        ``durable=True``.
    """
    if after is not None and not _MESSAGE_ID.fullmatch(after):
        abort(
            400,
            f"the last event id {after[:40]!r} is not a message id (digits, a "
            "dash, digits): reconnect without it to follow from now on",
        )
    app: App = current_app._get_current_object()
    relay = app.relay
    if relay is not None:
        return Following(relay.follow(signal, after=after), match)
    return Following(_local_stream(app, signal).follower(after), match)


async def newest_id(signal: NamedSignal) -> str | None:
    """The id of the newest message of ``signal`` (``"0-0"``: none yet), to
    give a client that has heard nothing so far: when it reconnects with
    it (as ``after``), it gets everything sent since, instead of resuming
    live only. Render it into a page, as the chat example does::

        @app.route("/chat/<room>")
        async def page(room):
            return await render_template("chat.html", last_id=await newest_id(said))

    ``None`` when the relay cannot reach Redis now: the client then starts
    live, as without an id. Call it in a request or websocket, after the
    app has started.

    :raises TypeError: the relay is on but ``signal`` is not shared with
        ``durable=True``.
    """
    app: App = current_app._get_current_object()
    relay = app.relay
    if relay is not None:
        return await relay.newest_id(signal)
    return _local_stream(app, signal).newest_id


class Following:
    """The messages :func:`follow` gives: an async iterator and an async
    context manager (leaving it stops following)."""

    def __init__(self, source: Any, match: Callable[[Any], bool] | None) -> None:
        self._source = source
        self._match = match
        self._iterator: AsyncIterator[Any] | None = None
        self._entered = False

    @property
    def missed(self) -> int:
        """Messages after ``after`` that were no longer retained (0: none)."""
        return int(getattr(self._source, "missed", 0))

    async def __aenter__(self) -> Following:
        enter = getattr(self._source, "__aenter__", None)
        if enter is not None:
            await enter()
            self._entered = True
        return self

    async def __aexit__(
        self,
        kind: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.aclose()

    def __aiter__(self) -> Following:
        return self

    async def __anext__(self) -> Any:
        if self._iterator is None:
            self._iterator = aiter(self._source)
        while True:
            message = await anext(self._iterator)
            if self._match is None or self._match(message):
                return message

    async def aclose(self) -> None:
        """Stop following (leaving ``async with`` calls it)."""
        iterator, self._iterator = self._iterator, None
        if iterator is not None and iterator is not self._source:
            close = getattr(iterator, "aclose", None)
            if close is not None:
                await close()
        if self._entered:
            self._entered = False
            await self._source.__aexit__(None, None, None)
        elif hasattr(self._source, "aclose"):
            await self._source.aclose()


# -- without a relay: a log in this process ----------------------------------


@dataclass(frozen=True, slots=True)
class LocalMessage:
    """A message of a signal followed without a relay."""

    id: str
    signal: str
    sequence: int
    sent_at: float
    sender: Any
    kwargs: dict[str, Any]


def _local_stream(app: App, signal: NamedSignal) -> _LocalStream:
    streams: dict[str, _LocalStream] = app.extensions.setdefault(_EXTENSION, {})
    stream = streams.get(signal.name)
    if stream is None:
        if app.config.get("SIGNAL_RELAY_URL") and signal in app.shared_signals:
            raise RuntimeError(
                "the signal relay has not started yet: follow a shared signal "
                "from a request or websocket, once the app serves"
            )
        stream = streams[signal.name] = _LocalStream(signal)
    return stream


class _LocalStream:
    """Every send of a signal in this process, numbered like a Redis
    stream (``<ms>-<sequence>``), the last :data:`LOCAL_RETENTION` kept."""

    def __init__(self, signal: NamedSignal) -> None:
        self.name = signal.name
        self.retained: deque[LocalMessage] = deque(maxlen=LOCAL_RETENTION)
        self.sequence = 0
        self._ms = 0
        # Futures, not one asyncio.Event: an app may serve in one event
        # loop after another (tests do), and an Event binds to its first.
        self.waiting: set[asyncio.Future[None]] = set()
        signal.connect(self._record, weak=False)

    def _record(self, sender: Any, **kwargs: Any) -> None:
        self.sequence += 1
        # Never backwards, whatever the clock does: ids only grow.
        self._ms = max(self._ms, int(time.time() * 1000))
        self.retained.append(
            LocalMessage(
                f"{self._ms}-{self.sequence}",
                self.name,
                self.sequence,
                time.time(),
                sender,
                kwargs,
            )
        )
        waiting, self.waiting = self.waiting, set()
        for future in waiting:  # every follower waiting now reads on
            if not future.done() and not future.get_loop().is_closed():
                future.set_result(None)

    async def next_message(self) -> None:
        """Return once a message has been recorded."""
        future = asyncio.get_running_loop().create_future()
        self.waiting.add(future)
        try:
            await future
        finally:
            self.waiting.discard(future)

    @property
    def newest_id(self) -> str:
        """The id of the newest message recorded (``"0-0"``: none yet)."""
        return f"{self._ms}-{self.sequence}"

    def follower(self, after: str | None) -> _LocalFollower:
        return _LocalFollower(self, _key(self.newest_id if after is None else after))


class _LocalFollower:
    """Reads the log after its last id: a slow follower needs no queue of
    its own, and misses only what the log no longer keeps (``missed``)."""

    def __init__(self, stream: _LocalStream, last: tuple[int, int]) -> None:
        self.stream = stream
        self.last = last
        self.missed = 0

    def __aiter__(self) -> AsyncIterator[LocalMessage]:
        return self._messages()

    async def _messages(self) -> AsyncIterator[LocalMessage]:
        while True:
            waiting = [m for m in self.stream.retained if _key(m.id) > self.last]
            if waiting and waiting[0] is self.stream.retained[0]:
                # The log's oldest is new to us: what came before it and
                # after our last id is gone. Sequence numbers count it.
                self.missed += max(0, waiting[0].sequence - self.last[1] - 1)
            for message in waiting:
                self.last = _key(message.id)
                yield message
            if not waiting:
                await self.stream.next_message()
