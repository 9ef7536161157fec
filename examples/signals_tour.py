"""A quick tour of asignals. Run: ``.venv/bin/python -m examples.signals_tour``."""

from __future__ import annotations

import asyncio
from typing import Any

import asignals

ns = asignals.Namespace()
order_placed = ns.signal("order-placed", doc="An order was placed.")


class Shop:
    """A sender: receivers can listen to one shop or to every shop (ANY)."""

    def __init__(self, name: str) -> None:
        self.name = name


corner = Shop("corner")


@order_placed.connect_via(asignals.ANY)
def log_every_order(sender: Shop, **kwargs: Any) -> str:
    print(f"[log] {sender.name}: order {kwargs['order_id']}")
    return "logged"


@order_placed.connect_via(corner)
async def email_corner_owner(sender: Shop, **kwargs: Any) -> str:
    await asyncio.sleep(0)  # stands for real I/O
    print(f"[mail] the corner shop sold order {kwargs['order_id']}")
    return "mailed"


async def main() -> None:
    # Sync and async receivers, in connection order, from async code.
    results = await order_placed.send_async(corner, order_id=1)
    print("results:", [value for _, value in results])

    # Sender filtering: only ANY receivers hear another shop.
    await order_placed.send_async(Shop("kiosk"), order_id=2)

    # A temporary receiver, e.g. in a test.
    seen: list[int] = []

    def spy(sender: Shop, **kwargs: Any) -> None:
        seen.append(kwargs["order_id"])

    with order_placed.connected_to(spy, sender=corner):
        await order_placed.send_async(corner, order_id=3)
    print("spy saw:", seen)

    # Concurrent dispatch: the async receivers run together in a task group.
    await order_placed.send_async(corner, _concurrent=True, order_id=4)

    # Robust sends: a failing receiver is recorded, everyone still runs.
    def flaky(sender: Shop, **kwargs: Any) -> None:
        raise ConnectionError("mail server down")

    with order_placed.connected_to(flaky):
        for receiver, outcome in await order_placed.send_async_robust(
            corner, order_id=5
        ):
            status = "ok" if outcome.ok else f"raised {outcome.error!r}"
            print(f"  {receiver.__name__}: {status}")


if __name__ == "__main__":
    asyncio.run(main())
