"""``send`` with only ANY-connected sync receivers skips the plan lookup:
these check that every change turning that path off or on again is heard
from the very next send."""

from __future__ import annotations

from typing import Any

import pytest

import asignals

from .conftest import Recorder


class Origin:
    """A sender that can be weakly referenced."""


def names(results: list[tuple[Any, Any]]) -> list[Any]:
    return [value for _, value in results]


def test_a_sender_specific_receiver_turns_the_path_off_and_on(
    recorder: Recorder,
) -> None:
    signal = asignals.Signal()
    here, there = Origin(), Origin()
    signal.connect(recorder.sync("everyone"))
    assert names(signal.send(here)) == ["everyone"]
    only_there = recorder.sync("only-there")
    signal.connect(only_there, sender=there)
    assert names(signal.send(here)) == ["everyone"]
    assert names(signal.send(there)) == ["everyone", "only-there"]
    signal.disconnect(only_there, sender=there)
    assert names(signal.send(there)) == ["everyone"]
    signal.connect(recorder.sync("latecomer"))
    assert names(signal.send(there)) == ["everyone", "latecomer"]


def test_a_mute_that_ended_leaves_receivers_connected_during_it_heard(
    recorder: Recorder,
) -> None:
    signal = asignals.Signal()
    signal.connect(recorder.sync("first"))
    signal.send("warm")
    with signal.muted():
        assert signal.send("hushed") == []
        signal.connect(recorder.sync("second"))
        assert signal.send("hushed") == []
    assert names(signal.send("loud")) == ["first", "second"]
    assert names(signal.send("again")) == ["first", "second"]
    assert [sender for _, sender, _ in recorder.log] == ["warm"] + ["loud"] * 2 + [
        "again"
    ] * 2


def test_an_async_receiver_connected_after_a_send_is_refused_before_any_call(
    recorder: Recorder,
) -> None:
    signal = asignals.Signal()
    signal.connect(recorder.sync("plain"))
    signal.send(1)
    signal.connect(recorder.async_("waits"))
    with pytest.raises(RuntimeError, match="send_async"):
        signal.send(2)
    assert [sender for _, sender, _ in recorder.log] == [1]


def test_a_receiver_connected_mid_send_is_called_from_the_next_send(
    recorder: Recorder,
) -> None:
    signal = asignals.Signal()
    joined = recorder.sync("joined")

    def host(sender: Any) -> str:
        signal.connect(joined)
        return "host"

    signal.connect(host)
    assert names(signal.send("a")) == ["host"]
    assert names(signal.send("b")) == ["host", "joined"]
