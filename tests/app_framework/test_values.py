"""Values that read both ways: awaited (Quart) and plain (Flask)."""

from __future__ import annotations

import copy
from typing import Any

import pytest

from app_framework._values import (
    NotLoadedError,
    Pending,
    ReadyConstant,
    ReadyDict,
    ReadyMultiDict,
    ready,
    unready,
)


@pytest.mark.parametrize("value", [b"x", "x", {"a": 1}, [1], 3, 2.5])
async def test_ready_values_are_their_kind_awaited_and_called(value: Any) -> None:
    made = ready(value)
    assert isinstance(made, type(value)) and made == value
    assert await made == value
    assert made() == value
    assert ready(made) is made and unready(made) is made


@pytest.mark.parametrize("value", [None, True, False])
async def test_constants_stand_in_for_none_and_booleans(value: Any) -> None:
    made = ready(value)
    assert isinstance(made, ReadyConstant)
    assert made == value and made == ReadyConstant(value) and bool(made) is bool(value)
    assert hash(made) == hash(value) and repr(made) == repr(value)
    assert await made is value and made() is value and unready(made) is value


def test_other_values_pass_through() -> None:
    marker = object()
    assert ready(marker) is marker


async def test_pending_loads_when_awaited_and_refuses_everything_else() -> None:
    loads: list[int] = []

    async def load() -> Any:
        loads.append(1)
        return ReadyConstant(None)

    pending = Pending(load, "write 'await x'")
    assert pending() is pending
    assert await pending is None and await pending() is None  # unwrapped
    assert loads == [1, 1]
    for use in (
        lambda: pending["k"],
        lambda: iter(pending),
        lambda: len(pending),
        lambda: "k" in pending,
        lambda: bool(pending),
        lambda: str(pending),
        lambda: pending == 1,
        lambda: pending.get("k"),
    ):
        with pytest.raises(NotLoadedError, match="write 'await x'"):
            use()
    assert repr(pending) == "<not loaded yet: write 'await x'>"
    with pytest.raises(AttributeError):
        pending.__html__  # noqa: B018 - probed by Jinja and copy
    assert copy.copy(ReadyDict(a=1)) == {"a": 1}


async def test_multidicts_are_awaitable() -> None:
    form = ReadyMultiDict([("a", "1"), ("a", "2")])
    assert (await form).getlist("a") == ["1", "2"] and form() is form
