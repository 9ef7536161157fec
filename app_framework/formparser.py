"""Form bodies, parsed as they stream in, with Flask 3.1's limits.

``application/x-www-form-urlencoded`` and ``multipart/form-data`` become
two werkzeug multi-dicts: the fields and the files. Multipart is decoded
with werkzeug's sans-IO decoder chunk by chunk, so an upload is never held
whole in memory (files over 500 KB spool to a temporary file, as in
werkzeug). Limits:

* ``max_form_memory_size`` (``MAX_FORM_MEMORY_SIZE``): the most bytes a
  non-file field, or a whole urlencoded body, may hold; more is a 413.
* ``max_form_parts`` (``MAX_FORM_PARTS``): the most fields and files; more
  is a 413.
* A malformed body (no boundary, a broken part) is a 400 naming the problem.
"""

from __future__ import annotations

from collections.abc import AsyncIterable, AsyncIterator, Callable
from typing import IO, Any
from urllib.parse import parse_qsl

from werkzeug.datastructures import Headers
from werkzeug.formparser import default_stream_factory
from werkzeug.http import parse_options_header
from werkzeug.sansio.multipart import (
    Data,
    Epilogue,
    Field,
    File,
    MultipartDecoder,
    NeedData,
)

from ._values import ReadyMultiDict
from .datastructures import FileStorage
from .exceptions import BadRequest, RequestEntityTooLarge

__all__ = ["FORM_MIMETYPES", "FormLimits", "MultiPartParser", "parse_form"]

FORM_MIMETYPES = frozenset(
    {
        "application/x-www-form-urlencoded",
        "application/x-url-encoded",
        "multipart/form-data",
    }
)
"""The content types whose bodies are parsed into ``request.form``."""

_SLICE = 64 * 1024

_CHARSETS = frozenset({"ascii", "us-ascii", "utf-8", "iso-8859-1"})

Parsed = tuple[ReadyMultiDict, ReadyMultiDict]


class FormLimits:
    """The limits a form body is parsed under (None: no limit)."""

    # A plain class, not a frozen dataclass: that costs the import of
    # app_framework ~0.7 ms.
    __slots__ = ("max_form_memory_size", "max_form_parts")

    def __init__(
        self,
        max_form_memory_size: int | None = 500_000,
        max_form_parts: int | None = 1_000,
    ) -> None:
        self.max_form_memory_size = max_form_memory_size
        self.max_form_parts = max_form_parts


def empty_form() -> Parsed:
    """No fields and no files."""
    return ReadyMultiDict(), ReadyMultiDict()


async def parse_form(
    chunks: AsyncIterator[bytes],
    mimetype: str,
    options: dict[str, str],
    limits: FormLimits,
) -> Parsed:
    """Parse a form body read from ``chunks``.

    :raises BadRequest: a malformed body.
    :raises RequestEntityTooLarge: a field or the part count over a limit.
    """
    if mimetype == "multipart/form-data":
        boundary = options.get("boundary", "")
        if not boundary:
            raise BadRequest("The multipart/form-data body has no boundary.")
        return await _parse_multipart(chunks, boundary.encode("latin-1"), limits)
    if mimetype in FORM_MIMETYPES:
        return await _parse_urlencoded(chunks, limits)
    return empty_form()


class MultiPartParser:
    """Quart's multipart parser, over this module's: ``await
    MultiPartParser(max_form_memory_size=...).parse(body, boundary,
    content_length)`` gives ``(fields, files)`` with the limits above, and
    ``max_content_length`` bounds the whole body (413 past it).
    ``buffer_size`` is the most bytes handed to the decoder at a time."""

    def __init__(
        self,
        *,
        buffer_size: int = _SLICE,
        max_content_length: int | None = None,
        max_form_memory_size: int | None = None,
        max_form_parts: int | None = None,
    ) -> None:
        self.buffer_size = buffer_size
        self.max_content_length = max_content_length
        self.limits = FormLimits(max_form_memory_size, max_form_parts)

    async def parse(
        self, body: AsyncIterable[bytes], boundary: bytes, content_length: int
    ) -> Parsed:
        """The fields and files of the multipart ``body``.

        :raises BadRequest: a malformed body.
        :raises RequestEntityTooLarge: over a limit.
        """
        return await _parse_multipart(self._slices(body), boundary, self.limits)

    async def _slices(self, body: AsyncIterable[bytes]) -> AsyncIterator[bytes]:
        size, limit, seen = self.buffer_size, self.max_content_length, 0
        async for chunk in body:
            seen += len(chunk)
            if limit is not None and seen > limit:
                raise RequestEntityTooLarge(
                    f"The request body is larger than the limit of {limit} bytes."
                )
            for start in range(0, len(chunk), size):
                yield chunk[start : start + size]


async def _parse_urlencoded(chunks: AsyncIterator[bytes], limits: FormLimits) -> Parsed:
    limit = limits.max_form_memory_size
    body = bytearray()
    async for chunk in chunks:
        body += chunk
        if limit is not None and len(body) > limit:
            raise RequestEntityTooLarge(
                f"The form body is larger than MAX_FORM_MEMORY_SIZE ({limit} bytes)."
            )
    try:
        items = parse_qsl(
            # Clients percent-encode; raw non-UTF-8 bytes are replaced, not a 500.
            body.decode("utf-8", "replace"),
            keep_blank_values=True,
            errors="werkzeug.url_quote",
            max_num_fields=limits.max_form_parts,
        )
    except ValueError:
        raise _too_many_parts(limits) from None
    return ReadyMultiDict(items), ReadyMultiDict()


def _too_many_parts(limits: FormLimits) -> RequestEntityTooLarge:
    return RequestEntityTooLarge(
        f"The form has more than MAX_FORM_PARTS ({limits.max_form_parts}) parts."
    )


class _Part:
    """The part being read: a field's text so far, or a file's storage."""

    def __init__(self, event: Field | File) -> None:
        self.event = event
        self.size = 0
        self.chunks: list[bytes] = []
        self.file: IO[bytes] | None = None
        if isinstance(event, File):
            self.file = default_stream_factory(None, None, event.filename, None)
        self.write: Callable[[bytes], Any] = (
            self.file.write if self.file is not None else self.chunks.append
        )

    def finish(self, fields: list[Any], files: list[Any]) -> None:
        event = self.event
        if self.file is None:
            charset = _part_charset(event.headers)
            text = b"".join(self.chunks).decode(charset, "replace")
            fields.append((event.name, text))
            return
        self.file.seek(0)
        assert isinstance(event, File)
        files.append(
            (
                event.name,
                FileStorage(
                    self.file, event.filename, event.name, headers=event.headers
                ),
            )
        )


def _part_charset(headers: Headers) -> str:
    content_type = headers.get("content-type")
    if content_type:
        charset = parse_options_header(content_type)[1].get("charset", "").lower()
        if charset in _CHARSETS:
            return charset
    return "utf-8"


async def _parse_multipart(
    chunks: AsyncIterator[bytes], boundary: bytes, limits: FormLimits
) -> Parsed:
    memory = limits.max_form_memory_size
    decoder = MultipartDecoder(boundary, memory)
    # The decoder refuses any single piece of data larger than the memory
    # limit, whatever the part, so it is fed in slices no larger than that.
    size = min(_SLICE, memory) if memory else _SLICE
    state = _State(limits)
    try:
        async for chunk in chunks:
            for start in range(0, len(chunk), size):
                decoder.receive_data(chunk[start : start + size])
                state.drain(decoder)
        if not state.done:
            decoder.receive_data(None)
            state.drain(decoder)
        if not state.done:
            raise BadRequest("The multipart/form-data body ended before its last part.")
    except BaseException as exc:
        state.close()  # the temporary files of a body that will not be used
        if isinstance(exc, ValueError):
            raise BadRequest(
                f"The multipart/form-data body is malformed: {exc}"
            ) from None
        if (
            isinstance(exc, RequestEntityTooLarge)
            and exc.description == RequestEntityTooLarge.description
            and memory is not None
        ):
            # werkzeug's decoder also bounds what it buffers (part headers);
            # its error has werkzeug's general text: say which limit it was.
            raise RequestEntityTooLarge(
                "A part of the form is larger than MAX_FORM_MEMORY_SIZE "
                f"({memory} bytes)."
            ) from None
        raise
    return ReadyMultiDict(state.fields), ReadyMultiDict(state.files)


class _State:
    """What a multipart parse has collected so far."""

    def __init__(self, limits: FormLimits) -> None:
        self.limits = limits
        self.fields: list[Any] = []
        self.files: list[Any] = []
        self.part: _Part | None = None
        self.count = 0
        self.done = False

    def close(self) -> None:
        """Close every file opened so far."""
        for _, storage in self.files:
            storage.close()
        if self.part is not None and self.part.file is not None:
            self.part.file.close()

    def drain(self, decoder: MultipartDecoder) -> None:
        """Handle every event the decoder has ready."""
        limits = self.limits
        while not self.done:
            event = decoder.next_event()
            if isinstance(event, NeedData):
                return
            if isinstance(event, Epilogue):
                self.done = True
            elif isinstance(event, Field | File):
                if not event.name:
                    raise BadRequest(
                        "A multipart/form-data part has no name in its "
                        "Content-Disposition header."
                    )
                self.count += 1
                if limits.max_form_parts is not None and (
                    self.count > limits.max_form_parts
                ):
                    raise _too_many_parts(limits)
                self.part = _Part(event)
            elif isinstance(event, Data) and self.part is not None:
                self._data(self.part, event)

    def _data(self, part: _Part, event: Data) -> None:
        part.size += len(event.data)
        limit = self.limits.max_form_memory_size
        if part.file is None and limit is not None and part.size > limit:
            raise RequestEntityTooLarge(
                f"Form field {part.event.name!r} is larger than "
                f"MAX_FORM_MEMORY_SIZE ({limit} bytes)."
            )
        part.write(event.data)
        if not event.more_data:
            part.finish(self.fields, self.files)
            self.part = None
