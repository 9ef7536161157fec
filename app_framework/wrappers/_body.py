"""Quart's request ``Body``: a body filled by whoever holds it.

``Body(expected_content_length, max_content_length)`` collects chunks
given with :meth:`Body.append` until :meth:`Body.set_complete`; the reader
awaits the whole (``await body``) or iterates the chunks as they come
(``async for chunk in body``). A ``Request`` built from Quart's parts
without ``receive=`` reads its body from one (``request.body.append(...)``
then ``request.body.set_complete()``), as Quart's server side fills it.
"""

from __future__ import annotations

import asyncio
from collections import deque
from collections.abc import AsyncIterator, Generator
from typing import Any

from ..exceptions import RequestEntityTooLarge

__all__ = ["Body"]


class Body:
    """A request body given in chunks.

    :param expected_content_length: The announced length (or None); over
        ``max_content_length``, reading is refused at once.
    :param max_content_length: The most bytes it takes (None: no cap);
        past it, reading raises :class:`RequestEntityTooLarge` (a 413).
    """

    def __init__(
        self, expected_content_length: int | None, max_content_length: int | None
    ) -> None:
        self.expected_content_length = expected_content_length
        self.max_content_length = max_content_length
        self._chunks: deque[bytes] = deque()
        self._received = 0
        self._complete = False
        self._arrived = asyncio.Event()
        self.fed = False
        """Whether anything was appended, or the body declared complete."""

    def append(self, data: bytes) -> None:
        """Add the next chunk.

        :raises RuntimeError: after :meth:`set_complete`.
        """
        if self._complete:
            raise RuntimeError("the body is complete: append() before set_complete()")
        self.fed = True
        self._received += len(data)
        if data:
            self._chunks.append(bytes(data))
        self._arrived.set()

    def set_complete(self) -> None:
        """Say that no more chunks come: readers get the end."""
        self.fed = True
        self._complete = True
        self._arrived.set()

    def set_result(self, data: bytes) -> None:
        """The whole body at once: :meth:`append` then :meth:`set_complete`
        (Quart's name)."""
        self.append(data)
        self.set_complete()

    def _over_limit(self) -> bool:
        limit = self.max_content_length
        if limit is None:
            return False
        announced = self.expected_content_length
        return self._received > limit or (announced is not None and announced > limit)

    async def next_chunk(self) -> bytes | None:
        """The next chunk, waiting for it; None at the end. A chunk read is
        gone: a second reader gets what is left.

        :raises RequestEntityTooLarge: more than ``max_content_length``.
        """
        while True:
            if self._over_limit():
                raise RequestEntityTooLarge(
                    f"The request body is larger than the limit of "
                    f"{self.max_content_length} bytes."
                )
            if self._chunks:
                return self._chunks.popleft()
            if self._complete:
                return None
            self._arrived.clear()
            await self._arrived.wait()

    async def receive(self) -> dict[str, Any]:
        """The body as ASGI ``http.request`` messages (a ``receive``)."""
        chunk = await self.next_chunk()
        return {"type": "http.request", "body": chunk or b"", "more_body": bool(chunk)}

    async def __aiter__(self) -> AsyncIterator[bytes]:
        while (chunk := await self.next_chunk()) is not None:
            yield chunk

    async def _whole(self) -> bytes:
        return b"".join([chunk async for chunk in self])

    def __await__(self) -> Generator[Any, None, bytes]:
        return self._whole().__await__()

    def __call__(self) -> Body:
        """``await body()``: Starlette's spelling."""
        return self
