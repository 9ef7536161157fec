"""app.json: Flask's JSON provider, used by every JSON path."""

from __future__ import annotations

import dataclasses
import datetime
import decimal
import uuid
from typing import Any

import pytest
from markupsafe import Markup

from app_framework import App, json, jsonify, render_template_string, request
from app_framework.json.provider import DefaultJSONProvider
from app_framework.testing import TestClient


@dataclasses.dataclass
class Point:
    x: int
    y: int


class Money:
    def __init__(self, cents: int) -> None:
        self.cents = cents


class MoneyProvider(DefaultJSONProvider):
    def default(self, o: Any) -> Any:
        if isinstance(o, Money):
            return f"{o.cents / 100:.2f} EUR"
        return super().default(o)


VALUES: dict[str, Any] = {
    "date": datetime.date(2024, 2, 3),
    "datetime": datetime.datetime(2024, 2, 3, 4, 5, 6, tzinfo=datetime.UTC),
    "uuid": uuid.UUID(int=7),
    "decimal": decimal.Decimal("1.50"),
    "point": Point(1, 2),
    "markup": Markup("<b>x</b>"),
}
ENCODED = {
    "date": "Sat, 03 Feb 2024 00:00:00 GMT",
    "datetime": "Sat, 03 Feb 2024 04:05:06 GMT",
    "uuid": "00000000-0000-0000-0000-000000000007",
    "decimal": "1.50",
    "point": {"x": 1, "y": 2},
    "markup": "<b>x</b>",
}


async def test_the_default_provider_serialises_flasks_types(
    app: App, client: TestClient
) -> None:
    @app.route("/dict")
    async def as_dict() -> dict[str, Any]:
        return VALUES

    @app.route("/jsonify")
    async def as_jsonify() -> Any:
        return jsonify(VALUES)

    for path in ("/dict", "/jsonify"):
        response = await client.get(path)
        assert response.headers["content-type"] == "application/json"
        assert response.json == ENCODED
        assert response.text.endswith("\n")
    async with app.app_context():
        assert json.loads(json.dumps(VALUES)) == ENCODED
        assert app.json.loads(app.json.dumps({"b": 1, "a": "é"})) == {"a": "é", "b": 1}
        assert app.json.dumps({"b": 1, "a": "é"}) == '{"a": "\\u00e9", "b": 1}'
    assert json.dumps({"p": Point(0, 0)}) == '{"p": {"x": 0, "y": 0}}'  # no app


async def test_settings_change_every_json_path(app: App, client: TestClient) -> None:
    provider = app.json
    assert isinstance(provider, DefaultJSONProvider)
    provider.sort_keys = False
    provider.ensure_ascii = False
    provider.compact = False
    provider.mimetype = "application/vnd.api+json"

    @app.route("/")
    async def index() -> dict[str, Any]:
        return {"b": "é", "a": 1}

    response = await client.get("/")
    assert response.text == '{\n  "b": "é", \n  "a": 1\n}\n'
    assert response.headers["content-type"] == "application/vnd.api+json"


async def test_debug_mode_indents(app: App, client: TestClient) -> None:
    app.debug = True
    app.add_url_rule("/", "index", lambda: {"a": 1})
    assert (await client.get("/")).text == '{\n  "a": 1\n}\n'


async def test_a_subclass_adds_types_everywhere(app: App, client: TestClient) -> None:
    app.json = MoneyProvider(app)

    @app.route("/price", methods=["POST"])
    async def price() -> dict[str, Any]:
        data = await request.get_json()
        return {"price": Money(1999), "echo": data}

    response = await client.post("/price", json={"paid": Money(500), "at": Point(3, 4)})
    assert response.json == {
        "price": "19.99 EUR",
        "echo": {"paid": "5.00 EUR", "at": {"x": 3, "y": 4}},
    }


def test_unknown_types_raise() -> None:
    app = App("json")
    with pytest.raises(
        TypeError, match="Object of type object is not JSON serializable"
    ):
        app.json.dumps(object())


async def test_loads_in_request_bodies_uses_the_provider(
    app: App, client: TestClient
) -> None:
    class Strict(DefaultJSONProvider):
        def loads(self, s: str | bytes, **kwargs: Any) -> Any:
            return {
                "parsed by": "Strict",
                "raw": s.decode() if isinstance(s, bytes) else s,
            }

    app.json = Strict(app)

    @app.route("/", methods=["POST"])
    async def index() -> Any:
        return await request.get_json()

    response = await client.post(
        "/", content=b"[1]", headers={"content-type": "application/json"}
    )
    assert response.json == {"parsed by": "Strict", "raw": "[1]"}


async def test_module_helpers_and_the_base_provider(app: App) -> None:
    import gc
    import io
    import weakref

    from app_framework.json.provider import JSONProvider

    text = io.StringIO()
    json.dump({"a": 1}, text)
    assert json.load(io.StringIO(text.getvalue())) == {"a": 1}
    assert json.loads('{"b": 2}') == {"b": 2}  # outside an app context
    async with app.app_context():
        assert json.loads("[1]") == [1]
    base = JSONProvider(app)
    out = io.StringIO()
    base.dump([1, 2], out)
    assert base.load(io.StringIO(out.getvalue())) == [1, 2]
    assert base.response(a=1).get_data(as_text=True) == '{"a": 1}'
    assert base.response().get_data(as_text=True) == "null"
    with pytest.raises(TypeError, match="args or kwargs, not both"):
        base.response(1, a=2)
    orphan = JSONProvider(app)
    orphan._app = weakref.ref(App("gone"))
    gc.collect()  # the app holds reference cycles
    with pytest.raises(RuntimeError, match="is gone"):
        orphan.app  # noqa: B018


async def test_tojson_filter(app: App) -> None:
    # The tojson filter is tested in Jinja; this confirms that it uses
    # app.json's dumps (Flask's conversions), kept safe inside <script>.
    async with app.test_request_context("/"):
        rv = await render_template_string(
            "const data = {{ data|tojson }};",
            data={"name": "</script>", "time": datetime.datetime(2021, 2, 1, 7, 15)},
        )
    assert rv == (
        'const data = {"name": "\\u003c/script\\u003e",'
        ' "time": "Mon, 01 Feb 2021 07:15:00 GMT"};'
    )


async def test_tojson_uses_a_provider_set_after_the_first_render(app: App) -> None:
    async with app.app_context():
        assert await render_template_string("{{ 1|tojson }}") == "1"
        app.json = MoneyProvider(app)
        rv = await render_template_string("{{ price|tojson }}", price=Money(1250))
    assert rv == '"12.50 EUR"'
