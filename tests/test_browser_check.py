"""The line the browser tests skip with says what is missing and how to get it."""

from __future__ import annotations

import pytest

from tests.helpers.browser_check import missing_browser_message


def test_nothing_to_say_when_both_programs_are_there() -> None:
    assert missing_browser_message("/usr/bin/chromium", "/usr/bin/chromedriver") is None


@pytest.mark.parametrize(
    ("chromium_path", "chromedriver_path", "named", "command"),
    [
        (
            None,
            "/usr/bin/chromedriver",
            "chromium not found",
            "apt-get install chromium`",
        ),
        (
            "/usr/bin/chromium",
            None,
            "chromedriver not found",
            "apt-get install chromium-driver`",
        ),
        (
            None,
            None,
            "chromium and chromedriver not found",
            "apt-get install chromium chromium-driver`",
        ),
    ],
)
def test_the_skip_line_names_the_missing_program_and_its_package(
    chromium_path: str | None, chromedriver_path: str | None, named: str, command: str
) -> None:
    message = missing_browser_message(chromium_path, chromedriver_path)
    assert message is not None
    assert f"skipped: {named};" in message and command in message
