"""The demo in a real browser: Debian's Chromium, driven by selenium, against
``examples.tour`` under a real uvicorn on 127.0.0.1.

Each step leaves a screenshot in ``build/screenshots/`` (git-ignored); the
inspector's is also written to ``docs/inspector.png`` when
``SCREENSHOT_DOCS=1`` (``make e2e`` sets it). Without Chromium the module is
skipped with one line saying how to install it, unless ``E2E_REQUIRED=1``
(``make e2e`` and CI), where that is a failure (``tests/helpers/browser.py``).
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator

import pytest

from tests.helpers.browser import (
    By,
    WebDriver,
    chromium,
    fresh_tab,
    shot,
    wait_for_text,
)
from tests.helpers.servers import ROOT, Server, uvicorn


@pytest.fixture(scope="module")
def server() -> Iterator[Server]:
    with uvicorn("examples.tour:app", "--log-level", "info") as running:
        yield running


@pytest.fixture(scope="module")
def browser() -> Iterator[WebDriver]:
    with chromium() as driver:
        yield driver


@pytest.fixture
def tab(browser: WebDriver) -> Iterator[WebDriver]:
    with fresh_tab(browser) as driver:
        yield driver


def test_the_landing_page_links_everything(tab: WebDriver, server: Server) -> None:
    tab.get(server.url + "/")
    assert "Signals you can see" in tab.title
    titles = [e.text for e in tab.find_elements(By.CSS_SELECTOR, ".card h2")]
    assert titles[:4] == ["Pages", "Contact form", "Chat room", "JSON API"]
    rows = tab.find_elements(By.CSS_SELECTOR, "table.signals tr")
    assert len(rows) == 20
    shot(tab, "01-landing")


def test_the_contact_form_flashes_across_the_redirect(
    tab: WebDriver, server: Server
) -> None:
    tab.get(server.url + "/pages/contact")
    tab.find_element(By.ID, "name").send_keys("Ada")
    tab.find_element(By.ID, "message").send_keys("Hello from a real browser")
    shot(tab, "02-contact-typed")
    tab.find_element(By.CSS_SELECTOR, "form button").click()
    flash = wait_for_text(tab, ".flash", "Thanks, Ada!")
    assert tab.current_url == server.url + "/pages/"
    assert "Hello, Ada!" in tab.find_element(By.TAG_NAME, "h1").text
    assert flash.is_displayed()
    shot(tab, "03-contact-flashed")
    tab.refresh()  # a flash is shown once
    wait_for_text(tab, "h1", "Hello, Ada!")
    assert not tab.find_elements(By.CSS_SELECTOR, ".flash")


def test_a_validation_error_keeps_what_was_typed(
    tab: WebDriver, server: Server
) -> None:
    tab.get(server.url + "/pages/contact")
    typed = "A long message <b>with markup</b>, typed by hand"
    tab.find_element(By.ID, "message").send_keys(typed)
    tab.find_element(By.CSS_SELECTOR, "form button").click()
    wait_for_text(tab, ".flash.error", "Please give your name")
    assert tab.find_element(By.ID, "message").get_property("value") == typed
    assert tab.find_element(By.ID, "name").get_property("value") == ""
    shot(tab, "04-contact-kept")


def test_two_chat_tabs_hear_each_other(tab: WebDriver, server: Server) -> None:
    room = server.url + "/chat/e2e"
    tab.get(room)
    alice = tab.current_window_handle
    wait_for_text(tab, "#status", "connected")
    tab.switch_to.new_window("tab")
    bob = tab.current_window_handle
    tab.get(room)
    wait_for_text(tab, "#status", "connected")

    tab.find_element(By.ID, "message").send_keys("hi from bob")
    tab.find_element(By.CSS_SELECTOR, "#send button").click()
    wait_for_text(tab, "#log li", "[e2e] hi from bob")
    tab.switch_to.window(alice)
    wait_for_text(tab, "#log li", "[e2e] hi from bob")
    tab.find_element(By.ID, "message").send_keys("hello bob, alice here")
    tab.find_element(By.CSS_SELECTOR, "#send button").click()
    wait_for_text(tab, "#log li", "alice here")
    shot(tab, "05-chat-alice")
    tab.switch_to.window(bob)
    wait_for_text(tab, "#log li", "[e2e] hello bob, alice here")
    shot(tab, "06-chat-bob")


def test_the_inspector_shows_a_request_made_in_another_tab(
    tab: WebDriver, server: Server
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

    post = wait_for_text(tab, ".record", "POST")
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
    hostile = wait_for_text(tab, ".record", "<img src=x")
    assert "404" in hostile.text
    assert tab.title == "Signal inspector"

    # The filters: by signal, then by path.
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
    path = shot(tab, "07-inspector")
    if os.environ.get("SCREENSHOT_DOCS") == "1":
        shutil.copyfile(path, ROOT / "docs" / "inspector.png")
