"""The surface Quart extensions use, written as an extension author would:
the type names of ``app_framework.typing``, ``ensure_async``/``ensure_sync``,
views that require methods (CORS preflights), ``make_default_options_response``
and a replaceable ``websocket_class``."""

from __future__ import annotations

import functools
import typing
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any, Union, get_args, get_type_hints

import app_framework
from app_framework import App, Response, ResponseReturnValue, jsonify
from app_framework.typing import (
    HeadersValue,
    ResponseValue,
    RouteCallable,
    StatusCode,
)


@dataclass
class Ticket:
    """A model an extension knows how to send (as quart-schema's models)."""

    seat: str


# An extension widens the framework's names at import time, as quart-schema
# does with its models: the names must be real objects, not strings.
ExtendedValue = Union[ResponseValue, Ticket]  # noqa: UP007
ExtendedReturn = Union[  # noqa: UP007
    ResponseReturnValue,
    ExtendedValue,
    tuple[ExtendedValue, StatusCode],
    tuple[ExtendedValue, StatusCode, HeadersValue],
]


def sends_tickets(view: Callable[..., Awaitable[ExtendedReturn]]) -> RouteCallable:
    """An extension's decorator: a Ticket becomes JSON; the rest passes."""

    @functools.wraps(view)
    async def wrapper(**kwargs: Any) -> ResponseReturnValue:
        result: Any = await view(**kwargs)  # checked at run time below
        body, *rest = result if isinstance(result, tuple) else (result,)
        if isinstance(body, Ticket):
            return (jsonify(seat=body.seat), *rest)
        return typing.cast(ResponseReturnValue, result)

    return wrapper


async def test_an_extension_built_on_the_type_names() -> None:
    app = App(__name__)

    @app.route("/ticket")
    @sends_tickets
    async def ticket() -> ExtendedReturn:
        return Ticket("14C"), 201, {"X-Row": "14"}

    @app.route("/plain")
    @sends_tickets
    async def plain() -> ExtendedReturn:
        return "no ticket"

    async with app.test_client() as client:
        response = await client.get("/ticket")
        assert (response.status_code, response.json) == (201, {"seat": "14C"})
        assert response.headers["X-Row"] == "14"
        assert (await client.get("/plain")).text == "no ticket"
        assert isinstance(client, app_framework.typing.TestClientProtocol)


def test_the_names_resolve_at_run_time() -> None:
    async def view() -> ResponseReturnValue:
        return "ok"

    # Tools reading annotations (OpenAPI generators) evaluate them.
    assert get_type_hints(view)["return"] is ResponseReturnValue
    assert app_framework.ResponseReturnValue is ResponseReturnValue
    assert tuple[ResponseValue, StatusCode, HeadersValue] in get_args(
        ResponseReturnValue
    )
    assert Response in get_args(ResponseValue)
    for name in app_framework.typing.__all__:
        assert getattr(app_framework.typing, name) is not None, name
    # The module shadows nothing: the standard library's typing is intact.
    assert typing.Protocol is not None
