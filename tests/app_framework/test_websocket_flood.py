"""A websocket flood into a slow view: what the server holds is bounded in
bytes (the framework's inbox, uvicorn's limits), and a message over the
limit is refused with 1009 before it is read into memory."""

from __future__ import annotations

import asyncio
from collections.abc import MutableMapping
from typing import Any

import pytest
from websockets.asyncio.client import connect
from websockets.exceptions import ConnectionClosed

from app_framework import App, websocket
from app_framework._test_requests import make_scope
from app_framework.lifecycle.websocket import INBOX_BYTES
from tests.helpers.servers import Server, app_framework_run, uvicorn

TARGET = "tests.app_framework.apps.ws_flood_app:app"
MiB = 1024 * 1024


def memory_mib(server: Server) -> tuple[float, float]:
    """The server's resident memory now and at its peak (VmRSS, VmHWM)."""
    fields: dict[str, float] = {}
    with open(f"/proc/{server.process.pid}/status") as status:
        for line in status:
            name, _, value = line.partition(":")
            if name in ("VmRSS", "VmHWM"):
                fields[name] = int(value.split()[0]) / 1024
    return fields["VmRSS"], fields["VmHWM"]


async def test_a_view_that_is_behind_stops_the_reading_at_a_byte_bound(
    app: App,
) -> None:
    # Messages of 100 kB to a view that has not read any yet: the framework
    # takes from the server only what fits its inbox's bytes, not 64 of them.
    entered = asyncio.Event()
    release = asyncio.Event()

    @app.websocket("/ws")
    async def view() -> None:
        entered.set()
        await release.wait()
        await websocket.receive()

    taken = 0

    async def receive() -> dict[str, Any]:
        nonlocal taken
        taken += 1
        if taken == 1:
            return {"type": "websocket.connect"}
        if taken > 200:
            return {"type": "websocket.disconnect", "code": 1000}
        return {"type": "websocket.receive", "bytes": b"x" * 100_000}

    async def send(message: MutableMapping[str, Any]) -> None:
        pass

    scope = make_scope("websocket", "/ws", "", {"host": "x"})
    serving = asyncio.create_task(app(scope, receive, send))
    # The reader runs until it waits for room before the view's task starts.
    await entered.wait()
    held = taken - 1
    release.set()
    await serving
    assert held == INBOX_BYTES // 100_000 + 1  # 11 messages (1.1 MB), not 64


async def test_a_flood_into_a_slow_view_keeps_the_server_memory_bounded() -> None:
    # 80 messages of 1 MiB into a view taking 10 ms each: the client sends
    # faster than the view reads. The framework's inbox held 64 of them
    # (64 MiB and more); bounded in bytes it holds about 1 MiB.
    with uvicorn(TARGET) as server:
        url = f"{server.ws_url}/slow"
        async with connect(url, compression=None) as ws:
            for _ in range(3):  # the allocator's pools, warm
                await ws.send(b"w" * MiB)
                await ws.recv()
        before, _ = memory_mib(server)
        payload = b"f" * MiB
        async with connect(url, compression=None) as ws:
            for _ in range(80):
                await ws.send(payload)
            async with asyncio.timeout(20):
                while await ws.recv() != "80":
                    pass
        _, peak = memory_mib(server)
    assert peak - before < 24, f"grew by {peak - before:.1f} MiB"


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
