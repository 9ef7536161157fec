"""Quart's response body wrappers: ``DataBody``, ``IterableBody``,
``FileBody`` and ``IOBody``.

Each is an async context manager whose entered value is an async iterable
of ``bytes``::

    async with FileBody(path) as body:
        async for chunk in body:
            ...

Code written for Quart builds them to stream a body; a :class:`Response`
given one as its body enters it when sending (a file is opened then, not
when the response is made) and leaves it when the body is sent or the
client has gone.
"""

from __future__ import annotations

import os
from collections.abc import AsyncIterable, AsyncIterator, Iterable
from io import BytesIO
from types import TracebackType
from typing import Any

import anyio
from starlette.concurrency import iterate_in_threadpool

__all__ = ["DataBody", "FileBody", "IOBody", "IterableBody", "ResponseBody"]

DEFAULT_BUFFER_SIZE = 8192


class ResponseBody:
    """The base of the body wrappers: ``async with body as chunks`` gives
    an async iterable of ``bytes``; leaving releases what it holds."""

    async def __aenter__(self) -> AsyncIterable[bytes]:
        raise NotImplementedError(f"{type(self).__name__} must define __aenter__")

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        return None


class DataBody(ResponseBody):
    """Bytes already in memory, given as one chunk."""

    def __init__(self, data: bytes) -> None:
        self.data = data

    async def __aenter__(self) -> DataBody:
        return self

    async def __aiter__(self) -> AsyncIterator[bytes]:
        yield self.data


class IterableBody(ResponseBody):
    """Chunks from an iterable or an async iterable. A plain iterable is
    advanced in a worker thread (it may block); an async generator is
    closed on leaving, however the sending ended."""

    def __init__(self, iterable: Iterable[Any] | AsyncIterable[Any]) -> None:
        self.iterator: AsyncIterator[Any]
        if isinstance(iterable, AsyncIterable):
            self.iterator = aiter(iterable)
        else:
            self.iterator = iterate_in_threadpool(iter(iterable))

    async def __aenter__(self) -> IterableBody:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        aclose = getattr(self.iterator, "aclose", None)
        if aclose is not None:
            await aclose()

    def __aiter__(self) -> AsyncIterator[Any]:
        return self.iterator


class FileBody(ResponseBody):
    """A file on disk, read ``buffer_size`` bytes at a time off the event
    loop; opened on entering, closed on leaving."""

    def __init__(
        self, file_path: str | os.PathLike[str], *, buffer_size: int | None = None
    ) -> None:
        from pathlib import Path  # here: only Quart's file bodies use it

        self.file_path = Path(file_path)
        self.size = self.file_path.stat().st_size
        self.buffer_size = buffer_size or DEFAULT_BUFFER_SIZE
        self._file: anyio.AsyncFile[bytes] | None = None

    async def __aenter__(self) -> FileBody:
        self._file = await anyio.open_file(self.file_path, "rb")
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        file, self._file = self._file, None
        if file is not None:
            await file.aclose()

    async def __aiter__(self) -> AsyncIterator[bytes]:
        if self._file is None:
            raise RuntimeError("a FileBody is read inside 'async with body as chunks:'")
        while chunk := await self._file.read(self.buffer_size):
            yield chunk


class IOBody(ResponseBody):
    """An in-memory binary stream (``BytesIO``), from its start,
    ``buffer_size`` bytes at a time."""

    def __init__(self, io_stream: BytesIO, *, buffer_size: int | None = None) -> None:
        self.io_stream = io_stream
        self.buffer_size = buffer_size or DEFAULT_BUFFER_SIZE

    async def __aenter__(self) -> IOBody:
        self.io_stream.seek(0)
        return self

    async def __aiter__(self) -> AsyncIterator[bytes]:
        while chunk := self.io_stream.read(self.buffer_size):
            yield chunk
