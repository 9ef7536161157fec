"""Every code block of the README and of the documentation site runs, so none
can rot.

A page is README.md or a Markdown file under docs/. Its fenced blocks (also
when indented under a list item) are of these kinds, told apart by the
block's language and first line:

* **a file**: the first line names it (``# hello.py``, ``# notes/views.py``,
  ``# pyproject.toml``, ``{# notes/templates/base.html #}``). The page's
  files make a small project in an empty folder, written before anything
  runs. The tutorial's pages (docs/tutorial/) make one project together.
* **python**: runs in page order in one namespace per page, with the
  project's folder as the working folder, as a reader pastes them into one
  session: each block may use what the blocks above it on the same page
  defined. The ``test_*`` functions they define are then called, their
  parameters taken from that namespace (coroutines are run).
* **console**: a terminal session in the project's folder. Each ``$ ``
  line is run (``python``, ``pytest`` and ``app-framework`` are this
  interpreter's) and must succeed; each line printed below it in the page
  must appear in what it printed.
* **sh** and **text**: shown, not run: the explicit marker for commands a
  reader runs elsewhere (``make run``, ``uvicorn ... --workers 4``) and for
  code that is not meant to run here (an import that must come first in a
  process, a log line). Any other block, or one with no language, fails
  ``test_every_block_is_of_a_known_kind``.

MyST directives (```{toctree}, ```{eval-rst}) are the site's structure,
not code blocks.

After the files and blocks of a project run, pytest runs in its folder when
it holds tests and the page has no console block that does.
"""

from __future__ import annotations

import asyncio
import inspect
import os
import re
import shlex
import subprocess
import sys
import textwrap
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[1]
DOCS = ROOT / "docs"
_FENCE = re.compile(
    r"^( *)```(\{[\w-]+\}|\w*)[^\n]*\n(.*?)^\1```[ \t]*$", re.MULTILINE | re.DOTALL
)
_FILE = re.compile(
    r"^(?:# (?P<py>[\w./-]+\.(?:py|toml|cfg|ini|txt|env|sql))"
    r"|\{# (?P<jinja>[\w./-]+) #\}"
    r"|<!-- (?P<html>[\w./-]+) -->)\n"
)
SHOWN_ONLY = {"sh", "text"}
RUN = {"python", "console"}


@dataclass(frozen=True)
class Block:
    page: Path
    line: int
    language: str
    code: str

    @property
    def file_name(self) -> str | None:
        named = _FILE.match(self.code)
        if named is None:
            return None
        return named["py"] or named["jinja"] or named["html"]

    @property
    def where(self) -> str:
        return f"{self.page.relative_to(ROOT)}, block at line {self.line}"


def pages() -> list[Path]:
    """README.md, then every page of the site (the contributors' DOCS.md
    drafts are not pages)."""
    found = sorted(
        path
        for path in DOCS.rglob("*.md")
        if path.name != "DOCS.md" and "_build" not in path.parts
    )
    return [ROOT / "README.md", *found]


def blocks(page: Path) -> list[Block]:
    text = page.read_text()
    return [
        Block(
            page,
            text.count("\n", 0, match.start()) + 1,
            match[2],
            textwrap.dedent(match[3]) if match[1] else match[3],
        )
        for match in _FENCE.finditer(text)
        if not match[2].startswith("{")  # a MyST directive ({toctree}), not code
    ]


def project_pages(page: Path) -> list[Path]:
    """The pages whose files make ``page``'s project: the whole tutorial
    (in its table of contents' order) for a tutorial page."""
    if page.parent != DOCS / "tutorial":
        return [page]
    toc = (DOCS / "tutorial" / "index.md").read_text()
    listed = re.search(r"```\{toctree\}\n(.*?)```", toc, re.DOTALL)
    assert listed, "docs/tutorial/index.md has no toctree"
    names = [
        line.strip()
        for line in listed[1].splitlines()
        if line.strip() and not line.startswith(":")
    ]
    return [DOCS / "tutorial" / "index.md"] + [
        DOCS / "tutorial" / f"{name}.md" for name in names
    ]


def write_project(page: Path, folder: Path) -> dict[str, str]:
    files: dict[str, str] = {}
    for each in project_pages(page):
        for block in blocks(each):
            if block.file_name:
                files[block.file_name] = block.code
    for name, code in files.items():
        (folder / name).parent.mkdir(parents=True, exist_ok=True)
        (folder / name).write_text(code)
    return files


def _command(words: list[str]) -> list[str]:
    tools = {
        "python": [sys.executable],
        "pytest": [sys.executable, "-m", "pytest", "-p", "no:cacheprovider"],
        "app-framework": [sys.executable, "-m", "app_framework"],
    }
    assert words[0] in tools, f"a console block may run {sorted(tools)}, not {words[0]}"
    return tools[words[0]] + words[1:]


def run_console(block: Block, folder: Path) -> None:
    commands: list[tuple[str, list[str]]] = []
    for line in block.code.splitlines():
        if line.startswith("$ "):
            commands.append((line[2:], []))
        elif line.strip():
            assert commands, f"{block.where}: output before any '$ ' command"
            commands[-1][1].append(line.strip())
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(folder), str(ROOT)])}
    for command, expected in commands:
        done = subprocess.run(
            _command(shlex.split(command)),
            cwd=folder,
            capture_output=True,
            text=True,
            timeout=60,
            env=env,
        )
        printed = done.stdout + done.stderr
        assert done.returncode == 0, f"{block.where}: `{command}` failed:\n{printed}"
        for line in expected:
            assert line in printed, (
                f"{block.where}: `{command}` did not print {line!r}:\n{printed}"
            )


def run_python(page: Path, folder: Path) -> dict[str, Any]:
    name = "docs_" + re.sub(r"\W", "_", page.stem)
    namespace: dict[str, Any] = {"__name__": name, "__file__": str(folder / "page.py")}
    for block in blocks(page):
        if block.language != "python" or block.file_name:
            continue
        try:
            # Compiled as the page's own lines, so a traceback points into it.
            source = "\n" * block.line + block.code
            exec(compile(source, str(page), "exec"), namespace)
        except Exception as error:
            raise AssertionError(f"{block.where}: {error!r}") from error
    for test_name, func in list(namespace.items()):
        if not (test_name.startswith("test_") and callable(func)):
            continue
        arguments = {p: namespace[p] for p in inspect.signature(func).parameters}
        result = func(**arguments)
        if inspect.iscoroutine(result):
            asyncio.run(result)
    return namespace


def run_project_tests(page: Path, folder: Path) -> None:
    done = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider"],
        cwd=folder,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert re.search(r"\b\d+ passed\b", done.stdout), done.stdout


def test_every_block_is_of_a_known_kind() -> None:
    unknown = [
        f"{block.where}: ```{block.language}"
        for page in pages()
        for block in blocks(page)
        if not block.file_name and block.language not in RUN | SHOWN_ONLY
    ]
    assert not unknown, (
        "each block runs (python, console), is a file (its first line names it)"
        " or is marked as shown only (sh, text): " + "; ".join(unknown)
    )


@pytest.mark.parametrize("page", pages(), ids=lambda page: str(page.relative_to(ROOT)))
def test_the_page_runs(
    page: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    files = write_project(page, tmp_path)
    monkeypatch.chdir(tmp_path)
    run_python(page, tmp_path)
    consoles = [block for block in blocks(page) if block.language == "console"]
    for block in consoles:
        run_console(block, tmp_path)
    has_tests = any(Path(name).name.startswith("test_") for name in files)
    runs_pytest = any("$ pytest" in block.code for block in consoles)
    if has_tests and not runs_pytest and page.parent != DOCS / "tutorial":
        run_project_tests(page, tmp_path)
