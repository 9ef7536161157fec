"""Durable shared signals: what the relay keeps in Redis Streams.

A durable signal's messages go to one stream per signal, written by a Lua
script that gives each entry the id ``<ms>-<ordinal>``: the time it was
written and the stream's own count of entries (1, 2, ...). A reader that
sees ordinal 12 after ordinal 9 knows retention trimmed 2 entries it never
read, without asking Redis. The script also keeps, per sending process, the
last sequence number it wrote, so a batch retried after a timeout (Redis
frozen with the first try in its socket buffer) is never written twice.

:class:`Follower` reads a stream for one consumer (a reconnecting browser):
the retained entries after an id, then the live ones the relay's reader
hands it, with no duplicate and no gap at the switch.
"""

from __future__ import annotations

import asyncio
import re
from collections import deque
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .relay import Relay, SharedSignal

__all__ = ["XADD_SCRIPT", "Follower", "Message", "parse_id"]

# KEYS: the stream, its meta hash (the last ordinal), the origin's last
# written sequence. ARGV: MAXLEN, MINID ms (0: none), the sequence key's TTL,
# then (sequence, data) pairs. Ids stay above the stream's top entry, even
# if the clock stepped back or someone else wrote to the stream.
XADD_SCRIPT = """
local last = tonumber(redis.call('GET', KEYS[3]) or '0')
local n = tonumber(redis.call('HGET', KEYS[2], 'n') or '0')
local now = redis.call('TIME')
local ms = tonumber(now[1]) * 1000 + math.floor(tonumber(now[2]) / 1000)
local top = redis.call('XREVRANGE', KEYS[1], '+', '-', 'COUNT', 1)[1]
if top then
  local top_ms, top_n = string.match(top[1], '(%d+)-(%d+)')
  top_ms, top_n = tonumber(top_ms), tonumber(top_n)
  if ms < top_ms or (ms == top_ms and n + 1 <= top_n) then
    ms = top_ms + 1
  end
end
local written = 0
for i = 4, #ARGV, 2 do
  local seq = tonumber(ARGV[i])
  if seq > last then
    n = n + 1
    local id = string.format('%d-%d', ms, n)
    redis.call('XADD', KEYS[1], 'MAXLEN', '~', ARGV[1], id, 'd', ARGV[i + 1])
    last = seq
    written = written + 1
  end
end
if tonumber(ARGV[2]) > 0 then
  redis.call('XTRIM', KEYS[1], 'MINID', '~', ARGV[2])
end
redis.call('HSET', KEYS[2], 'n', n)
redis.call('SET', KEYS[3], last, 'EX', ARGV[3])
return written
"""

_ID = re.compile(r"(\d{1,20})(?:-(\d{1,20}))?")


def parse_id(value: str | bytes) -> tuple[int, int]:
    """``(ms, ordinal)`` of a stream id (``"0"`` is ``(0, 0)``).

    :raises ValueError: ``value`` is not a stream id.
    """
    text = value.decode() if isinstance(value, bytes) else value
    found = _ID.fullmatch(text.strip())
    if found is None:
        raise ValueError(
            f"{text[:60]!r} is not a stream id: pass the id of the last message "
            "the client had (as '<ms>-<n>', e.g. '1765056000123-42'), '0' for "
            "everything retained, or None for live messages only"
        )
    return int(found[1]), int(found[2] or 0)


@dataclass(frozen=True, slots=True)
class Message:
    """One message of a durable shared signal, as a follower yields it."""

    id: str
    """The stream id, ``"<ms>-<ordinal>"``: resume after it."""
    signal: str
    origin: str
    """The relay id of the process that sent it."""
    sequence: int
    """The origin's sequence number for this signal (1, 2, ...)."""
    sent_at: float
    sender: Any
    """As receivers get it: the app arrives as this relay's ``local_sender``."""
    kwargs: dict[str, Any]


class Follower:
    """The retained messages of one durable signal after an id, then the
    live ones: ``async for message in relay.follow(signal, after=...)``.

    Registered with the relay for live messages *before* it reads the
    history, so nothing falls between the two; a live message whose id is
    not after the last one yielded is a copy of one already yielded and is
    skipped. A follower whose queue overflows reads the stream again from
    its last id. Use it as ``async with`` (or call :meth:`aclose`) so the
    relay stops queueing for it.
    """

    def __init__(
        self, relay: Relay, shared: SharedSignal, after: str | None, max_queue: int
    ) -> None:
        self._relay, self._shared = relay, shared
        self._live: deque[Message] = deque()
        self._ready = asyncio.Event()
        self._max_queue = max_queue
        self._overflowed = False
        self._history: deque[Message] = deque()
        self._position = None if after is None else parse_id(after)
        self._reading_history = after is not None
        self._asked_everything = self._position == (0, 0)
        self._seen: dict[str, int] = {}  # origin -> last sequence yielded
        self._closed = False
        self.missed = 0
        """Messages after ``after`` that retention had already trimmed."""
        relay._followers.setdefault(shared.stream, set()).add(self)

    def push(self, message: Message) -> None:
        """Queue a live message (called by the relay's reader)."""
        if len(self._live) >= self._max_queue:
            # Too slow a consumer: forget the queue, read the stream again.
            self._live.clear()
            self._overflowed = True
        else:
            self._live.append(message)
        self._ready.set()

    def __aiter__(self) -> AsyncIterator[Message]:
        return self

    async def __anext__(self) -> Message:
        while not self._closed:
            message = await self._next_candidate()
            if message is not None and self._fresh(message):
                return message
        raise StopAsyncIteration

    async def _next_candidate(self) -> Message | None:
        if self._history:
            return self._history.popleft()
        if self._overflowed:
            self._overflowed = False
            self._reading_history = self._position is not None
        if self._reading_history:
            await self._read_history_page()
            return None
        if self._live:
            return self._live.popleft()
        self._ready.clear()
        await self._ready.wait()
        return None

    def _fresh(self, message: Message) -> bool:
        """Whether ``message`` comes after everything yielded (and is not a
        second copy of one, written again after Redis lost an ack)."""
        position = parse_id(message.id)
        if self._position is not None and position <= self._position:
            return False
        self._position = position
        last = self._seen.get(message.origin)
        if last is not None and message.sequence <= last:
            return False
        self._seen[message.origin] = message.sequence
        return True

    async def _read_history_page(self, count: int = 500) -> None:
        assert self._position is not None
        start = "({}-{}".format(*self._position)
        entries = await self._relay._history(self._shared, start, count)
        if not self._history and entries and not self._asked_everything:
            await self._count_trimmed(parse_id(entries[0].id))
        self._asked_everything = False
        self._history.extend(entries)
        if len(entries) < count:
            self._reading_history = False

    async def _count_trimmed(self, first: tuple[int, int]) -> None:
        # Ordinals restart at 1 if Redis restarted without its data: then
        # the first is not past ``after`` and nothing is counted here (the
        # origins' sequence numbers tell what was lost with Redis).
        assert self._position is not None
        after = self._position[1]
        if first[1] > after + 1:
            missed = first[1] - after - 1
            self.missed += missed
            await self._relay._gap(self._shared.signal.name, "replay", missed, None)

    async def aclose(self) -> None:
        """Stop: the relay no longer queues for this follower."""
        self._closed = True
        self._ready.set()
        followers = self._relay._followers.get(self._shared.stream)
        if followers is not None:
            followers.discard(self)

    async def __aenter__(self) -> Follower:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.aclose()
