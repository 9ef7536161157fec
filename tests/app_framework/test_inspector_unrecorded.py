"""What the inspector leaves out: what a browser fetches by itself along
with every page (the stylesheets and scripts under the static folder, the
favicon), unless ``record_static=True``."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

from app_framework import App
from app_framework._inspector_records import Record
from app_framework.inspector import Inspector


def bakery(root: Path, record_static: bool = False) -> tuple[App, Inspector]:
    """An app with a static folder, a favicon route and one page."""
    (root / "static").mkdir()
    (root / "static" / "bread.css").write_text("h1 { color: brown }")
    app = App("bakery", root_path=str(root))
    app.config["DEBUG"] = True
    inspector = Inspector(app, record_static=record_static)

    @app.route("/")
    async def counter() -> str:
        return "two loaves, please"

    @app.route("/favicon.ico")
    async def icon() -> tuple[bytes, dict[str, str]]:
        return b"\0\0\1\0", {"content-type": "image/x-icon"}

    return app, inspector


def requests(records: Iterable[Record]) -> list[tuple[str, int | None]]:
    """Path and status of each request recorded (not of the signals the
    client's lifespan sent outside any request)."""
    return [(r.path, r.status) for r in records if r.kind == "http"]


async def fetch_a_page_as_a_browser_does(app: App) -> None:
    async with app.test_client() as client:
        assert (await client.get("/")).status_code == 200
        assert (await client.get("/static/bread.css")).status_code == 200
        assert (await client.get("/favicon.ico")).status_code == 200
        # Missing ones too: a 404 for a favicon is no record either.
        assert (await client.get("/static/missing.js")).status_code == 404


async def test_static_files_and_the_favicon_are_not_recorded(tmp_path: Path) -> None:
    app, inspector = bakery(tmp_path)
    with inspector.recording() as rec:
        await fetch_a_page_as_a_browser_does(app)
    assert requests(rec.records) == [("/", 200)]
    assert requests(inspector.records) == [("/", 200)]


async def test_record_static_records_them_all(tmp_path: Path) -> None:
    app, inspector = bakery(tmp_path, record_static=True)
    with inspector.recording() as rec:
        await fetch_a_page_as_a_browser_does(app)
    assert requests(rec.records) == [
        ("/", 200),
        ("/static/bread.css", 200),
        ("/favicon.ico", 200),
        ("/static/missing.js", 404),
    ]


async def test_a_path_merely_starting_like_the_static_folder_is_recorded(
    tmp_path: Path,
) -> None:
    app, inspector = bakery(tmp_path)

    @app.route("/staticky")
    async def staticky() -> str:
        return "not a static file"

    async with app.test_client() as client:
        with inspector.recording() as rec:
            await client.get("/staticky")
            await client.get("/favicon.ico.bak")
    assert requests(rec.records) == [("/staticky", 200), ("/favicon.ico.bak", 404)]
