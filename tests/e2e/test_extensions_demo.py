"""``examples.extensions_demo`` (a Flask app with Flask-Login, Flask-WTF and
Flask-Cors as installed, through ``app_framework.compat.flask``) in Chromium,
under real uvicorns on 127.0.0.1.

Two copies of the demo run: ``partner`` on one port, and ``demo`` on another
with ``EXTENSIONS_DEMO_PARTNER`` naming the partner's origin, so a page of
the partner reads the demo's JSON API across origins and a page of the demo
cannot read the partner's. Skipped without Chromium (see
``tests/helpers/browser.py``); screenshots go to ``build/screenshots/``.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from tests.helpers.browser import (
    By,
    WebDriver,
    chromium,
    fresh_tab,
    shot,
    wait_for_text,
)
from tests.helpers.servers import Server, uvicorn

APP = "examples.extensions_demo:app"


@pytest.fixture(scope="module")
def partner() -> Iterator[Server]:
    with uvicorn(APP) as running:
        yield running


@pytest.fixture(scope="module")
def demo(partner: Server) -> Iterator[Server]:
    with uvicorn(APP, env={"EXTENSIONS_DEMO_PARTNER": partner.url}) as running:
        yield running


@pytest.fixture(scope="module")
def browser() -> Iterator[WebDriver]:
    with chromium() as driver:
        yield driver


@pytest.fixture
def tab(browser: WebDriver) -> Iterator[WebDriver]:
    with fresh_tab(browser) as driver:
        yield driver


def log_in(tab: WebDriver, demo: Server, password: str = "analytical-engine") -> None:
    """Open the board, get sent to the login form, and fill it in as ada."""
    tab.get(demo.url + "/board")
    wait_for_text(tab, ".flash.error", "Please log in to access this page.")
    tab.find_element(By.ID, "username").send_keys("ada")
    tab.find_element(By.ID, "password").send_keys(password)
    tab.find_element(By.CSS_SELECTOR, "main form button").click()


def run_js(tab: WebDriver, script: str, *args: Any) -> Any:
    """Run ``script`` (an async function body, its arguments in ``args``) in
    the page and return what it returns."""
    wrapper = (
        "const done = arguments[arguments.length - 1];"
        f"(async (...args) => {{ {script} }})(...Array.from(arguments).slice(0, -1))"
        ".then(done, (error) => done('threw ' + error.name));"
    )
    return tab.execute_async_script(wrapper, *args)


POST_NOTE = """
const [text, token] = args;
const body = new FormData();
body.append("text", text);
if (token !== null) body.append("csrf_token", token);
const reply = await fetch("/board", {method: "POST", body});
const page = new DOMParser().parseFromString(await reply.text(), "text/html");
const reason = page.querySelector("#reason");
return [reply.status, reason && reason.textContent, reply.redirected];
"""


def test_a_member_logs_in_posts_a_note_and_logs_out(
    tab: WebDriver, demo: Server
) -> None:
    log_in(tab, demo, password="difference-engine")
    wait_for_text(tab, ".flash.error", "Unknown user or wrong password.")
    tab.find_element(By.ID, "password").send_keys("analytical-engine")
    shot(tab, "ext-01-login")
    tab.find_element(By.CSS_SELECTOR, "main form button").click()
    wait_for_text(tab, ".flash", "Welcome, ada!")
    assert tab.current_url == demo.url + "/board"

    tab.find_element(By.ID, "text").send_keys("Bring the punched cards")
    tab.find_element(By.CSS_SELECTOR, "#note-form button").click()
    wait_for_text(tab, ".flash", "Noted: Bring the punched cards")
    wait_for_text(tab, "#notes li", "ada: Bring the punched cards")
    shot(tab, "ext-02-noted")

    tab.find_element(By.ID, "logout").click()
    wait_for_text(tab, ".flash", "You are logged out.")
    tab.get(demo.url + "/board")
    wait_for_text(tab, ".flash.error", "Please log in to access this page.")
    assert tab.current_url == demo.url + "/login?next=%2Fboard"


def test_a_post_without_the_pages_token_is_refused(
    tab: WebDriver, demo: Server
) -> None:
    log_in(tab, demo)
    wait_for_text(tab, ".flash", "Welcome, ada!")
    token = tab.find_element(By.ID, "csrf_token").get_attribute("value")
    assert token
    assert run_js(tab, POST_NOTE, "no token", None) == [
        400,
        "The CSRF token is missing.",
        False,
    ]
    assert run_js(tab, POST_NOTE, "bad token", token[:-4] + "AAAA") == [
        400,
        "The CSRF token is invalid.",
        False,
    ]
    assert run_js(tab, POST_NOTE, "with the token", token) == [200, None, True]

    # The page's own form, its hidden token taken out before it is sent.
    tab.execute_script("document.getElementById('csrf_token').remove()")
    tab.find_element(By.ID, "text").send_keys("forged")
    tab.find_element(By.CSS_SELECTOR, "#note-form button").click()
    wait_for_text(tab, "#reason", "The CSRF token is missing.")
    shot(tab, "ext-03-refused")

    tab.get(demo.url + "/board")
    notes = [li.text for li in tab.find_elements(By.CSS_SELECTOR, "#notes li")]
    assert "ada: with the token" in notes
    for refused in ("no token", "bad token", "forged"):
        assert f"ada: {refused}" not in notes


READ_NOTES = """
const [url] = args;
const reply = await fetch(url);
return [reply.status, Array.isArray((await reply.json()).notes)];
"""


def test_the_partner_site_reads_the_api_and_no_other_site_does(
    tab: WebDriver, demo: Server, partner: Server
) -> None:
    tab.get(partner.url + "/login")
    assert run_js(tab, READ_NOTES, demo.url + "/api/notes") == [200, True]
    tab.get(demo.url + "/login")
    # The partner allows only its own default partner: the browser hides
    # the answer from the demo's page.
    assert run_js(tab, READ_NOTES, partner.url + "/api/notes") == "threw TypeError"
    assert run_js(tab, READ_NOTES, "/api/notes") == [200, True]  # same origin
