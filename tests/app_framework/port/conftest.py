"""The Flask originals' tests are run on Flask by test_port.py, in a
process of their own; this suite collects only the ports (all 24 of the
Flask tutorial's tests pass on its port, with nothing marked)."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from pathlib import Path

import pytest

collect_ignore = ["flask_journal_tests", "flask_flaskr_tests"]


@pytest.fixture(autouse=True)
def _no_instance_folder_left() -> Iterator[None]:
    """flaskr's factory makes its instance folder, which for a package
    found on ``sys.path`` is ``instance`` beside the ``tests`` package: a
    test leaves no folder it made there."""
    folder = Path(__file__).parents[3] / "instance"
    existed = folder.exists()
    yield
    if not existed:
        # rmdir: a folder a test wrote files into is an error, not removed
        with contextlib.suppress(FileNotFoundError):
            folder.rmdir()
