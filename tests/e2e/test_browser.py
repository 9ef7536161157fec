"""The demo in a real browser: Debian's Chromium, driven by selenium, against
``examples.tour`` under a real uvicorn on 127.0.0.1, at two sizes: a
desktop window (1280x900) and a phone held upright (390x844, Chromium's
mobile emulation). Every test runs at both.

Each step leaves a screenshot in ``build/screenshots/<size>-<step>.png``
(git-ignored); the desktop inspector's, one record opened, is also written
to ``docs/inspector.png`` when ``SCREENSHOT_DOCS=1`` (``make e2e`` sets it).
Without Chromium the module is skipped with one line saying how to install
it, unless ``E2E_REQUIRED=1`` (``make e2e`` and CI), where that is a
failure (``tests/helpers/browser.py``).
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator

import pytest

from tests.helpers.browser import (
    SIZES,
    By,
    WebDriver,
    chromium,
    fresh_tab,
    overflow,
    shot,
    wait_for_text,
    wait_for_url,
)
from tests.helpers.servers import ROOT, Server, uvicorn

# The header's links: label -> (path, what the page's title holds).
NAV = {
    "Pages": ("/pages/", "Pages"),
    "Contact": ("/pages/contact", "Contact"),
    "Chat": ("/chat/lobby", "#lobby"),
    "Inspector": ("/_inspector/", "Signal inspector"),
}


@pytest.fixture(scope="module")
def server() -> Iterator[Server]:
    with uvicorn("examples.tour:app", "--log-level", "info") as running:
        yield running


@pytest.fixture(scope="module", params=list(SIZES))
def size(request: pytest.FixtureRequest) -> str:
    """The viewport this run of the tests uses ("desktop" or "phone")."""
    name = request.param
    assert isinstance(name, str)
    return name


@pytest.fixture(scope="module")
def browser(size: str) -> Iterator[WebDriver]:
    with chromium(size) as driver:
        yield driver


@pytest.fixture
def tab(browser: WebDriver) -> Iterator[WebDriver]:
    with fresh_tab(browser) as driver:
        yield driver


def fits(tab: WebDriver, size: str) -> list[str]:
    """What the page shown draws outside the screen sideways (see
    ``overflow``; a page without a viewport meta tag is laid out 980 px
    wide on a phone, one too wide for it wider than the screen)."""
    return overflow(tab, SIZES[size][0])


def test_the_landing_page_links_everything(
    tab: WebDriver, server: Server, size: str
) -> None:
    tab.get(server.url + "/")
    assert "Signals you can see" in tab.title
    titles = [e.text for e in tab.find_elements(By.CSS_SELECTOR, ".card h2")]
    assert titles[:4] == ["Pages", "Contact form", "Chat room", "JSON API"]
    rows = tab.find_elements(By.CSS_SELECTOR, "table.signals tr")
    assert len(rows) == 20
    assert fits(tab, size) == []
    shot(tab, f"{size}-01-landing")


def test_the_contact_form_flashes_across_the_redirect(
    tab: WebDriver, server: Server, size: str
) -> None:
    tab.get(server.url + "/pages/contact")
    tab.find_element(By.ID, "name").send_keys("Ada")
    tab.find_element(By.ID, "message").send_keys("Hello from a real browser")
    assert fits(tab, size) == []
    shot(tab, f"{size}-02-contact-typed")
    tab.find_element(By.CSS_SELECTOR, "form button").click()
    flash = wait_for_text(tab, ".flash", "Thanks, Ada!")
    assert tab.current_url == server.url + "/pages/"
    assert "Hello, Ada!" in tab.find_element(By.TAG_NAME, "h1").text
    assert flash.is_displayed()
    assert fits(tab, size) == []
    shot(tab, f"{size}-03-contact-flashed")
    tab.refresh()  # a flash is shown once
    wait_for_text(tab, "h1", "Hello, Ada!")
    assert not tab.find_elements(By.CSS_SELECTOR, ".flash")


def test_a_validation_error_keeps_what_was_typed(
    tab: WebDriver, server: Server, size: str
) -> None:
    tab.get(server.url + "/pages/contact")
    typed = "A long message <b>with markup</b>, typed by hand"
    tab.find_element(By.ID, "message").send_keys(typed)
    tab.find_element(By.CSS_SELECTOR, "form button").click()
    wait_for_text(tab, ".flash.error", "Please give your name")
    assert tab.find_element(By.ID, "message").get_property("value") == typed
    assert tab.find_element(By.ID, "name").get_property("value") == ""
    assert fits(tab, size) == []
    shot(tab, f"{size}-04-contact-kept")


def test_two_chat_tabs_hear_each_other(
    tab: WebDriver, server: Server, size: str
) -> None:
    room = server.url + "/chat/e2e"
    tab.get(room)
    alice = tab.current_window_handle
    wait_for_text(tab, "#status", "connected")
    # The room wears the site's header and stylesheet, like every page.
    assert tab.find_element(By.CSS_SELECTOR, "header nav").is_displayed()
    button = tab.find_element(By.CSS_SELECTOR, "#send button")
    assert button.value_of_css_property("background-color") == "rgba(59, 91, 219, 1)"
    tab.switch_to.new_window("tab")
    bob = tab.current_window_handle
    tab.get(room)
    wait_for_text(tab, "#status", "connected")

    tab.find_element(By.ID, "message").send_keys("hi from bob")
    tab.find_element(By.CSS_SELECTOR, "#send button").click()
    wait_for_text(tab, "#log li", "hi from bob")
    tab.switch_to.window(alice)
    wait_for_text(tab, "#log li", "hi from bob")
    long_word = "unbreakable" * 12  # must wrap, not widen the page
    tab.find_element(By.ID, "message").send_keys("hello bob, alice here " + long_word)
    tab.find_element(By.CSS_SELECTOR, "#send button").click()
    wait_for_text(tab, "#log li", "alice here")
    assert fits(tab, size) == []
    shot(tab, f"{size}-05-chat-alice")
    tab.switch_to.window(bob)
    wait_for_text(tab, "#log li", "hello bob, alice here")
    assert fits(tab, size) == []
    shot(tab, f"{size}-06-chat-bob")


def test_the_inspector_shows_a_request_made_in_another_tab(
    tab: WebDriver, server: Server, size: str
) -> None:
    tab.get(server.url + "/_inspector/")
    inspector = tab.current_window_handle
    wait_for_text(tab, "#state", "live")
    tab.switch_to.new_window("tab")
    tab.get(server.url + "/pages/contact")
    tab.find_element(By.ID, "name").send_keys("Grace")
    tab.find_element(By.ID, "message").send_keys("Watching the signals")
    tab.find_element(By.CSS_SELECTOR, "form button").click()
    wait_for_text(tab, ".flash", "Thanks, Grace!")
    # A path with markup in it: shown as text, never run.
    tab.get(server.url + "/pages/<img src=x onerror=document.title='pwned'>")
    tab.switch_to.window(inspector)

    # Each record is one line until opened.
    post = wait_for_text(tab, ".record", "POST")
    assert post.get_attribute("open") is None
    assert post.size["height"] < 50
    assert not post.find_elements(By.CSS_SELECTOR, "tr.signal td.name")[0].text
    post.find_element(By.TAG_NAME, "summary").click()
    names = [e.text for e in post.find_elements(By.CSS_SELECTOR, "tr.signal td.name")]
    assert names == [
        "appcontext_pushed",
        "request_started",
        "message_flashed",
        "request_finished",
        "request_tearing_down",
        "appcontext_tearing_down",
        "appcontext_popped",
    ]
    assert "message='Thanks, Grace! Your message was received.'" in post.text
    assert "examples.tour.connect_receivers.log_it" in post.text
    assert fits(tab, size) == []
    opened = shot(tab, f"{size}-07-inspector-opened")
    if size == "desktop" and os.environ.get("SCREENSHOT_DOCS") == "1":
        shutil.copyfile(opened, ROOT / "docs" / "inspector.png")
    hostile = wait_for_text(tab, ".record", "<img src=x")
    assert "404" in hostile.text
    assert tab.title == "Signal inspector"
    # What the browser fetched by itself is not recorded: no stylesheet,
    # no favicon (served by the demo, not a 404) among the records.
    paths = [
        r.get_attribute("data-path") or ""
        for r in tab.find_elements(By.CSS_SELECTOR, ".record")
    ]
    assert paths and not [p for p in paths if p == "/favicon.ico" or "/static/" in p]

    # The filters: by signal (which opens the records it matches), then by path.
    tab.find_element(By.ID, "signal").send_keys("message_flashed")
    visible = [
        r for r in tab.find_elements(By.CSS_SELECTOR, ".record") if r.is_displayed()
    ]
    assert visible and all("message_flashed" in r.text for r in visible)
    tab.find_element(By.ID, "signal").clear()
    tab.find_element(By.ID, "path").send_keys("/pages/")
    visible = [
        r for r in tab.find_elements(By.CSS_SELECTOR, ".record") if r.is_displayed()
    ]
    assert visible and all("/pages/" in r.text for r in visible)
    tab.find_element(By.ID, "path").clear()
    tab.find_element(By.ID, "signal").send_keys("message_flashed")
    assert fits(tab, size) == []
    shot(tab, f"{size}-08-inspector-filtered")


def test_the_nav_reaches_every_page(tab: WebDriver, server: Server, size: str) -> None:
    tab.get(server.url + "/")
    labels = [e.text for e in tab.find_elements(By.CSS_SELECTOR, "header nav a")]
    assert labels == list(NAV)
    for label, (path, title) in NAV.items():
        link = tab.find_element(By.LINK_TEXT, label)
        assert link.is_displayed(), f"{label} is not on the screen"
        link.click()
        wait_for_url(tab, server.url + path)
        assert title in tab.title
        assert fits(tab, size) == [], label
        # Every page, the inspector's too, has a way back to the start.
        tab.find_element(By.CSS_SELECTOR, "header a[href='/']").click()
        wait_for_url(tab, server.url + "/")


@pytest.mark.parametrize(
    ("name", "path"),
    [
        ("10-pages", "/pages/"),
        ("11-not-found", "/pages/" + "unbreakable" * 12),
        ("12-teapot", "/teapot"),
        ("13-failure", "/fails"),
    ],
)
def test_nothing_overflows_sideways(
    tab: WebDriver, server: Server, size: str, name: str, path: str
) -> None:
    tab.get(server.url + path)
    assert tab.find_element(By.CSS_SELECTOR, "header nav").is_displayed()
    assert fits(tab, size) == []
    shot(tab, f"{size}-{name}")
