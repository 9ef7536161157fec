"""app_framework.contrib.sentry, read back through sentry-sdk's own event
capture: a transport that keeps the envelopes the client would send."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from typing import Any

import pytest
import sentry_sdk
from sentry_sdk.envelope import Envelope
from sentry_sdk.transport import Transport

from app_framework import App
from app_framework.contrib.sentry import init_app


class KeptEnvelopes(Transport):
    def __init__(self, options: dict[str, Any] | None = None) -> None:
        super().__init__(options)
        self.envelopes: list[Envelope] = []

    def capture_envelope(self, envelope: Envelope) -> None:
        self.envelopes.append(envelope)

    def items(self, kind: str) -> list[dict[str, Any]]:
        return [
            item.payload.json
            for envelope in self.envelopes
            for item in envelope.items
            if item.type == kind and item.payload.json is not None
        ]


@pytest.fixture
def sent() -> Iterator[KeptEnvelopes]:
    transport = KeptEnvelopes()
    sentry_sdk.init(
        dsn="https://key@sentry.invalid/42",
        transport=transport,
        traces_sample_rate=1.0,
        default_integrations=False,
    )
    yield transport
    sentry_sdk.get_client().close()
    sentry_sdk.init()  # an inactive client again


@pytest.fixture
def bakery(sent: KeptEnvelopes) -> Iterator[App]:
    app = App("bakery")

    @app.route("/loaves/<int:loaf>")
    async def bake(loaf: int) -> str:
        sentry_sdk.set_user({"id": "baker-7"})
        if loaf == 0:
            raise ZeroDivisionError("no loaves")
        return "baked"

    integration = init_app(app)
    yield app
    integration.close()


async def test_an_unhandled_error_is_an_event_with_request_data_and_user(
    bakery: App, sent: KeptEnvelopes
) -> None:
    client = bakery.test_client()
    response = await client.get(
        "/loaves/0?fresh=1",
        headers={"Authorization": "Bearer s3cret", "X-Trace-Me": "yes"},
    )
    assert response.status_code == 500
    [event] = sent.items("event")
    [exception] = event["exception"]["values"]
    assert exception["type"] == "ZeroDivisionError"
    assert exception["mechanism"] == {"type": "app_framework", "handled": False}
    request = event["request"]
    assert request["method"] == "GET"
    assert request["url"] == "http://localhost/loaves/0"
    assert request["query_string"] == "fresh=1"
    assert request["headers"]["X-Trace-Me"] == "yes"
    assert request["headers"]["Authorization"] != "Bearer s3cret"  # filtered
    assert "env" not in request  # no client address without send_default_pii
    assert event["user"] == {"id": "baker-7"}
    assert event["transaction"] == "GET /loaves/<int:loaf>"


async def test_the_user_of_one_request_stays_with_it(
    bakery: App, sent: KeptEnvelopes
) -> None:
    @bakery.route("/anonymous")
    async def anonymous() -> str:
        raise KeyError("who")

    client = bakery.test_client()
    await client.get("/loaves/3")  # sets a user, no error
    await client.get("/anonymous")
    [event] = sent.items("event")
    assert "user" not in event


async def test_each_request_is_a_transaction_continuing_the_callers_trace(
    bakery: App, sent: KeptEnvelopes
) -> None:
    trace_id = "771a43a4192642f0b136d5159a501700"
    await bakery.test_client().get(
        "/loaves/2", headers={"sentry-trace": f"{trace_id}-b2bd3f0d4a5d7c1e-1"}
    )
    [transaction] = sent.items("transaction")
    assert transaction["transaction"] == "GET /loaves/<int:loaf>"
    trace = transaction["contexts"]["trace"]
    assert trace["op"] == "http.server"
    assert trace["trace_id"] == trace_id
    assert trace["parent_span_id"] == "b2bd3f0d4a5d7c1e"
    assert trace["data"]["http.response.status_code"] == 200


async def test_background_and_websocket_errors_are_reported(
    bakery: App, sent: KeptEnvelopes
) -> None:
    async def rise() -> None:
        raise RuntimeError("dough did not rise")

    @bakery.websocket("/oven")
    async def oven() -> None:
        raise ValueError("oven too hot")

    @bakery.route("/later")
    async def later() -> str:
        bakery.add_background_task(rise)
        return "queued"

    client = bakery.test_client()
    await client.get("/later")
    await bakery.background.wait(5)
    with pytest.raises(Exception):  # noqa: B017 - the socket is closed with 1011
        async with client.websocket("/oven") as ws:
            await asyncio.wait_for(ws.receive(), 5)
    kinds = sorted(e["exception"]["values"][-1]["type"] for e in sent.items("event"))
    assert kinds == ["RuntimeError", "ValueError"]
    [websocket_event] = [
        e
        for e in sent.items("event")
        if e["exception"]["values"][-1]["type"] == "ValueError"
    ]
    assert websocket_event["request"]["url"].endswith("/oven")


async def test_init_app_twice_is_refused(bakery: App) -> None:
    with pytest.raises(RuntimeError, match="reports to Sentry already"):
        init_app(bakery)
