"""Quart's request ``Body``: filled with ``append()``/``set_complete()``,
read whole or chunk by chunk, capped; and a ``Request`` built from its
parts reading the body given to ``request.body``."""

from __future__ import annotations

import asyncio

import pytest
from werkzeug.datastructures import Headers

from app_framework import App, request
from app_framework.exceptions import RequestEntityTooLarge
from app_framework.wrappers.request import Body, Request


async def test_awaiting_waits_for_the_last_chunk() -> None:
    body = Body(None, None)

    async def writer() -> None:
        for word in (b"slow ", b"and ", b"steady"):
            body.append(word)
            await asyncio.sleep(0)  # let the reader run between chunks
        body.set_complete()

    task = asyncio.create_task(writer())
    assert await body == b"slow and steady"
    await task


async def test_iterating_gives_chunks_as_they_come_then_nothing_is_left() -> None:
    body = Body(None, None)
    seen: list[bytes] = []
    body.append(b"first")

    async def reader() -> None:
        async for chunk in body:
            seen.append(chunk)
            if chunk == b"first":
                body.append(b"second")
                body.set_complete()

    await asyncio.wait_for(reader(), 2)
    assert seen == [b"first", b"second"]
    assert await body == b""
    with pytest.raises(RuntimeError, match="set_complete"):
        body.append(b"late")


async def test_an_empty_complete_body_yields_nothing() -> None:
    body = Body(0, None)
    body.set_complete()
    assert [chunk async for chunk in body] == []


async def test_more_than_the_limit_is_a_413() -> None:
    body = Body(None, 4)
    body.append(b"12345")
    with pytest.raises(RequestEntityTooLarge):
        await body
    announced = Body(100, 10)
    with pytest.raises(RequestEntityTooLarge):
        await announced


async def test_request_from_parts_reads_what_its_body_was_given() -> None:
    posted = Request(
        "POST",
        "http",
        "/orders",
        b"size=small",
        Headers({"Content-Type": "application/x-www-form-urlencoded"}),
        "",
        "1.1",
        {"type": "http"},
    )
    posted.body.append(b"size=large&")
    posted.body.append(b"colour=blue")
    posted.body.set_complete()
    values = await posted.values
    assert values.getlist("size") == ["small", "large"]
    assert values["colour"] == "blue"
    plain = Request("GET", "http", "/", b"", Headers(), "", "1.1", {"type": "http"})
    assert await plain.get_data() == b""  # no framing, nothing appended: empty


async def test_a_served_request_refuses_append() -> None:
    app = App(__name__)

    @app.post("/echo")
    async def echo() -> str:
        with pytest.raises(RuntimeError, match="built from its parts"):
            request.body.append(b"extra")
        return (await request.body).decode()

    reply = await app.test_client().post("/echo", data=b"from the client")
    assert reply.text == "from the client"
