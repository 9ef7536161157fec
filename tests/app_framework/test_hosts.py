"""TRUSTED_HOSTS, and X-Forwarded-* honoured only through ProxyFix."""

from __future__ import annotations

import pytest

from app_framework import App, request, url_for
from app_framework.middleware import ProxyFix
from app_framework.testing import TestClient


@pytest.fixture
def where(app: App) -> App:
    @app.route("/where")
    async def where_view() -> dict[str, str]:
        return {
            "host": request.host,
            "scheme": request.scheme,
            "remote_addr": request.remote_addr or "",
            "root": request.root_path,
            "url": url_for("where_view", _external=True),
        }

    return app


@pytest.mark.parametrize(
    ("host", "status"),
    [
        ("example.com", 200),
        ("www.example.com", 200),  # ".example.com" allows subdomains
        ("evil.net", 400),
        ("example.com.evil.net", 400),
    ],
)
async def test_trusted_hosts_refuse_any_other_host_before_routing(
    where: App, host: str, status: int
) -> None:
    where.config["TRUSTED_HOSTS"] = [".example.com"]
    routed: list[str] = []
    where.before_request(lambda: routed.append(str(request.url_rule)))
    async with where.test_client() as client:
        response = await client.get("/where", headers={"host": host})
    assert response.status_code == status
    if status == 400:
        assert f"Host &#39;{host}&#39; is not trusted" in response.text
        assert routed == ["None"]  # never routed: no rule was matched
    else:
        assert response.json()["host"] == host


async def test_forwarded_headers_are_ignored_without_proxy_fix(
    where: App, client: TestClient
) -> None:
    forged = {
        "x-forwarded-for": "6.6.6.6",
        "x-forwarded-proto": "https",
        "x-forwarded-host": "evil.net",
        "x-forwarded-prefix": "/evil",
    }
    seen = (await client.get("/where", headers=forged)).json()
    assert seen["host"] == "localhost" and seen["scheme"] == "http"
    assert seen["remote_addr"] != "6.6.6.6" and seen["root"] == ""
    assert seen["url"] == "http://localhost/where"


async def test_proxy_fix_trusts_as_many_proxies_as_it_is_told(where: App) -> None:
    where.add_middleware(ProxyFix, x_for=1, x_proto=1, x_host=1, x_port=1, x_prefix=1)
    headers = {
        # The client forged the first value; the one proxy added the last.
        "x-forwarded-for": "6.6.6.6, 203.0.113.7",
        "x-forwarded-proto": "https",
        "x-forwarded-host": "shop.example.com",
        "x-forwarded-port": "8443",
        "x-forwarded-prefix": "/shop",
    }
    async with where.test_client() as client:
        seen = (await client.get("/where", headers=headers)).json()
    assert seen == {
        "host": "shop.example.com:8443",
        "scheme": "https",
        "remote_addr": "203.0.113.7",
        "root": "/shop",
        "url": "https://shop.example.com:8443/shop/where",
    }


async def test_proxy_fix_ignores_a_header_with_fewer_values_than_proxies(
    where: App,
) -> None:
    where.add_middleware(ProxyFix, x_for=2, x_proto=0)
    async with where.test_client() as client:
        seen = (
            await client.get(
                "/where",
                headers={
                    "x-forwarded-for": "203.0.113.7",
                    "x-forwarded-proto": "https",
                },
            )
        ).json()
    assert seen["remote_addr"] != "203.0.113.7"  # one value, two proxies: a forgery
    assert seen["scheme"] == "http"  # x_proto=0: ignored


def test_proxy_fix_says_what_it_wants() -> None:
    with pytest.raises(ValueError, match="an int >= 0"):
        ProxyFix(lambda *a: None, x_for=-1)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    "port",
    [
        "²".encode("latin-1"),  # str.isdigit() says yes, int() says no
        "٣".encode(),  # an Arabic-Indic digit
        b"99999",  # above 65535
        b"-1",
        b"0x50",
        b"+80",
    ],
)
async def test_proxy_fix_ignores_a_forwarded_port_that_is_not_one(
    where: App, port: bytes
) -> None:
    where.testing = False
    where.add_middleware(ProxyFix, x_host=1, x_port=1)
    headers = {"x-forwarded-host": b"shop.example.com", "x-forwarded-port": port}
    async with where.test_client() as client:
        response = await client.get("/where", headers=headers)
    assert response.status_code == 200
    assert response.json()["host"] == "shop.example.com"  # the port ignored


@pytest.mark.parametrize("prefix", [b"shop", b"a:b:c", b"[::1", b"//evil.net"])
async def test_proxy_fix_ignores_a_forwarded_prefix_that_is_not_a_path(
    where: App, prefix: bytes
) -> None:
    where.testing = False
    where.add_middleware(ProxyFix, x_prefix=1)
    async with where.test_client() as client:
        response = await client.get("/where", headers={"x-forwarded-prefix": prefix})
    assert response.status_code == 200
    assert response.json()["root"] == ""
    assert response.json()["url"] == "http://localhost/where"
