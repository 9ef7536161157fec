"""Websocket messages under a real uvicorn: a message over the limit is
refused with 1009 before it is read into memory."""

from __future__ import annotations

import asyncio

import pytest
from websockets.asyncio.client import connect
from websockets.exceptions import ConnectionClosed

from tests.helpers.servers import app_framework_run

TARGET = "tests.app_framework.apps.ws_flood_app:app"


async def test_app_framework_run_refuses_a_message_over_the_limit_with_1009() -> None:
    # `app-framework run` hands MAX_WEBSOCKET_MESSAGE_SIZE to uvicorn as
    # ws_max_size: the server refuses the message (its reason, not the
    # framework's) before it is read into memory, and the framework logs it.
    env = {"APP_MAX_WEBSOCKET_MESSAGE_SIZE": "65536"}
    with app_framework_run(TARGET, env=env) as server:
        async with connect(f"{server.ws_url}/slow", compression=None) as ws:
            await ws.send(b"s" * 65536)  # at the limit: served
            assert await ws.recv() == "1"
            with pytest.raises(ConnectionClosed) as closed:
                await ws.send(b"b" * 65537)
                await asyncio.wait_for(ws.recv(), 10)
        rcvd = closed.value.rcvd
        assert rcvd is not None and rcvd.code == 1009
        assert "exceeds limit of 65536 bytes" in rcvd.reason
        logged = "The websocket /slow was closed with 1009: frame with 65537 bytes"
        await asyncio.to_thread(server.wait_for_output, logged)
    assert "Traceback" not in server.text
