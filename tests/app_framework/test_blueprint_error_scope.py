"""Which errors a blueprint's error handler sees (as in Flask): those raised
while one of its views (or hooks) runs. A URL that matches no rule (404) or
a method its rule does not allow (405) fails before any blueprint is
chosen, so only the app's handlers see it; the Errors guide shows the
app-level handler that tells the blueprints apart by path, tested here."""

from __future__ import annotations

from werkzeug.exceptions import HTTPException

from app_framework import App, Blueprint, abort, request

STOCK = {1: "teapot"}


def shop_app() -> App:
    shop = Blueprint("shop", __name__, url_prefix="/shop")

    @shop.errorhandler(404)
    async def no_such_item(error: HTTPException) -> tuple[dict[str, str], int]:
        return {"error": "no such item", "seen by": "shop"}, 404

    @shop.route("/items/<int:item_id>")
    async def item(item_id: int) -> dict[str, str]:
        if item_id not in STOCK:
            abort(404)
        return {"item": STOCK[item_id]}

    app = App(__name__)
    app.register_blueprint(shop)

    @app.errorhandler(404)
    @app.errorhandler(405)
    async def routing_failed(error: HTTPException) -> tuple[dict[str, str], int]:
        # No rule matched, so no blueprint: tell them apart by the path.
        assert request.blueprint is None
        area = "shop" if request.path.startswith("/shop/") else "site"
        return {
            "error": error.name,
            "seen by": f"app, for the {area}",
        }, error.code or 500

    return app


async def test_abort_in_a_blueprint_view_reaches_the_blueprint_handler() -> None:
    async with shop_app().test_client() as client:
        response = await client.get("/shop/items/2")
    assert response.status_code == 404
    assert response.json() == {"error": "no such item", "seen by": "shop"}


async def test_an_unmatched_url_under_the_prefix_reaches_only_the_app() -> None:
    async with shop_app().test_client() as client:
        response = await client.get("/shop/basket")
    assert response.status_code == 404
    assert response.json() == {"error": "Not Found", "seen by": "app, for the shop"}


async def test_a_method_not_allowed_reaches_only_the_app() -> None:
    async with shop_app().test_client() as client:
        response = await client.delete("/shop/items/1")
        elsewhere = await client.get("/about")
    assert response.status_code == 405
    assert response.json()["seen by"] == "app, for the shop"
    assert elsewhere.json()["seen by"] == "app, for the site"
