"""The demo's pages share one header and stylesheet, and it serves its
favicon (the browser tests in tests/e2e look at the same pages at two
screen sizes)."""

from __future__ import annotations

import re


def header_links(html: str) -> list[tuple[str, str]]:
    """(URL, label) of each link in the page's <nav>."""
    nav = html.split("<nav>", 1)[1].split("</nav>", 1)[0]
    return re.findall(r'<a href="([^"]+)"[^>]*>([^<]+)</a>', nav)


async def test_the_favicon_is_served_and_is_not_a_visit() -> None:
    from examples.tour import app

    async with app.test_client() as client:
        icon = await client.get("/favicon.ico")
        assert icon.status_code == 200
        assert icon.headers["content-type"] == "image/x-icon"
        assert icon.content[:4] == b"\0\0\1\0"  # an ICO file's header
        page = await client.get("/pages/")
        assert 'rel="icon" href="/static/favicon.ico"' in page.text
        assert "Visit 1 " in page.text


async def test_every_page_of_the_tour_has_the_header_and_each_link_works() -> None:
    from examples.tour import app

    async with app.test_client() as client:
        for path in ("/", "/pages/", "/pages/contact", "/chat/lobby", "/teapot"):
            page = (await client.get(path)).text
            assert "/static/site.css" in page, path
            assert 'name="viewport"' in page, path
            links = header_links(page)
            assert [label for _, label in links] == [
                "Pages",
                "Contact",
                "Chat",
                "Inspector",
            ], path
            for url, _ in links:
                assert (await client.get(url)).status_code == 200, url


async def test_the_chat_app_alone_links_only_to_what_it_serves() -> None:
    from examples.chat import app

    async with app.test_client() as client:
        page = (await client.get("/chat/lobby")).text
    assert "/static/site.css" in page
    assert header_links(page) == [("/chat/lobby", "Chat")]
    assert 'class="brand" href="/chat/lobby"' in page
