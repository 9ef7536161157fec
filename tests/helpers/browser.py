"""Debian's Chromium, driven by selenium, for the tests in ``tests/e2e``.

Importing this module is the check: without Chromium and chromedriver it
skips the importing test module with one line saying how to install them,
unless ``E2E_REQUIRED=1`` (``make e2e`` and CI), where that is a failure.
Screenshots go to ``build/screenshots/`` (git-ignored).
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from tests.helpers.browser_check import missing_browser_message
from tests.helpers.servers import ROOT

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
CHROMEDRIVER = shutil.which("chromedriver")
INSTALL = missing_browser_message(CHROMIUM, CHROMEDRIVER)
if INSTALL is not None:
    if os.environ.get("E2E_REQUIRED") == "1":
        raise RuntimeError(INSTALL.replace("skipped", "required"))
    pytest.skip(INSTALL, allow_module_level=True)

from selenium import webdriver  # noqa: E402 (only with a browser to drive)
from selenium.common.exceptions import StaleElementReferenceException  # noqa: E402
from selenium.webdriver.chrome.service import Service  # noqa: E402
from selenium.webdriver.common.by import By  # noqa: E402
from selenium.webdriver.remote.webdriver import WebDriver  # noqa: E402
from selenium.webdriver.remote.webelement import WebElement  # noqa: E402
from selenium.webdriver.support.ui import WebDriverWait  # noqa: E402

__all__ = [
    "WAIT",
    "By",
    "WebDriver",
    "WebElement",
    "chromium",
    "fresh_tab",
    "shot",
    "wait_for_text",
]

SHOTS = ROOT / "build" / "screenshots"
WAIT = 10.0  # seconds: an upper bound, never a pause


@contextmanager
def chromium() -> Iterator[WebDriver]:
    """A headless Chromium for the block; chromedriver and the browser are
    stopped when it ends."""
    options = webdriver.ChromeOptions()
    assert CHROMIUM is not None and CHROMEDRIVER is not None
    options.binary_location = CHROMIUM
    for argument in (
        "--headless=new",
        "--no-sandbox",  # CI runs as root
        "--disable-dev-shm-usage",
        "--disable-gpu",
        "--window-size=1280,900",
        "--no-first-run",
        "--disable-extensions",
        # The machine's network is closed: nothing may reach out (the env
        # notes list these), and no password prompt or leak check may pop
        # up over a page after a login form is sent.
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--disable-features=PasswordLeakDetection,PasswordManagerOnboarding",
    ):
        options.add_argument(argument)
    options.add_experimental_option(
        "prefs",
        {
            "credentials_enable_service": False,
            "profile.password_manager_enabled": False,
        },
    )
    driver = webdriver.Chrome(service=Service(CHROMEDRIVER), options=options)
    driver.set_page_load_timeout(WAIT)
    try:
        yield driver
    finally:
        driver.quit()


@contextmanager
def fresh_tab(browser: WebDriver) -> Iterator[WebDriver]:
    """The browser with one tab, its cookies cleared, closing any others
    when the block ends."""
    first = browser.window_handles[0]
    browser.switch_to.window(first)
    browser.delete_all_cookies()
    try:
        yield browser
    finally:
        for handle in browser.window_handles:
            if handle != first:
                browser.switch_to.window(handle)
                browser.close()
        browser.switch_to.window(first)


def shot(driver: WebDriver, name: str) -> Path:
    """Save a screenshot as ``build/screenshots/<name>.png``."""
    SHOTS.mkdir(parents=True, exist_ok=True)
    path = SHOTS / f"{name}.png"
    driver.save_screenshot(str(path))
    return path


def wait_for_text(driver: WebDriver, css: str, text: str) -> WebElement:
    """The first element matching ``css`` whose text holds ``text``."""

    def found(d: WebDriver) -> WebElement | bool:
        for element in d.find_elements(By.CSS_SELECTOR, css):
            if text in element.text:
                return element
        return False

    # An element of the page being left goes stale under our feet: look again.
    waiting = WebDriverWait(
        driver, WAIT, ignored_exceptions=(StaleElementReferenceException,)
    )
    element = waiting.until(found, f"no {css} with {text!r}")
    assert isinstance(element, WebElement)
    return element
