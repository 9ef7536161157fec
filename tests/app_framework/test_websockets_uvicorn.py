"""Websockets under a real uvicorn, driven by the websockets client."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator

import httpx
import pytest
from websockets.asyncio.client import connect
from websockets.exceptions import ConnectionClosed, InvalidStatus

from tests.helpers.servers import Server, uvicorn


@pytest.fixture(scope="module")
def server() -> Iterator[Server]:
    with uvicorn("tests.app_framework.apps.ws_app:app") as running:
        yield running


async def test_a_quart_style_chat_view(server: Server) -> None:
    async with (
        connect(f"{server.ws_url}/chat") as alice,
        connect(f"{server.ws_url}/chat") as bob,
    ):
        await alice.send("hi bob")
        assert await alice.recv() == "echo: hi bob"
        assert await bob.recv() == "echo: hi bob"


async def test_a_client_leaving_mid_send_ends_the_view(server: Server) -> None:
    async with connect(f"{server.ws_url}/flood", max_queue=1) as flooded:
        await flooded.recv()  # the view is sending as fast as it can
        flooded.transport.abort()  # and the client drops the connection
    async with httpx.AsyncClient(timeout=15) as client:
        response = await client.get(f"{server.url}/flood-ended")
    events = response.json()["events"]
    assert ["flood cancelled"] in events
    assert ["teardown", "/flood", "None"] in events  # once, exc=None
    assert events.count(["teardown", "/flood", "None"]) == 1


async def test_a_refused_handshake_is_an_http_response(server: Server) -> None:
    with pytest.raises(InvalidStatus) as refused:
        async with connect(f"{server.ws_url}/private"):
            raise AssertionError("never connected")
    assert refused.value.response.status_code == 401
    assert b"log in first" in refused.value.response.body


async def test_non_utf8_text_closes_with_1007(server: Server) -> None:
    async with connect(f"{server.ws_url}/chat") as ws:
        from websockets.frames import Frame, Opcode

        # A text frame whose payload is not UTF-8, sent as it is.
        ws.protocol.send_frame(Frame(Opcode.TEXT, b"\xff\xfe"))
        ws.send_data()
        with pytest.raises(ConnectionClosed) as closed:
            await asyncio.wait_for(ws.recv(), 10)
    assert closed.value.rcvd is not None and closed.value.rcvd.code == 1007
