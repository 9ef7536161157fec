"""What the browser tests need that the machine lacks, as one line.

Apart from :mod:`tests.helpers.browser` because importing that module skips
the importer when a browser is missing; this one is always importable, so
the message itself is tested everywhere.
"""

from __future__ import annotations

# Debian's package for each program the browser tests run.
PACKAGES = {"chromium": "chromium", "chromedriver": "chromium-driver"}


def missing_browser_message(
    chromium_path: str | None, chromedriver_path: str | None
) -> str | None:
    """The skip line naming what is missing (Chromium, chromedriver or both)
    and the command that installs exactly that; ``None`` when both are found.
    """
    found = {"chromium": chromium_path, "chromedriver": chromedriver_path}
    missing = [program for program, path in found.items() if not path]
    if not missing:
        return None
    packages = " ".join(PACKAGES[program] for program in missing)
    return (
        f"browser tests skipped: {' and '.join(missing)} not found; install "
        f"with `apt-get install {packages}` (as root), then `make e2e`"
    )
