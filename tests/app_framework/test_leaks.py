"""20,000 requests leave memory flat and nothing pushed."""

from __future__ import annotations

import gc
import sys
from typing import Any

import anyio
import pytest

from app_framework import App, g, has_app_context, session, signals


async def test_20k_requests_keep_memory_flat(
    app: App, monkeypatch: pytest.MonkeyPatch
) -> None:
    app.testing = False
    # pytest keeps every captured log record (with its traceback) in memory,
    # which would look like a leak; the errors still take the logging path.
    monkeypatch.setattr(app.logger, "disabled", True)

    @app.route("/work/<int:n>")
    async def work(n: int) -> dict[str, Any]:
        g.n = n
        session["n"] = n
        if n % 100 == 0:
            raise ValueError("an occasional error")
        return {"n": n}

    async def receiver(sender: App, **kwargs: Any) -> None:
        await anyio.lowlevel.checkpoint()

    async with app.test_client() as client:

        async def batch(start: int, count: int) -> None:
            for n in range(start, start + count):
                response = await client.get(f"/work/{n}")
                if response.status_code != (500 if n % 100 == 0 else 200):
                    raise AssertionError(response.text)

        with (
            signals.request_started.connected_to(receiver, app),
            signals.request_tearing_down.connected_to(receiver, app),
        ):
            await batch(0, 2_000)  # warm-up
            gc.collect()
            # Live allocator blocks: free to count (tracemalloc would triple
            # the run time), and what CPython itself hunts leaks with.
            before = sys.getallocatedblocks()
            await batch(2_000, 18_000)
            gc.collect()
            growth = sys.getallocatedblocks() - before
    assert not has_app_context()
    # 18,000 requests: leaking one object each would add 18,000 blocks.
    assert growth < 2_000, f"{growth} more memory blocks are in use"
