"""An instrumented app for the tests under a real uvicorn: each finished
span is printed as one line (``SPAN pid=... name=...``), so the test reads
them from the server's output, whichever worker ended them."""

from __future__ import annotations

import os
import time
from collections.abc import AsyncIterator, Sequence
from typing import Any

from opentelemetry.sdk.trace import ReadableSpan, TracerProvider
from opentelemetry.sdk.trace.export import (
    SimpleSpanProcessor,
    SpanExporter,
    SpanExportResult,
)

from app_framework import App
from app_framework.contrib.opentelemetry import instrument_app
from asignals import Namespace


class PrintedSpans(SpanExporter):
    def export(self, spans: Sequence[ReadableSpan]) -> SpanExportResult:
        for span in spans:
            parent = format(span.parent.span_id, "016x") if span.parent else "-"
            links = ",".join(
                f"{link.context.trace_id:032x}:{link.context.span_id:016x}"
                for link in span.links
            )
            print(
                f"SPAN pid={os.getpid()} name={span.name!r} "
                f"trace={span.context.trace_id:032x} span={span.context.span_id:016x} "
                f"parent={parent} links={links or '-'} end={span.end_time}",
                flush=True,
            )
        return SpanExportResult.SUCCESS


app = App(__name__)
app.config.from_prefixed_env()  # APP_SIGNAL_RELAY_URL for the relay test
provider = TracerProvider()
provider.add_span_processor(SimpleSpanProcessor(PrintedSpans()))
instrument_app(app, tracer_provider=provider, receivers=True)

said = Namespace().signal("otel-said")
app.share_signal(said)


@said.connect_via(app)
async def note_said(sender: App, text: str) -> None:
    print(f"HEARD pid={os.getpid()} {text}", flush=True)


@app.route("/stream")
async def stream() -> Any:
    async def chunks() -> AsyncIterator[str]:
        for number in range(3):
            yield f"chunk {number}\n"
        # Runs once the server has sent the last chunk and asks for more.
        print(f"LAST CHUNK SENT {time.time_ns()}", flush=True)

    return app.response_class(chunks(), mimetype="text/plain")


@app.route("/say/<text>")
async def say(text: str) -> str:
    await said.send_async(app, text=text)
    return "said"
