"""follow(): what a client missed after its last id, then live, once each
and in order. Here without a relay (the process's own log); with a relay
on a real Redis in tests/test_resume_redis.py."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import pytest

from app_framework import (
    App,
    EventStream,
    ServerSentEvent,
    last_event_id,
    request,
    websocket,
)
from app_framework import resume as resume_module
from app_framework.resume import follow
from app_framework.testing import TestClient
from asignals import Namespace


@pytest.fixture
def news(app: App) -> Any:
    signal = Namespace().signal("news")

    @app.route("/feed")
    async def feed() -> Any:
        # Made in the view: a bad id is a 400 before the stream starts.
        messages = follow(signal, after=last_event_id())
        limit = int(request.args.get("limit", "1"))

        async def events() -> AsyncIterator[ServerSentEvent]:
            sent = 0
            async with messages:
                async for message in messages:
                    yield ServerSentEvent(message.kwargs["headline"], id=message.id)
                    sent += 1
                    if sent == limit:
                        return  # a finite stream: the test client reads it whole

        return EventStream(events())

    @app.websocket("/desk/<desk>")
    async def desk(desk: str) -> None:
        messages = follow(
            signal,
            after=last_event_id("since"),
            match=lambda message: message.kwargs["desk"] == desk,
        )
        await websocket.accept()
        async with messages:
            async for message in messages:
                await websocket.send(f"{message.id} {message.kwargs['headline']}")

    return signal


async def text(socket: Any) -> str:
    frame = await socket.receive()
    assert isinstance(frame, str)
    return frame


async def publish(app: App, signal: Any, *headlines: str, desk: str = "world") -> None:
    for headline in headlines:
        await signal.send_async(app, desk=desk, headline=headline)


async def ids_so_far(app: App, signal: Any, count: int) -> list[str]:
    """The ids of the first ``count`` messages retained."""
    async with app.app_context():
        seen: list[str] = []
        async with follow(signal, after="0") as messages:
            async for message in messages:
                seen.append(message.id)
                if len(seen) == count:
                    return seen
    raise AssertionError("unreachable")


async def test_a_reconnecting_event_source_gets_what_followed_its_last_id(
    app: App, client: TestClient, news: Any
) -> None:
    async with app.app_context():
        follow(news)  # the process's log starts with the first follower
    await publish(app, news, "one", "two", "three")
    first, second, third = await ids_so_far(app, news, 3)
    response = await client.get("/feed?limit=2", headers={"Last-Event-ID": first})
    assert response.text == f"data: two\nid: {second}\n\ndata: three\nid: {third}\n\n"
    everything = await client.get("/feed?limit=3&last_event_id=0")
    assert everything.text.count("data: ") == 3


async def test_a_last_event_id_that_is_not_an_id_is_a_400(
    client: TestClient, news: Any
) -> None:
    response = await client.get("/feed", headers={"Last-Event-ID": "1; DROP"})
    assert response.status_code == 400
    assert "is not a message id" in response.text


async def test_a_websocket_resumes_its_desk_only_then_goes_live(
    app: App, client: TestClient, news: Any
) -> None:
    async with client.websocket("/desk/world") as first_visit:
        await publish(app, news, "a", "b")
        last_seen = (await text(first_visit)).split()[0]
        assert (await text(first_visit)).endswith(" b")
    await publish(app, news, "c")
    await publish(app, news, "sport only", desk="sport")
    await publish(app, news, "d")
    async with client.websocket(f"/desk/world?since={last_seen}") as back:
        await publish(app, news, "e")
        heard = [(await text(back)).split()[1] for _ in range(4)]
    assert heard == ["b", "c", "d", "e"]  # each once: no "a", no sport


async def test_what_the_log_no_longer_keeps_is_counted_as_missed(
    app: App, news: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(resume_module, "LOCAL_RETENTION", 3)
    async with app.app_context():
        follow(news)
        await publish(app, news, *"abcdef")  # a, b, c are gone
        following = follow(news, after="0")
        async with following:
            first = await anext(following)
        assert first.kwargs["headline"] == "d"
        assert following.missed == 3
