"""The OpenTelemetry integration under a real uvicorn: a streamed response's
span ends after its last chunk, the caller's traceparent is honoured, and a
shared signal delivered in another worker runs under a span linked to the
sender's (two uvicorn workers, a real Redis)."""

from __future__ import annotations

import asyncio
import re
import time

import httpx
import redis as sync_redis

from tests.helpers.redis_server import redis_server
from tests.helpers.servers import Server, uvicorn

TRACE_ID = "0af7651916cd43dd8448eb211c80319c"
CALLER_SPAN = "b7ad6b7169203331"
TRACEPARENT = f"00-{TRACE_ID}-{CALLER_SPAN}-01"
_SPAN = re.compile(
    r"SPAN pid=(?P<pid>\d+) name='(?P<name>[^']*)' trace=(?P<trace>\w+) "
    r"span=(?P<span>\w+) parent=(?P<parent>[\w-]+) links=(?P<links>\S+) "
    r"end=(?P<end>\d+)"
)


def spans(server: Server) -> list[dict[str, str]]:
    return [m.groupdict() for m in _SPAN.finditer(server.text)]


async def printed(server: Server, text: str) -> None:
    await asyncio.to_thread(server.wait_for_output, text, 10)


async def test_a_streamed_responses_span_ends_after_its_last_chunk() -> None:
    with uvicorn("tests.app_framework.apps.otel_app:app") as server:
        async with httpx.AsyncClient(base_url=server.url) as client:
            async with client.stream(
                "GET", "/stream", headers={"traceparent": TRACEPARENT}
            ) as response:
                body = b"".join([chunk async for chunk in response.aiter_bytes()])
        assert body == b"chunk 0\nchunk 1\nchunk 2\n"
        await printed(server, "name='GET /stream'")
        last_chunk = int(re.search(r"LAST CHUNK SENT (\d+)", server.text)[1])  # type: ignore[index]
        [span] = [s for s in spans(server) if s["name"] == "GET /stream"]
    assert span["trace"] == TRACE_ID
    assert span["parent"] == CALLER_SPAN
    assert int(span["end"]) > last_chunk


def test_a_shared_signal_delivered_in_another_worker_is_linked_to_the_sender() -> None:
    with redis_server() as redis:
        env = {"APP_SIGNAL_RELAY_URL": redis.url}
        target = "tests.app_framework.apps.otel_app:app"
        with uvicorn(target, "--workers", "2", env=env) as server:
            store = sync_redis.Redis.from_url(redis.url)
            try:
                channel = "app_framework:tests.app_framework.apps.otel_app"
                deadline = time.monotonic() + 30
                while store.pubsub_numsub(channel)[0][1] < 2:
                    assert time.monotonic() < deadline, server.text
                    time.sleep(0.05)
            finally:
                store.close()
            headers = {"traceparent": TRACEPARENT}
            assert httpx.get(f"{server.url}/say/hello", headers=headers).text == "said"
            server.wait_for_output("name='process otel-said'")
            server.wait_for_output("name='GET /say/<text>'")
            found = spans(server)
    [request] = [s for s in found if s["name"] == "GET /say/<text>"]
    [delivery] = [s for s in found if s["name"] == "process otel-said"]
    assert delivery["pid"] != request["pid"]  # the other worker
    # Linked to the span that sent it: the view, in the request's trace.
    [view] = [s for s in found if s["name"] == "view say"]
    assert view["parent"] == request["span"] and view["trace"] == TRACE_ID
    assert delivery["links"] == f"{TRACE_ID}:{view['span']}"
    assert delivery["parent"] == "-" and delivery["trace"] != TRACE_ID
    # The receiver ran under the delivery's span, in that worker.
    receivers = [
        s
        for s in found
        if s["name"].startswith("receiver otel-said") and s["pid"] == delivery["pid"]
    ]
    assert [s["parent"] for s in receivers] == [delivery["span"]]
