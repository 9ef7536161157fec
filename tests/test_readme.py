"""Every Python block in the README runs, so none can rot.

Two kinds of block:

* a block whose first line names a file (``# conftest.py``, ``# hello.py``,
  ``# pyproject.toml``) is part of the small project the "Testing" section
  shows: those files are written to an empty folder and pytest is run
  there, on the user's own configuration, not ours;
* every other Python block (and ``hello.py``, which starts the story) runs
  in README order in one namespace, as the README reads: each block may use
  what the blocks above it defined. The ``test_*`` functions they define
  are then called, ``app`` (and any other parameter) taken from that
  namespace.
"""

from __future__ import annotations

import asyncio
import inspect
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
_BLOCK = re.compile(r"^```(\w+)\n(.*?)^```$", re.MULTILINE | re.DOTALL)
_FILE = re.compile(r"^# ([\w.]+\.(?:py|toml))\n")


def blocks() -> list[tuple[str, str, int]]:
    """``(language, code, line)`` of each fenced block of the README."""
    text = (ROOT / "README.md").read_text()
    return [
        (match[1], match[2], text.count("\n", 0, match.start()) + 1)
        for match in _BLOCK.finditer(text)
    ]


def project_files() -> dict[str, str]:
    """The files the README names in a block's first line."""
    files = {}
    for _, code, _ in blocks():
        named = _FILE.match(code)
        if named:
            files[named[1]] = code
    return files


def test_the_readme_has_python_blocks_and_the_testing_project() -> None:
    python = [code for language, code, _ in blocks() if language == "python"]
    assert len(python) >= 15
    assert {"hello.py", "conftest.py", "test_hello.py", "pyproject.toml"} <= set(
        project_files()
    )


def test_every_python_block_runs_in_order(tmp_path: Path) -> None:
    namespace: dict[str, Any] = {"__name__": "readme", "__file__": str(tmp_path / "x")}
    for language, code, line in blocks():
        if language != "python":
            continue
        named = _FILE.match(code)
        if named and named[1] != "hello.py":
            continue  # the testing project's own files: run by pytest below
        try:
            exec(compile(code, f"README.md, block at line {line}", "exec"), namespace)
        except Exception as error:
            raise AssertionError(f"README block at line {line}: {error!r}") from error
    tests = {
        name: value
        for name, value in namespace.items()
        if name.startswith("test_") and callable(value)
    }
    assert {
        "test_init_db",
        "test_me_as_alice",
        "test_chat",
        "test_home_sends_the_request_signals",
    } <= set(tests)
    for func in tests.values():
        arguments = {p: namespace[p] for p in inspect.signature(func).parameters}
        result = func(**arguments)
        if inspect.iscoroutine(result):
            asyncio.run(result)


def test_the_testing_section_is_a_project_that_passes(tmp_path: Path) -> None:
    for name, code in project_files().items():
        (tmp_path / name).write_text(code)
    done = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert re.search(r"\b[3-9] passed\b", done.stdout), done.stdout
