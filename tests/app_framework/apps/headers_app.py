"""An app served by a real uvicorn in ``test_served_headers.py``: ProxyFix
in front, and views that put the query string into a response header (a
header value, ``send_file``'s download name, a cookie's domain)."""

from __future__ import annotations

import io
from typing import Any

from app_framework import App, Response, request, send_file, signals
from app_framework.middleware import ProxyFix

app = App(__name__)
app.add_middleware(ProxyFix, x_host=1, x_port=1)
errors: list[str] = []


def record(sender: App, exception: BaseException, **kwargs: Any) -> None:
    errors.append(repr(exception))


signals.got_request_exception.connect(record, sender=app)


@app.route("/where")
async def where() -> dict[str, str]:
    return {"host": request.host}


@app.route("/header")
async def header() -> Response:
    response = Response("echoed")
    response.headers["X-Echo"] = request.args["value"]
    return response


@app.route("/download")
async def download() -> Response:
    return send_file(io.BytesIO(b"data"), download_name=request.args["value"])


@app.route("/cookie")
async def cookie() -> Response:
    response = Response("cookie")
    response.set_cookie("pref", "1", domain=request.args["value"])
    return response


@app.route("/errors")
async def seen_errors() -> dict[str, list[str]]:
    """The exceptions got_request_exception was sent with."""
    return {"errors": errors}
