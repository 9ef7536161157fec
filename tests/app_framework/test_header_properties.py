"""werkzeug's header properties on the response, as extensions use them:
a CORS extension and a rate limiter set them in ``after_request``, and
their tests read them back from the test client's response."""

from __future__ import annotations

import inspect
from datetime import UTC, datetime, timedelta

import pytest
from werkzeug.datastructures import WWWAuthenticate
from werkzeug.http import COEP, COOP
from werkzeug.sansio.response import Response as SansIOResponse
from werkzeug.utils import header_property

from app_framework import App, Response, abort, request
from app_framework.testing import TestClient, TestResponse


class OriginPolicy:
    """A small CORS extension, the way one is written for Flask."""

    def __init__(self, app: App | None = None, origins: tuple[str, ...] = ()) -> None:
        self.origins = set(origins)
        if app is not None:
            self.init_app(app)

    def init_app(self, app: App) -> None:
        app.after_request(self.decorate)

    def decorate(self, response: Response) -> Response:
        origin = request.headers.get("Origin")
        if origin not in self.origins:
            return response
        response.access_control_allow_origin = origin
        response.access_control_allow_credentials = True
        response.access_control_expose_headers = ["X-Page-Count"]
        response.vary.add("Origin")
        if request.method == "OPTIONS":
            response.access_control_allow_methods = ["GET", "PUT"]
            response.access_control_allow_headers = ["Content-Type", "X-Token"]
            response.access_control_max_age = 900
        return response


@pytest.fixture
def cors_app(app: App) -> App:
    OriginPolicy(app, origins=("https://shop.example",))

    @app.route("/basket", methods=["GET", "PUT"])
    async def basket() -> str:
        return "two apples"

    return app


async def test_cors_headers_set_in_after_request_are_sent(cors_app: App) -> None:
    async with cors_app.test_client() as client:
        rv = await client.get("/basket", headers={"Origin": "https://shop.example"})
    sent = dict(rv.headers.multi_items())
    assert sent["access-control-allow-origin"] == "https://shop.example"
    assert sent["access-control-allow-credentials"] == "true"
    assert sent["access-control-expose-headers"] == "X-Page-Count"
    assert sent["vary"] == "Origin"
    assert rv.access_control_allow_origin == "https://shop.example"
    assert rv.access_control_allow_credentials is True
    assert str(rv.access_control_expose_headers) == "X-Page-Count"
    assert "origin" in rv.vary


async def test_cors_preflight_reads_back_through_the_test_client(
    cors_app: App,
) -> None:
    async with cors_app.test_client() as client:
        rv = await client.options(
            "/basket",
            headers={
                "Origin": "https://shop.example",
                "Access-Control-Request-Method": "PUT",
            },
        )
        foreign = await client.get("/basket", headers={"Origin": "https://evil.test"})
    assert rv.headers["Access-Control-Allow-Methods"] == "GET, PUT"
    assert rv.headers["Access-Control-Allow-Headers"] == "Content-Type, X-Token"
    assert rv.access_control_max_age == 900
    assert str(rv.access_control_allow_methods) == "GET, PUT"
    assert str(rv.access_control_allow_headers) == "Content-Type, X-Token"
    assert foreign.access_control_allow_methods is None
    assert foreign.access_control_allow_origin is None
    assert foreign.access_control_allow_credentials is False
    assert "access-control-allow-origin" not in foreign.headers


def throttled(app: App, limit: int, window: int) -> None:
    """A fixed-window rate limiter: a 429 with Retry-After past ``limit``."""
    seen: list[str] = []

    @app.before_request
    async def count() -> None:
        seen.append(request.path)
        if len(seen) > limit:
            abort(429)

    @app.after_request
    async def report(response: Response) -> Response:
        response.headers["X-RateLimit-Limit"] = limit
        response.headers["X-RateLimit-Remaining"] = max(limit - len(seen), 0)
        if response.status_code == 429:
            response.retry_after = window
        return response


async def test_a_rate_limiter_sets_retry_after_on_its_429(app: App) -> None:
    throttled(app, limit=2, window=45)

    @app.route("/quote")
    async def quote() -> str:
        return "42"

    async with app.test_client() as client:
        statuses = [(await client.get("/quote")).status_code for _ in range(3)]
        last = await client.get("/quote")
    assert statuses == [200, 200, 429]
    assert last.status_code == 429
    assert last.headers["Retry-After"] == "45"
    assert last.headers["X-RateLimit-Remaining"] == "0"
    assert last.headers["X-RateLimit-Limit"] == "2"
    assert last.retry_after is not None
    wait = last.retry_after - datetime.now(UTC)
    assert timedelta(seconds=40) < wait <= timedelta(seconds=45)


async def test_a_repeated_header_reads_as_its_first_value(
    app: App, client: TestClient
) -> None:
    @app.route("/busy")
    async def busy() -> Response:
        response = Response("later", 503)
        response.retry_after = 120
        response.headers.add("Retry-After", "Fri, 01 Jan 2100 00:00:00 GMT")
        return response

    rv = await client.get("/busy")
    assert rv.headers["Retry-After"] == "120"
    assert rv.headers.get("retry-after") == "120"
    assert rv.headers.getlist("Retry-After") == [
        "120",
        "Fri, 01 Jan 2100 00:00:00 GMT",
    ]
    assert rv.retry_after is not None and rv.retry_after.year < 2100


def _set_security_headers(response: Response) -> Response:
    response.content_security_policy.default_src = "'self'"
    response.content_security_policy_report_only = "img-src *"
    response.cross_origin_opener_policy = COOP.SAME_ORIGIN
    response.cross_origin_embedder_policy = COEP.REQUIRE_CORP
    response.www_authenticate = WWWAuthenticate("bearer", {"realm": "shop"})
    response.date = datetime(2031, 5, 6, 7, 8, 9, tzinfo=UTC)
    response.age = timedelta(minutes=3)
    response.content_language = ["de", "fr"]
    response.content_location = "/basket/7"
    response.content_encoding = "identity"
    response.content_md5 = "Q2hlY2sgSW50ZWdyaXR5IQ=="
    response.accept_ranges = "bytes"
    response.allow = {"GET"}
    response.cache_control.public = True
    response.cache_control.max_age = 30
    response.set_etag("v7", weak=True)
    return response


async def test_every_header_property_arrives_and_reads_back(
    app: App, client: TestClient
) -> None:
    @app.route("/page")
    async def page() -> str:
        return "page"

    app.after_request(_set_security_headers)

    rv = await client.get("/page")
    assert rv.headers["Content-Security-Policy"] == "default-src 'self'"
    assert rv.content_security_policy.default_src == "'self'"
    assert rv.content_security_policy_report_only.img_src == "*"
    assert rv.cross_origin_opener_policy is COOP.SAME_ORIGIN
    assert rv.cross_origin_embedder_policy is COEP.REQUIRE_CORP
    assert rv.headers["WWW-Authenticate"] == "Bearer realm=shop"
    assert rv.www_authenticate.type == "bearer"
    assert rv.headers["Date"] == "Tue, 06 May 2031 07:08:09 GMT"
    assert rv.date == datetime(2031, 5, 6, 7, 8, 9, tzinfo=UTC)
    assert (rv.headers["Age"], rv.age) == ("180", timedelta(minutes=3))
    assert rv.headers["Content-Language"] == "de, fr"
    assert (rv.content_location, rv.content_encoding) == ("/basket/7", "identity")
    assert rv.content_md5 == "Q2hlY2sgSW50ZWdyaXR5IQ=="
    assert (rv.accept_ranges, rv.headers["Allow"]) == ("bytes", "GET")
    assert rv.cache_control.max_age == 30 and rv.cache_control.public
    assert rv.get_etag() == ("v7", True)
    assert rv.mimetype_params == {"charset": "utf-8"}


async def test_none_or_del_removes_a_header_a_hook_set(
    app: App, client: TestClient
) -> None:
    @app.route("/")
    async def index() -> Response:
        response = Response("x")
        response.access_control_allow_origin = "*"
        response.content_security_policy = "default-src 'none'"
        response.www_authenticate = WWWAuthenticate("basic", {"realm": "x"})
        response.access_control_allow_credentials = True
        return response

    @app.after_request
    async def undo(response: Response) -> Response:
        if "undo" in request.args:
            response.access_control_allow_origin = None
            response.content_security_policy = None
            del response.www_authenticate
            response.access_control_allow_credentials = False
        return response

    kept = await client.get("/")
    undone = await client.get("/?undo")
    added = [
        "access-control-allow-origin",
        "content-security-policy",
        "www-authenticate",
        "access-control-allow-credentials",
    ]
    body = ["content-length", "content-type"]
    assert [key for key, _ in kept.headers.multi_items()] == body + added
    assert [key for key, _ in undone.headers.multi_items()] == body


def _werkzeug_header_names() -> list[str]:
    return sorted(
        name
        for name, value in vars(SansIOResponse).items()
        if isinstance(value, property | header_property)
        and name not in ("status", "status_code")  # the status line's
    )


@pytest.mark.parametrize("name", _werkzeug_header_names())
def test_no_werkzeug_property_becomes_a_plain_attribute(name: str) -> None:
    # An assignment to a name the class does not define would succeed
    # silently and send nothing; each of werkzeug's must be a descriptor.
    ours = inspect.getattr_static(Response, name)
    assert hasattr(ours, "__set__"), f"Response.{name} is not a descriptor"
    assert hasattr(inspect.getattr_static(TestResponse, name), "__get__")
