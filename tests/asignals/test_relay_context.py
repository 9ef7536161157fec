"""Context propagators on the signal relay: what one writes at send rides in
the message's "ctx" and is handed back around the delivery elsewhere."""

from __future__ import annotations

import contextlib
import json
from collections.abc import Iterator
from typing import Any

import pytest

from asignals import Namespace
from asignals.relay import Relay, add_propagator, remove_propagator


class Baton:
    """Passes the name of the current 'trace' along."""

    def __init__(self) -> None:
        self.current = "trace-17"
        self.during: list[tuple[str, dict[str, str]]] = []

    def inject(self, signal: str, carrier: dict[str, str]) -> None:
        carrier["baton"] = self.current

    @contextlib.contextmanager
    def delivering(self, signal: str, carrier: dict[str, str]) -> Iterator[None]:
        self.during.append((signal, dict(carrier)))
        yield


@pytest.fixture
def baton() -> Iterator[Baton]:
    propagator = Baton()
    add_propagator(propagator)
    yield propagator
    remove_propagator(propagator)


def two_relays() -> tuple[Relay, Relay, Any]:
    said = Namespace().signal("ctx-said")
    here = Relay("redis://127.0.0.1:1/0", name="shop")
    there = Relay("redis://127.0.0.1:1/0", name="shop")
    here.share(said)
    there.share(said)
    return here, there, said


async def test_the_context_rides_along_and_wraps_the_remote_delivery(
    baton: Baton,
) -> None:
    here, there, said = two_relays()
    heard: list[int] = []

    def on_said(sender: Any, order: int) -> None:
        heard.append(len(baton.during))  # delivering() was entered first

    said.connect(on_said)
    message = here._encode(here.shared["ctx-said"], None, {"order": 3}, 0)
    assert json.loads(message)["ctx"] == {"baton": "trace-17"}
    arrival = there._read(message)
    assert arrival is not None
    await there._deliver(arrival)
    assert baton.during == [("ctx-said", {"baton": "trace-17"})]
    assert heard == [1]


def test_without_a_propagator_messages_carry_no_context() -> None:
    here, _, _ = two_relays()
    message = here._encode(here.shared["ctx-said"], None, {"order": 1}, 0)
    assert "ctx" not in json.loads(message)


@pytest.mark.parametrize("ctx", [["baton"], {"baton": 5}, "trace", {"": None}])
def test_a_context_that_is_not_an_object_of_strings_is_dropped_and_counted(
    ctx: Any,
) -> None:
    _, there, _ = two_relays()
    message = {
        "v": 1,
        "o": "elsewhere",
        "s": "ctx-said",
        "t": 1.0e9,
        "from": None,
        "kw": {},
        "ctx": ctx,
    }
    there._received(json.dumps(message).encode())
    assert there.stats["dropped_unreadable"] == 1
    assert not there._inbox
