"""app_framework.debug: the traceback page of debug mode, as Quart's
traceback_response gives it."""

from __future__ import annotations

from app_framework import App, Response
from app_framework.debug import traceback_response


class Page(Response):
    pass


def _fail() -> None:
    raise LookupError("no <row> 7")


async def test_traceback_response_is_a_500_with_the_escaped_traceback() -> None:
    try:
        _fail()
    except LookupError as caught:
        error = caught
    app = App(__name__)
    app.response_class = Page
    async with app.app_context():
        response = await traceback_response(error)
    assert type(response) is Page and response.status_code == 500
    text = await response.get_data(as_text=True)
    assert "in _fail" in text and "no &lt;row&gt; 7" in text
    assert "<row>" not in text

    plain = await traceback_response(ValueError("outside"))  # no app: the base class
    assert type(plain) is Response and b"outside" in plain.data


async def test_debug_mode_serves_the_same_page() -> None:
    app = App(__name__)
    app.debug = True

    @app.route("/")
    async def broken() -> str:
        _fail()
        return "never"

    response = await app.test_client().get("/")
    assert response.status_code == 500
    assert "no &lt;row&gt; 7" in response.text and "in _fail" in response.text
