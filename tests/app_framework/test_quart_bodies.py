"""Quart's response body wrappers (``wrappers.response.DataBody``,
``IterableBody``, ``FileBody``, ``IOBody``): read on their own inside
``async with``, and sent as a response's body."""

from __future__ import annotations

import io
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

from app_framework import App
from app_framework.wrappers.response import (
    DataBody,
    FileBody,
    IOBody,
    IterableBody,
    Response,
    ResponseBody,
)


async def drain(body: ResponseBody) -> list[bytes]:
    async with body as chunks:
        return [chunk async for chunk in chunks]


async def test_each_wrapper_gives_its_chunks(tmp_path: Path) -> None:
    page = tmp_path / "page.bin"
    page.write_bytes(b"0123456789")

    def words() -> Iterator[bytes]:
        yield from (b"red", b"green")

    async def numbers() -> AsyncIterator[bytes]:
        for number in (b"7", b"8", b"9"):
            yield number

    assert await drain(DataBody(b"whole")) == [b"whole"]
    assert await drain(IterableBody(words())) == [b"red", b"green"]
    assert await drain(IterableBody([b"x", b"y"])) == [b"x", b"y"]
    assert await drain(IterableBody(numbers())) == [b"7", b"8", b"9"]
    assert await drain(FileBody(page, buffer_size=4)) == [b"0123", b"4567", b"89"]
    assert FileBody(str(page)).size == 10
    assert await drain(IOBody(io.BytesIO(b"abcde"), buffer_size=2)) == [
        b"ab",
        b"cd",
        b"e",
    ]


async def test_iterable_body_closes_its_generator_on_leaving() -> None:
    finished: list[str] = []

    async def endless() -> AsyncIterator[bytes]:
        try:
            while True:
                yield b"tick"
        finally:
            finished.append("closed")

    async with IterableBody(endless()) as chunks:
        async for chunk in chunks:
            assert chunk == b"tick"
            break
    assert finished == ["closed"]


async def test_a_response_sends_a_wrapped_body(tmp_path: Path) -> None:
    report = tmp_path / "report.txt"
    report.write_bytes(b"line one\nline two\n")
    app = App(__name__)

    @app.route("/report")
    async def send_report() -> Response:
        return Response(FileBody(report, buffer_size=5), mimetype="text/plain")

    @app.route("/memory")
    async def send_memory() -> Response:
        return Response(IOBody(io.BytesIO(b"kept in memory")))

    client = app.test_client()
    sent = await client.get("/report")
    assert sent.status_code == 200
    assert await sent.get_data() == b"line one\nline two\n"
    assert sent.mimetype == "text/plain"
    assert await (await client.get("/memory")).get_data() == b"kept in memory"
    wrapped = Response(DataBody(b"read back"))
    assert wrapped.is_streamed
    assert await wrapped.get_data() == b"read back"
