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
from selenium.common.exceptions import (  # noqa: E402
    StaleElementReferenceException,
    WebDriverException,
)
from selenium.webdriver.chrome.service import Service  # noqa: E402
from selenium.webdriver.common.by import By  # noqa: E402
from selenium.webdriver.remote.webdriver import WebDriver  # noqa: E402
from selenium.webdriver.remote.webelement import WebElement  # noqa: E402
from selenium.webdriver.support.ui import WebDriverWait  # noqa: E402

__all__ = [
    "SIZES",
    "WAIT",
    "By",
    "WebDriver",
    "WebElement",
    "chromium",
    "fresh_tab",
    "overflow",
    "shot",
    "wait_for_text",
    "wait_for_url",
]

SHOTS = ROOT / "build" / "screenshots"
WAIT = 10.0  # seconds: an upper bound, never a pause
SIZES = {"desktop": (1280, 900), "phone": (390, 844)}
"""The viewports the demo is tested at (CSS pixels): a laptop's window and
a phone held upright (an iPhone 12 to 15)."""


@contextmanager
def chromium(size: str = "desktop") -> Iterator[WebDriver]:
    """A headless Chromium for the block, its viewport one of :data:`SIZES`
    in every tab; chromedriver and the browser are stopped when it ends.

    ``"phone"`` is Chromium's mobile emulation: a touch screen that honours
    a page's ``<meta name="viewport">`` (without one a page is laid out
    980 px wide and shrunk, as on a real phone).
    """
    width, height = SIZES[size]
    options = webdriver.ChromeOptions()
    assert CHROMIUM is not None and CHROMEDRIVER is not None
    options.binary_location = CHROMIUM
    for argument in (
        "--headless=new",
        "--no-sandbox",  # CI runs as root
        "--disable-dev-shm-usage",
        "--disable-gpu",
        f"--window-size={width},{height}",
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
    if size == "phone":
        metrics = {"width": width, "height": height, "pixelRatio": 2.0}
        options.add_experimental_option("mobileEmulation", {"deviceMetrics": metrics})
    driver = webdriver.Chrome(service=Service(CHROMEDRIVER), options=options)
    driver.set_page_load_timeout(WAIT)
    if size != "phone":
        # --window-size counts the window's frame: grow the window by it,
        # so the page itself gets the size asked for.
        inner = driver.execute_script("return [innerWidth, innerHeight]")
        driver.set_window_size(2 * width - inner[0], 2 * height - inner[1])
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
        try:
            for element in d.find_elements(By.CSS_SELECTOR, css):
                if text in element.text:
                    return element
        except WebDriverException as error:
            # Chromedriver reports an element of a page that a navigation
            # has just replaced either as stale or, when the new document
            # commits between its two DevTools calls, as this "unknown
            # error"; both mean the same: look again in the new page.
            if "does not belong to the document" not in str(error.msg):
                raise
        return False

    # An element of the page being left goes stale under our feet: look again.
    waiting = WebDriverWait(
        driver, WAIT, ignored_exceptions=(StaleElementReferenceException,)
    )
    element = waiting.until(found, f"no {css} with {text!r}")
    assert isinstance(element, WebElement)
    return element


def wait_for_url(driver: WebDriver, url: str) -> None:
    """Return once the tab shows ``url`` (after a click that navigates)."""
    WebDriverWait(driver, WAIT).until(
        lambda d: d.current_url == url, f"never reached {url}"
    )


# Run in the page: what sticks out sideways. On a phone a page wider than
# the screen widens the layout viewport itself (innerWidth grows to fit, and
# the page is shown zoomed out), so innerWidth is compared with the width
# asked for first; then the page's scroll width, then every element drawn
# past the right (or left) edge, which also finds content clipped by an
# overflow: hidden box (a fixed-width column pushing values off-screen
# makes no scroll bar). Content in a box that scrolls sideways is fine.
_OVERFLOW = """
const width = arguments[0];
const found = [];
if (window.innerWidth !== width) {
  found.push(`laid out ${window.innerWidth} px wide on a ${width} px screen`);
}
const page = document.documentElement.scrollWidth;
if (page > window.innerWidth) {
  found.push(`the page is ${page} px wide in ${window.innerWidth} px`);
}
function scrolls(node) {
  for (let up = node.parentElement; up; up = up.parentElement) {
    const x = getComputedStyle(up).overflowX;
    if (x === "auto" || x === "scroll") return true;
  }
  return false;
}
for (const node of document.body.querySelectorAll("*")) {
  const box = node.getBoundingClientRect();
  if (!box.width || !box.height) continue;
  if (box.right <= width + 0.5 && box.left >= -0.5) continue;
  if (scrolls(node)) continue;
  const name = node.tagName.toLowerCase() + (node.id ? "#" + node.id : "")
    + (node.className && typeof node.className === "string"
       ? "." + node.className.trim().split(/\\s+/).join(".") : "");
  found.push(`${name} spans ${Math.round(box.left)}..${Math.round(box.right)} px`);
}
return found.slice(0, 12);
"""


def overflow(driver: WebDriver, width: int) -> list[str]:
    """What the page draws outside a viewport ``width`` CSS pixels wide
    (empty: nothing); each entry names the element and where it spans."""
    found = driver.execute_script(_OVERFLOW, width)
    assert isinstance(found, list)
    return [str(item) for item in found]
