"""Quart extensions as installed: ``import app_framework.compat.quart`` first.

The real Quart is installed too (and other tests import it), so each
scenario is a small app written to ``tmp_path`` and run in a process of its
own. Each script checks its own outcomes with ``assert`` and prints DONE;
warnings are errors there as here.
"""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

import httpx

from tests.helpers.servers import ROOT, uvicorn

FIRST_LINE = "import app_framework.compat.quart\n"

# Appended to every scenario: the names came from app_framework, and not one
# module of the real Quart was loaded.
CHECK_ORIGIN = """
import sys as _sys
import app_framework as _af
assert _sys.modules["quart"].Quart is _af.App
_real = [n for n, m in _sys.modules.items()
         if "/site-packages/quart/" in (getattr(m, "__file__", None) or "")]
assert not _real, _real
print("DONE")
"""


def run_script(tmp_path: Path, body: str, first_line: str = FIRST_LINE) -> str:
    """Run ``first_line`` + ``body`` in a fresh interpreter; its output."""
    script = tmp_path / "scenario.py"
    script.write_text(first_line + textwrap.dedent(body) + CHECK_ORIGIN)
    done = subprocess.run(
        [sys.executable, "-W", "error", str(script)],
        cwd=tmp_path,
        env={"PYTHONPATH": str(ROOT), "PATH": "/usr/bin:/bin"},
        capture_output=True,
        text=True,
        timeout=30,
        check=False,
    )
    output = done.stdout + done.stderr
    assert done.returncode == 0 and "DONE" in done.stdout, output
    return done.stdout


def test_quart_cors_preflight_and_simple_request(tmp_path: Path) -> None:
    run_script(
        tmp_path,
        """
        import asyncio
        from quart import Quart
        from quart_cors import cors

        app = cors(Quart(__name__), allow_origin="https://shop.test",
                   allow_methods=["GET", "DELETE"], max_age=120)

        @app.route("/basket", methods=["GET", "DELETE"])
        async def basket():
            return {"lines": 3}

        async def main():
            client = app.test_client()
            asked = await client.options("/basket", headers={
                "Origin": "https://shop.test",
                "Access-Control-Request-Method": "DELETE"})
            assert asked.status_code == 200
            assert asked.headers["Access-Control-Allow-Origin"] == "https://shop.test"
            assert asked.headers["Access-Control-Allow-Methods"] == "GET, DELETE"
            assert asked.headers["Access-Control-Max-Age"] == "120"
            got = await client.get("/basket", headers={"Origin": "https://shop.test"})
            assert await got.get_json() == {"lines": 3}
            assert got.headers["Access-Control-Allow-Origin"] == "https://shop.test"
            assert got.headers["Vary"] == "Origin"
            stranger = await client.get("/basket", headers={"Origin": "https://x.test"})
            assert "Access-Control-Allow-Origin" not in stranger.headers

        asyncio.run(main())
        """,
    )


def test_quart_cors_on_a_blueprint_answers_its_preflights(tmp_path: Path) -> None:
    """cors() on both the app and a blueprint: a preflight to the
    blueprint's route gets the blueprint's origin (its after_request runs
    for the automatic OPTIONS answer, first, as in Quart)."""
    run_script(
        tmp_path,
        """
        import asyncio
        from quart import Blueprint, Quart
        from quart_cors import cors

        app = cors(Quart(__name__), allow_origin="https://app.test")
        partners = cors(Blueprint("partners", __name__),
                        allow_origin=["https://partner.test"])

        @partners.route("/partners/orders", methods=["GET", "POST"])
        async def orders():
            return "orders"

        app.register_blueprint(partners)

        async def main():
            client = app.test_client()
            asked = await client.options("/partners/orders", headers={
                "Origin": "https://partner.test",
                "Access-Control-Request-Method": "POST"})
            assert asked.status_code == 200
            allowed = asked.headers["Access-Control-Allow-Origin"]
            assert allowed == "https://partner.test", allowed
            asked = await client.options("/partners/orders", headers={
                "Origin": "https://app.test",
                "Access-Control-Request-Method": "POST"})
            assert "Access-Control-Allow-Origin" not in asked.headers

        asyncio.run(main())
        """,
    )


def test_quart_auth_login_required_then_logged_in(tmp_path: Path) -> None:
    run_script(
        tmp_path,
        """
        import asyncio
        from quart import Quart
        from quart_auth import (AuthUser, QuartAuth, current_user, login_required,
                                login_user, logout_user)

        app = Quart(__name__)
        app.secret_key = "compat-auth-key"
        app.config["QUART_AUTH_COOKIE_SECURE"] = False  # plain http in the test
        QuartAuth(app)

        @app.post("/session/<who>")
        async def sign_in(who):
            login_user(AuthUser(who))
            return "signed in"

        @app.delete("/session")
        async def sign_out():
            logout_user()
            return "signed out"

        @app.get("/dashboard")
        @login_required
        async def dashboard():
            return f"dashboard of {current_user.auth_id}"

        async def main():
            client = app.test_client()
            assert (await client.get("/dashboard")).status_code == 401
            signed = await client.post("/session/grace")
            assert signed.headers["Set-Cookie"].startswith("QUART_AUTH=")
            seen = await client.get("/dashboard")
            assert seen.status_code == 200
            assert await seen.get_data(as_text=True) == "dashboard of grace"
            await client.delete("/session")
            assert (await client.get("/dashboard")).status_code == 401

        asyncio.run(main())
        """,
    )


def test_quart_schema_validation_and_openapi(tmp_path: Path) -> None:
    run_script(
        tmp_path,
        """
        import asyncio
        from pydantic import BaseModel
        from quart import Quart
        from quart_schema import QuartSchema, validate_request

        app = Quart(__name__)
        QuartSchema(app)

        class Booking(BaseModel):
            room: str
            nights: int

        @app.post("/rooms/<int:floor>/bookings")
        @validate_request(Booking)
        async def book(floor: int, data: Booking):
            return {"floor": floor, "room": data.room, "nights": data.nights}

        async def main():
            client = app.test_client()
            bad = await client.post("/rooms/2/bookings", json={"room": "2b"})
            assert bad.status_code == 400
            good = await client.post("/rooms/2/bookings",
                                     json={"room": "2b", "nights": 4})
            assert good.status_code == 200
            assert await good.get_json() == {"floor": 2, "room": "2b", "nights": 4}
            spec = await (await client.get("/openapi.json")).get_json()
            operation = spec["paths"]["/rooms/{floor}/bookings"]["post"]
            floor = [p for p in operation["parameters"] if p["name"] == "floor"]
            assert floor[0]["schema"] == {"type": "integer"}, floor
            assert "Booking" in str(operation["requestBody"])

        asyncio.run(main())
        """,
    )


def test_quart_rate_limiter_second_request_is_429(tmp_path: Path) -> None:
    run_script(
        tmp_path,
        """
        import asyncio
        from datetime import timedelta
        from quart import Quart
        from quart_rate_limiter import RateLimiter, rate_limit

        app = Quart(__name__)
        RateLimiter(app)

        @app.get("/export")
        @rate_limit(1, timedelta(seconds=60))
        async def export():
            return "exported"

        async def main():
            client = app.test_client()
            first = await client.get("/export")
            assert first.status_code == 200
            assert first.headers["RateLimit-Remaining"] == "0"
            second = await client.get("/export")
            assert second.status_code == 429
            assert 0 < int(second.headers["Retry-After"]) <= 60

        asyncio.run(main())
        """,
    )


def test_quart_babel_translates_a_template(tmp_path: Path) -> None:
    run_script(
        tmp_path,
        """
        import asyncio
        from pathlib import Path
        from babel.messages.catalog import Catalog
        from babel.messages.mofile import write_mo
        from babel.messages.pofile import read_po, write_po
        from quart import Quart, render_template_string
        from quart_babel import Babel

        # A .po catalog, compiled to .mo with babel's own tools.
        folder = Path("translations/fr/LC_MESSAGES")
        folder.mkdir(parents=True)
        source = Catalog(locale="fr")
        source.add("Good evening", "Bonsoir")
        with open(folder / "messages.po", "wb") as po:
            write_po(po, source)
        with open(folder / "messages.po", "rb") as po:
            catalog = read_po(po, locale="fr")
        with open(folder / "messages.mo", "wb") as mo:
            write_mo(mo, catalog)

        app = Quart(__name__)
        catalogs = str(Path("translations").resolve())
        app.config["BABEL_TRANSLATION_DIRECTORIES"] = catalogs
        Babel(app, locale_selector=lambda: "fr")

        @app.get("/")
        async def greet():
            return await render_template_string("{{ _('Good evening') }}, Ada")

        async def main():
            page = await app.test_client().get("/")
            assert await page.get_data(as_text=True) == "Bonsoir, Ada"

        asyncio.run(main())
        """,
    )


def test_quart_cors_preflight_under_uvicorn(tmp_path: Path) -> None:
    (tmp_path / "cors_app.py").write_text(
        FIRST_LINE
        + textwrap.dedent(
            """
            from quart import Quart
            from quart_cors import cors

            app = cors(Quart(__name__), allow_origin="https://front.test")

            @app.put("/notes/<int:number>")
            async def save(number):
                return {"saved": number}
            """
        )
    )
    with uvicorn("cors_app:app", "--app-dir", str(tmp_path)) as server:
        asked = httpx.options(
            f"{server.url}/notes/7",
            headers={
                "Origin": "https://front.test",
                "Access-Control-Request-Method": "PUT",
            },
        )
        saved = httpx.put(
            f"{server.url}/notes/7", headers={"Origin": "https://front.test"}
        )
    assert asked.status_code == 200
    assert asked.headers["access-control-allow-origin"] == "https://front.test"
    assert "PUT" in asked.headers["access-control-allow-methods"]
    assert saved.json() == {"saved": 7}
    assert saved.headers["access-control-allow-origin"] == "https://front.test"


def test_importing_twice_is_harmless(tmp_path: Path) -> None:
    run_script(
        tmp_path,
        """
        import importlib
        import sys
        import app_framework.compat.quart as compat
        import quart

        importlib.reload(compat)
        import quart as again
        assert again is quart
        finders = [f for f in sys.meta_path if type(f).__name__ == "_QuartFinder"]
        assert len(finders) == 1, finders
        from quart.testing import QuartClient
        from app_framework.testing import TestClient
        assert QuartClient is TestClient
        """,
    )


def test_nothing_is_aliased_until_imported(tmp_path: Path) -> None:
    script = """
    import sys
    import app_framework
    import app_framework.testing
    assert "quart" not in sys.modules
    assert not hasattr(app_framework, "Quart")
    import quart
    assert quart.__file__.endswith("/site-packages/quart/__init__.py")
    print("PLAIN")
    """
    (tmp_path / "plain.py").write_text(textwrap.dedent(script))
    done = subprocess.run(
        [sys.executable, "plain.py"],
        cwd=tmp_path,
        env={"PYTHONPATH": str(ROOT), "PATH": "/usr/bin:/bin"},
        capture_output=True,
        text=True,
        timeout=30,
        check=False,
    )
    assert "PLAIN" in done.stdout, done.stdout + done.stderr


def test_refuses_when_the_real_quart_came_first(tmp_path: Path) -> None:
    script = """
    import quart
    try:
        import app_framework.compat.quart
    except ImportError as refusal:
        print(refusal)
    """
    (tmp_path / "late.py").write_text(textwrap.dedent(script))
    done = subprocess.run(
        [sys.executable, "late.py"],
        cwd=tmp_path,
        env={"PYTHONPATH": str(ROOT), "PATH": "/usr/bin:/bin"},
        capture_output=True,
        text=True,
        timeout=30,
        check=False,
    )
    assert "the real Quart is already imported" in done.stdout, done.stderr
    assert "first import of the app" in done.stdout
