"""The client leaving cancels the view wherever it waits; tasks per
connection, not per message; broadcasts survive a dead member."""

from __future__ import annotations

import asyncio
from collections.abc import MutableMapping
from typing import Any

import anyio
import anyio.lowlevel
import pytest
from starlette.websockets import WebSocketDisconnect

from app_framework import App, websocket
from app_framework._test_requests import make_scope
from app_framework.testing import TestClient
from app_framework.wrappers.websocket import WebsocketDisconnected


@pytest.fixture
def record(app: App) -> list[Any]:
    events: list[Any] = []
    app.teardown_websocket(lambda exc: events.append(("teardown", exc)))
    return events


async def test_leaving_cancels_a_view_waiting_in_receive(
    app: App, client: TestClient, record: list[Any]
) -> None:
    @app.websocket("/ws")
    async def view() -> None:
        await websocket.send("ready")
        try:
            await websocket.receive()
        except asyncio.CancelledError:
            await anyio.lowlevel.checkpoint()  # clean-up may await: cancelled once
            record.append("cleaned up")
            raise

    async with client.websocket("/ws") as ws:
        assert await ws.receive() == "ready"
    assert record == ["cleaned up", ("teardown", None)]


async def test_leaving_cancels_a_view_waiting_on_anything(
    app: App, client: TestClient, record: list[Any]
) -> None:
    @app.websocket("/ws")
    async def view() -> None:
        await websocket.send("waiting")
        try:
            await anyio.Event().wait()  # not a websocket call at all
        finally:
            record.append("finally")

    async with client.websocket("/ws") as ws:
        assert await ws.receive() == "waiting"
    assert record == ["finally", ("teardown", None)]


async def _serve_raw(app: App, path: str, send_fails_after: int) -> list[Any]:
    """Serve ``path`` to a client that never says it left, but whose
    connection fails (OSError) after ``send_fails_after`` messages."""
    scope = make_scope("websocket", path, "", {"host": "x"})
    sent: list[Any] = []
    connected = False

    async def receive() -> dict[str, Any]:
        nonlocal connected
        if not connected:
            connected = True
            return {"type": "websocket.connect"}
        await anyio.sleep_forever()
        raise AssertionError("unreachable")

    async def send(message: MutableMapping[str, Any]) -> None:
        if message["type"] == "websocket.send" and len(sent) > send_fails_after:
            raise OSError("connection reset")
        sent.append(dict(message))

    with anyio.fail_after(5):
        await app(scope, receive, send)
    return sent


async def test_leaving_mid_send_ends_the_view(app: App, record: list[Any]) -> None:
    @app.websocket("/flood")
    async def flood() -> None:
        try:
            while True:
                await websocket.send("x" * 1000)
        except asyncio.CancelledError:
            record.append("cancelled in send")
            raise

    sent = await _serve_raw(app, "/flood", send_fails_after=3)
    assert [m["type"] for m in sent] == ["websocket.accept"] + ["websocket.send"] * 3
    assert record == ["cancelled in send", ("teardown", None)]


async def test_a_broadcast_to_a_dead_member_never_ends_the_sender(
    app: App, client: TestClient
) -> None:
    members: dict[str, Any] = {}
    dropped: list[str] = []

    @app.websocket("/room/<name>")
    async def room(name: str) -> None:
        members[name] = websocket._get_current_object()
        try:
            while True:
                text = await websocket.receive()
                shown = text if isinstance(text, str) else text.decode()
                for who, member in list(members.items()):
                    try:
                        await member.send(f"{name}: {shown}")
                    except WebsocketDisconnected:
                        dropped.append(who)
                        members.pop(who, None)
        finally:
            members.pop(name, None)

    async with client.websocket("/room/alice") as alice:
        async with client.websocket("/room/bob") as bob:
            await bob.send("hello")
            assert await alice.receive() == "bob: hello"
            assert await bob.receive() == "bob: hello"
            await bob.abort()  # the socket dies without a close frame
            await alice.send("anyone?")
            assert await alice.receive() == "alice: anyone?"  # alice's view lives on
            await alice.send("again")  # so the first broadcast is over
            assert await alice.receive() == "alice: again"
            assert dropped == ["bob"]
        await alice.send("still here")
        assert await alice.receive() == "alice: still here"


async def test_sending_to_a_connection_that_is_over_raises_disconnected(
    app: App, client: TestClient
) -> None:
    kept: list[Any] = []
    outcome: list[str] = []

    @app.websocket("/keep")
    async def keep() -> None:
        kept.append(websocket._get_current_object())
        await websocket.receive()

    @app.websocket("/tell")
    async def tell() -> None:
        try:
            await kept[0].send("hello?")
        except WebsocketDisconnected as error:
            outcome.append(f"disconnected {error.code}")
        await websocket.send("told")

    async with client.websocket("/keep") as first:
        await first.send("bye")  # the view returns: the connection is over
        with pytest.raises(WebSocketDisconnect):
            await first.receive()
    async with client.websocket("/tell") as second:
        assert await second.receive() == "told"
    assert outcome == ["disconnected 1000"]


async def test_one_task_per_connection_none_per_message(
    app: App, client: TestClient
) -> None:
    @app.websocket("/echo")
    async def echo() -> None:
        while True:
            await websocket.send(await websocket.receive())

    loop = asyncio.get_running_loop()
    made: list[Any] = []
    original = loop.get_task_factory()

    def counting(loop: asyncio.AbstractEventLoop, coro: Any, **kwargs: Any) -> Any:
        made.append(getattr(coro, "__qualname__", coro))
        if original is not None:
            return original(loop, coro, **kwargs)
        return asyncio.Task(coro, loop=loop, **kwargs)

    async def echo_many(count: int) -> int:
        made.clear()
        async with client.websocket("/echo") as ws:
            for number in range(count):
                await ws.send(str(number))
                assert await ws.receive() == str(number)
        return sum("_run" == name.rsplit(".", 1)[-1] for name in made)

    loop.set_task_factory(counting)
    try:
        few, many = await echo_many(2), await echo_many(200)
    finally:
        loop.set_task_factory(original)
    assert few == many == 1  # the view's task: one per connection


async def test_a_server_cancelling_the_request_cancels_the_view(
    app: App, record: list[Any]
) -> None:
    started = anyio.Event()

    @app.websocket("/slow")
    async def slow() -> None:
        await websocket.accept()
        started.set()
        try:
            await anyio.sleep_forever()
        finally:
            record.append("view ended")

    scope = make_scope("websocket", "/slow", "", {"host": "x"})
    inbox = [{"type": "websocket.connect"}]

    async def receive() -> dict[str, Any]:
        if inbox:
            return inbox.pop()
        await anyio.sleep_forever()
        raise AssertionError("unreachable")

    async def send(message: MutableMapping[str, Any]) -> None:
        return None

    async with anyio.create_task_group() as group:
        group.start_soon(app, scope, receive, send)
        await started.wait()
        group.cancel_scope.cancel()
    assert record[0] == "view ended"
    assert len([event for event in record if event[0] == "teardown"]) == 1


async def test_a_view_sending_in_a_loop_still_hears_the_client_leave(
    app: App, record: list[Any]
) -> None:
    """A server's send may never wait; the view must still let the reading
    task see the disconnect (it yields every few sends)."""

    @app.websocket("/flood")
    async def flood() -> None:
        try:
            while True:
                await websocket.send("x")
        except asyncio.CancelledError:
            record.append("cancelled")
            raise

    scope = make_scope("websocket", "/flood", "", {"host": "x"})
    sent = 0
    delivered = False
    flooding = anyio.Event()

    async def receive() -> dict[str, Any]:
        nonlocal delivered
        if not delivered:
            delivered = True
            return {"type": "websocket.connect"}
        await flooding.wait()  # the client leaves once the flood is on
        return {"type": "websocket.disconnect", "code": 1001}

    async def send(message: MutableMapping[str, Any]) -> None:
        nonlocal sent
        sent += 1  # never waits, never fails: the client's leaving is only said
        if sent == 3:
            flooding.set()
        if sent > 1000:  # fail, rather than hang, if the view never yields
            raise AssertionError("the view never let the reading task run")

    with anyio.fail_after(5):
        await app(scope, receive, send)
    assert record == ["cancelled", ("teardown", None)]
    assert sent < 50
