"""The three apps bench/load.py serves, each answering GET /hello."""

from __future__ import annotations

import quart
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import PlainTextResponse
from starlette.routing import Route

import app_framework


async def _hello(request: Request) -> PlainTextResponse:
    return PlainTextResponse("hello")


starlette_app = Starlette(routes=[Route("/hello", _hello)])

framework_app = app_framework.App("load")


@framework_app.route("/hello")
async def hello() -> str:
    return "hello"


quart_app = quart.Quart("load")


@quart_app.route("/hello")
async def quart_hello() -> str:
    return "hello"
