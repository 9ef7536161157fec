"""A Flask app and its tests port by renaming imports and adding
async/await, and nothing else.

``port/flask_notes.py`` and ``port/flask_notes_tests.py`` are a small
Flask app and its pytest tests as a Flask user writes them; they pass on
Flask itself (checked here). ``port/notes.py`` and ``port/test_notes.py``
are the port, whose tests run in this suite. This test compares their
syntax trees: with the renames below undone and every ``async``/``await``
taken away, the port must be the original exactly.

``port/quart_chat.py`` and ``port/quart_chat_tests.py`` are a Quart chat
room (websockets, no explicit accept, a task sending from a queue) and its
tests in Quart's test-client spelling, passing on Quart; ``port/chat.py``
and ``port/test_chat.py`` are their port, which differs by the renamed
imports alone.
"""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

PORT = Path(__file__).parent / "port"

RENAMES = {
    "flask": "app_framework",
    "flask_notes": "notes",
    "flask_journal": "journal",
    "Flask": "App",
    "FlaskClient": "TestClient",
    "FlaskCliRunner": "AppCliRunner",
    "Iterator": "AsyncIterator",  # a fixture that yields becomes async
    "quart": "app_framework",
    "quart_chat": "chat",
    "Quart": "App",
}


def _module(name: str | None) -> str | None:
    if name is None:
        return None
    first, dot, rest = name.partition(".")
    return RENAMES.get(first, first) + dot + rest


class _Unport(ast.NodeTransformer):
    """Turns a port back into what its original must be."""

    def visit_Await(self, node: ast.Await) -> Any:
        return self.visit(node.value)

    def visit_AsyncFunctionDef(self, node: ast.AsyncFunctionDef) -> Any:
        plain = ast.FunctionDef(**{f: getattr(node, f) for f in node._fields})
        return self.generic_visit(plain)

    def visit_AsyncWith(self, node: ast.AsyncWith) -> Any:
        return self.generic_visit(
            ast.With(**{f: getattr(node, f) for f in node._fields})
        )

    def visit_AsyncFor(self, node: ast.AsyncFor) -> Any:
        return self.generic_visit(
            ast.For(**{f: getattr(node, f) for f in node._fields})
        )


class _Rename(ast.NodeTransformer):
    """Applies the renames to an original."""

    def visit_Name(self, node: ast.Name) -> Any:
        node.id = RENAMES.get(node.id, node.id)
        return node

    def visit_ImportFrom(self, node: ast.ImportFrom) -> Any:
        node.module = _module(node.module)
        for alias in node.names:
            alias.name = RENAMES.get(alias.name, alias.name)
        return node


def _sorted_names(node: ast.AST) -> str:
    if isinstance(node, ast.ImportFrom):
        node.names.sort(key=lambda alias: alias.name)
    return ast.dump(node)


def _tree(path: Path) -> ast.Module:
    tree = ast.parse(path.read_text())
    tree.body = tree.body[1:]  # the module docstring says which file it is
    return tree


def _imports(tree: ast.Module) -> set[str]:
    return {
        _sorted_names(node)
        for node in tree.body
        if isinstance(node, ast.Import | ast.ImportFrom)
    }


def _rest(tree: ast.Module) -> list[str]:
    return [
        ast.dump(node)
        for node in tree.body
        if not isinstance(node, ast.Import | ast.ImportFrom)
    ]


@pytest.mark.parametrize(
    ("original", "port"),
    [
        ("flask_notes.py", "notes.py"),
        ("flask_notes_tests.py", "test_notes.py"),
        # Flask's tutorial layout: factory, instance config, blueprints with
        # an app-wide hook, a click command, open_resource, test_cli_runner.
        ("flask_journal/__init__.py", "journal/__init__.py"),
        ("flask_journal/db.py", "journal/db.py"),
        ("flask_journal/auth.py", "journal/auth.py"),
        ("flask_journal/entries.py", "journal/entries.py"),
        ("flask_journal_tests/conftest.py", "journal_tests/conftest.py"),
        ("flask_journal_tests/journal_tests.py", "journal_tests/test_journal.py"),
    ],
)
def test_the_port_is_the_original_with_renames_and_async_await_only(
    original: str, port: str
) -> None:
    expected = _Rename().visit(_tree(PORT / original))
    unported = _Unport().visit(_tree(PORT / port))
    # Import order may differ (isort puts first-party imports last); the
    # set of imports and everything else, in order, must not.
    assert _imports(unported) == _imports(expected)
    assert _rest(unported) == _rest(expected)
    # and the port really is async where the original has views or tests
    if original != "flask_journal/db.py":  # helpers and a command: no change
        assert "await " in (PORT / port).read_text()


@pytest.mark.parametrize(
    ("original", "port"),
    [("quart_chat.py", "chat.py"), ("quart_chat_tests.py", "test_chat.py")],
)
def test_a_quart_app_ports_by_renaming_its_imports_only(
    original: str, port: str
) -> None:
    """Quart is already async: its port is the renames and nothing else."""
    expected = _Rename().visit(_tree(PORT / original))
    ported = _tree(PORT / port)
    assert _imports(ported) == _imports(expected)
    assert _rest(ported) == _rest(expected)


def test_the_quart_originals_tests_pass_on_quart() -> None:
    """The chat room is a working Quart app: its own tests pass on Quart."""
    pytest.importorskip("quart", reason="Quart is a test dependency")
    result = _run_pytest(PORT / "quart_chat_tests.py", "quart_chat_tests.py")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "4 passed" in result.stdout


def _run_pytest(where: Path, files: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [
            sys.executable,
            "-m",
            "pytest",
            "-q",
            "-p",
            "no:cacheprovider",
            "-o",
            f"python_files={files}",
            str(where),
        ],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=PORT.parents[2],
    )


def test_the_journals_original_tests_pass_on_flask() -> None:
    """The journal is a working Flask app: its own tests pass on Flask."""
    pytest.importorskip("flask", reason="Flask is a test dependency")
    result = _run_pytest(PORT / "flask_journal_tests", "journal_tests.py")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "13 passed" in result.stdout


def test_the_original_tests_pass_on_flask() -> None:
    """The original is a working Flask app with passing tests."""
    flask = pytest.importorskip("flask", reason="Flask is a test dependency")
    from .port import flask_notes_tests as original
    from .port.flask_notes import create_app

    assert flask.__name__ == "flask"
    tests = [name for name in dir(original) if name.startswith("test_")]
    assert len(tests) == 7
    for name in tests:
        app = create_app({"TESTING": True})
        getattr(original, name)(app.test_client())
