"""Flask's tutorial and Flask's own test files, ported mechanically, and run.

The issue "Flask surface, round 3" measures the Flask surface by porting
Flask's code with renames and ``await`` only. This tool does that port
reproducibly and reports how much of it passes:

1. ``pip download`` the sdist of the installed Flask version into
   ``build/flask-port/`` (reused when already there) and unpack it;
2. port the tutorial (flaskr and its tests) and ``tests/`` with an AST
   transformer: module and class renames, and ``async``/``await`` where a
   call gives a coroutine in app_framework (found by introspection);
3. run pytest on every ported test file in its own process and print a
   markdown table, the flaskr score, and the failures grouped by cause.

Nothing of Flask's is committed: it is read from the sdist at run time and
the port is written under ``build/``. Run it as::

    .venv/bin/python bench/flask_port.py [--only test_basic ...] [--port-only]
"""

from __future__ import annotations

import argparse
import ast
import importlib
import importlib.metadata
import inspect
import os
import re
import shutil
import subprocess
import sys
import tarfile
import xml.etree.ElementTree as ET
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
BUILD = REPO / "build" / "flask-port"
PORTED = BUILD / "ported"
REPORTS = BUILD / "reports"

TEST_FILES = (
    "test_views",
    "test_helpers",
    "test_json",
    "test_config",
    "test_user_error_handler",
    "test_async",
    "test_converters",
    "test_request",
    "test_testing",
    "test_session_interface",
    "test_regression",
    "test_logging",
    "test_instance_config",
    "test_json_tag",
    "test_cli",
    "test_basic",
    "test_blueprints",
    "test_reqctx",
    "test_appctx",
    "test_signals",
    "test_templating",
    "test_subclassing",
)
FLASKR_TESTS = 24

# Tests that cannot apply to an ASGI framework, by "file::function" (every
# parametrization of it). A feature app_framework lacks does not go here.
NOT_APPLICABLE: dict[str, str] = {
    "test_cli::test_get_version": "checks the version line of the flask package itself",
    "test_request::test_limit_config": (
        "builds a Request from a WSGI environ dict; an ASGI request takes a scope"
        " and a receive channel"
    ),
    "test_subclassing::test_suppressed_exception_logging": (
        "passes errors_stream=, the WSGI environ's wsgi.errors, which ASGI lacks"
    ),
    "test_logging::test_wsgi_errors_stream": (
        "passes errors_stream=, the WSGI environ's wsgi.errors, which ASGI lacks"
    ),
    "test_logging::test_log_view_exception": (
        "passes errors_stream=, the WSGI environ's wsgi.errors, which ASGI lacks"
    ),
    "test_templating::test_templates_auto_reload_debug_run": (
        "patches werkzeug.serving.run_simple to stub app.run (werkzeug's dev server)"
    ),
    "test_basic::test_werkzeug_passthrough_errors": (
        "patches werkzeug.serving.run_simple to check the options app.run gives"
        " werkzeug's dev server (app.run here gives uvicorn its own)"
    ),
    "test_basic::test_run_defaults": (
        "patches werkzeug.serving.run_simple (werkzeug's dev server)"
    ),
    "test_basic::test_run_server_port": (
        "patches werkzeug.serving.run_simple (werkzeug's dev server)"
    ),
    "test_basic::test_run_from_config": (
        "patches werkzeug.serving.run_simple (werkzeug's dev server)"
    ),
    "test_basic::test_session_using_application_root": (
        "wraps app.wsgi_app in a WSGI middleware that sets environ['SCRIPT_NAME']"
    ),
}

# --- renames

OLD_MODULE = "flask"
NEW_MODULE = "app_framework"
NAME_RENAMES = {
    "Flask": "App",
    "FlaskClient": "TestClient",
    "FlaskCliRunner": "AppCliRunner",
}
DOTTED_MODULE_STRING = re.compile(rf"{OLD_MODULE}(\.[A-Za-z_]\w*)+")

# Calls that make an object used as ``async with`` in app_framework.
ASYNC_CM_FACTORIES = frozenset(
    {
        "app_context",
        "test_request_context",
        "request_context",
        "test_client",
        "session_transaction",
    }
)
CTX_FACTORIES = frozenset({"app_context", "test_request_context", "request_context"})


def _coroutine_methods(*classes: type) -> frozenset[str]:
    """The public method names of ``classes`` whose call gives a coroutine."""
    names = set()
    for cls in classes:
        for name, value in inspect.getmembers(cls):
            if not name.startswith("_") and inspect.iscoroutinefunction(value):
                names.add(name)
    return frozenset(names)


def _receiver_methods() -> dict[str, frozenset[str]]:
    """What awaits each kind of receiver needs, read from app_framework."""
    from app_framework import App, Blueprint, ctx, testing

    return {
        "client": _coroutine_methods(testing.TestClient),
        "ctx": _coroutine_methods(ctx.AppContext, ctx.RequestContext),
        "app": _coroutine_methods(App, Blueprint),
    }


_resolved: dict[str, bool] = {}


def is_coroutine_function_at(dotted: str) -> bool:
    """Whether ``dotted`` (``app_framework.x.y``) names a coroutine function."""
    if dotted not in _resolved:
        _resolved[dotted] = _resolve_coroutine(dotted)
    return _resolved[dotted]


def _resolve_coroutine(dotted: str) -> bool:
    parts = dotted.split(".")
    for cut in range(len(parts) - 1, 0, -1):
        try:
            obj: Any = importlib.import_module(".".join(parts[:cut]))
        except ImportError:
            continue
        for attr in parts[cut:]:
            # Only modules and classes: ``g.x`` must not ask a context proxy.
            if not (inspect.ismodule(obj) or inspect.isclass(obj)):
                return False
            obj = getattr(obj, attr, None)
        return inspect.iscoroutinefunction(obj)
    return False


def rename_module(name: str) -> str:
    """``flask.x`` -> ``app_framework.x``; any other module name unchanged."""
    if name == OLD_MODULE or name.startswith(OLD_MODULE + "."):
        return NEW_MODULE + name[len(OLD_MODULE) :]
    return name


def dotted_name(node: ast.expr) -> str | None:
    """``a.b.c`` for a chain of names and attributes, else None."""
    parts = []
    while isinstance(node, ast.Attribute):
        parts.append(node.attr)
        node = node.value
    if not isinstance(node, ast.Name):
        return None
    parts.append(node.id)
    return ".".join(reversed(parts))


def last_identifier(node: ast.expr) -> str | None:
    """The name a receiver is known by: ``c`` for ``c``, ``_client`` for
    ``self._client``."""
    if isinstance(node, ast.Name):
        return node.id
    if isinstance(node, ast.Attribute):
        return node.attr
    return None


def factory_method(node: ast.expr) -> str | None:
    """``m`` when ``node`` is a call ``<anything>.m(...)``."""
    if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute):
        return node.func.attr
    return None


# --- what the whole ported project knows


@dataclass
class Knowledge:
    """Functions of the ported project that became async, so calls to them
    are awaited in every file (found by porting to a fixed point)."""

    functions: set[str] = field(default_factory=set)
    methods: set[str] = field(default_factory=set)
    decorators: set[str] = field(default_factory=set)

    def snapshot(self) -> tuple[frozenset[str], ...]:
        """A comparable copy, to tell when porting again changes nothing."""
        return (
            frozenset(self.functions),
            frozenset(self.methods),
            frozenset(self.decorators),
        )


@dataclass
class Frame:
    """One function (or lambda) being ported."""

    is_lambda: bool = False
    needs_async: bool = False
    awaited_names: frozenset[str] = frozenset()


@dataclass
class Bindings:
    """What the names of one module refer to, read before porting it."""

    clients: set[str] = field(default_factory=lambda: {"client"})
    contexts: set[str] = field(default_factory=set)
    apps: set[str] = field(default_factory=lambda: {"app", "current_app"})
    imported: dict[str, str] = field(default_factory=dict)
    renamed: dict[str, str] = field(default_factory=dict)
    module_aliases: set[str] = field(default_factory=set)
    # Names bound to ``getattr(client, name)``: the client's request methods
    # are all coroutines, so calling such a name is awaited.
    client_methods: set[str] = field(default_factory=set)


def read_bindings(tree: ast.Module) -> Bindings:
    """Names bound to a test client, a context or an app, and imports."""
    found = Bindings()
    for node in ast.walk(tree):
        if isinstance(node, ast.Assign):
            targets = [t.id for t in node.targets if isinstance(t, ast.Name)]
            _bind(found, targets, node.value)
        elif isinstance(node, ast.withitem) and isinstance(
            node.optional_vars, ast.Name
        ):
            _bind(found, [node.optional_vars.id], node.context_expr)
        elif isinstance(node, ast.Import):
            for alias in node.names:
                if rename_module(alias.name) != alias.name:
                    found.module_aliases.add((alias.asname or alias.name).split(".")[0])
        elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
            module = rename_module(node.module)
            if module != node.module:
                for alias in node.names:
                    real = NAME_RENAMES.get(alias.name, alias.name)
                    local = alias.asname or real
                    found.imported[local] = f"{module}.{real}"
                    if alias.asname is None and real != alias.name:
                        found.renamed[alias.name] = real
    return found


def _bind(found: Bindings, names: list[str], value: ast.expr) -> None:
    made_by = factory_method(value)
    if _is_client_getattr(found, value):
        found.client_methods.update(names)
    elif made_by == "test_client":
        found.clients.update(names)
    elif made_by in CTX_FACTORIES:
        found.contexts.update(names)
    elif isinstance(value, ast.Call) and (last_identifier(value.func) or "").endswith(
        ("Flask", "App", "Blueprint")
    ):
        found.apps.update(names)


def _is_client_getattr(found: Bindings, value: ast.expr) -> bool:
    """Whether ``value`` is ``getattr(<a test client>, ...)``."""
    if not (
        isinstance(value, ast.Call)
        and isinstance(value.func, ast.Name)
        and value.func.id == "getattr"
        and value.args
    ):
        return False
    name = last_identifier(value.args[0])
    return name is not None and (name in found.clients or "client" in name.lower())


# --- the transformer


class FlaskPort(ast.NodeTransformer):
    """Renames Flask's names and adds ``async``/``await`` where app_framework
    gives coroutines; records what became async in ``knowledge``."""

    def __init__(
        self,
        bindings: Bindings,
        knowledge: Knowledge,
        learned: Knowledge,
        receivers: dict[str, frozenset[str]],
    ) -> None:
        self.bindings = bindings
        self.knowledge = knowledge
        self.learned = learned
        self.receivers = receivers
        # The functions and classes around the node being ported.
        self.scopes: list[Frame | ast.ClassDef] = []
        self.enclosing: list[str] = []

    def frame(self) -> Frame | None:
        """The function directly around the node, None in a class body or
        at module level, where nothing can be awaited."""
        scope = self.scopes[-1] if self.scopes else None
        return scope if isinstance(scope, Frame) else None

    # renames

    def visit_Import(self, node: ast.Import) -> ast.AST:
        for alias in node.names:
            alias.name = rename_module(alias.name)
        return node

    def visit_ImportFrom(self, node: ast.ImportFrom) -> ast.AST:
        if node.module and not node.level and rename_module(node.module) != node.module:
            node.module = rename_module(node.module)
            for alias in node.names:
                alias.name = NAME_RENAMES.get(alias.name, alias.name)
        return node

    def visit_Name(self, node: ast.Name) -> ast.AST:
        if node.id in self.bindings.module_aliases:
            node.id = rename_module(node.id)
        else:
            # Only a name imported from Flask: a test's own ``class Flask``
            # keeps its name.
            node.id = self.bindings.renamed.get(node.id, node.id)
        return node

    def visit_Attribute(self, node: ast.Attribute) -> ast.AST:
        self.generic_visit(node)
        root = dotted_name(node)
        if root and root.split(".")[0] == NEW_MODULE:
            node.attr = NAME_RENAMES.get(node.attr, node.attr)
        return node

    def visit_Constant(self, node: ast.Constant) -> ast.AST:
        if isinstance(node.value, str) and DOTTED_MODULE_STRING.fullmatch(node.value):
            node.value = rename_module(node.value)
        return node

    # async / await

    def visit_Lambda(self, node: ast.Lambda) -> ast.AST:
        self.scopes.append(Frame(is_lambda=True))
        self.generic_visit(node)
        self.scopes.pop()
        return node

    def visit_ClassDef(self, node: ast.ClassDef) -> ast.AST:
        self.scopes.append(node)
        self.generic_visit(node)
        self.scopes.pop()
        return node

    def visit_FunctionDef(self, node: ast.FunctionDef) -> ast.AST:
        wrapped = self._wrapped_async_function(node)
        frame = Frame(awaited_names=frozenset([wrapped] if wrapped else []))
        self.scopes.append(frame)
        self.enclosing.append(node.name)
        self.generic_visit(node)
        self.enclosing.pop()
        self.scopes.pop()
        if not (frame.needs_async or wrapped or self._is_test(node)):
            return node
        self._learn(node, newly_async=True)
        fields = {name: getattr(node, name) for name in node._fields}
        return ast.copy_location(ast.AsyncFunctionDef(**fields), node)

    def visit_AsyncFunctionDef(self, node: ast.AsyncFunctionDef) -> ast.AST:
        self.scopes.append(Frame())
        self.enclosing.append(node.name)
        self.generic_visit(node)
        self.enclosing.pop()
        self.scopes.pop()
        self._learn(node, newly_async=False)
        return node

    def visit_Call(self, node: ast.Call) -> ast.AST:
        self.generic_visit(node)
        frame = self.frame()
        if frame is None or frame.is_lambda or not self._gives_coroutine(node, frame):
            return node
        frame.needs_async = True
        return ast.copy_location(ast.Await(value=node), node)

    def visit_With(self, node: ast.With) -> ast.AST:
        self.generic_visit(node)
        frame = self.frame()
        kinds = [self._is_async_cm(item.context_expr) for item in node.items]
        if frame is None or frame.is_lambda or not any(kinds):
            return node
        frame.needs_async = True
        # ``async with`` takes async managers only: split a mixed statement
        # into nested ones, keeping the order of entry.
        groups: list[tuple[bool, list[ast.withitem]]] = []
        for item, is_async in zip(node.items, kinds, strict=True):
            if groups and groups[-1][0] == is_async:
                groups[-1][1].append(item)
            else:
                groups.append((is_async, [item]))
        body: list[ast.stmt] = node.body
        for is_async, items in reversed(groups):
            stmt: ast.stmt = (
                ast.AsyncWith(items=items, body=body)
                if is_async
                else ast.With(items=items, body=body)
            )
            body = [ast.copy_location(stmt, node)]
        return body[0]

    # the rules

    def _is_test(self, node: ast.FunctionDef) -> bool:
        """A function pytest collects: ``test*`` in the module or a ``Test*``
        class of it."""
        top = not self.scopes or (
            len(self.scopes) == 1
            and isinstance(self.scopes[0], ast.ClassDef)
            and self.scopes[0].name.startswith("Test")
        )
        fixture = any(
            "fixture" in (dotted_name(d.func if isinstance(d, ast.Call) else d) or "")
            for d in node.decorator_list
        )
        return top and node.name.startswith("test") and not fixture

    def _wrapped_async_function(self, node: ast.FunctionDef) -> str | None:
        """The parameter a ``functools.wraps(view)`` wrapper calls, when its
        decorator is applied to async functions (then the wrapper awaits)."""
        if not self.enclosing or self.enclosing[-1] not in self.knowledge.decorators:
            return None
        for decorator in node.decorator_list:
            if (
                isinstance(decorator, ast.Call)
                and (dotted_name(decorator.func) or "").endswith("wraps")
                and decorator.args
                and isinstance(decorator.args[0], ast.Name)
            ):
                return decorator.args[0].id
        return None

    def _learn(
        self, node: ast.FunctionDef | ast.AsyncFunctionDef, newly_async: bool
    ) -> None:
        for decorator in node.decorator_list:
            target = decorator.func if isinstance(decorator, ast.Call) else decorator
            if isinstance(target, ast.Name):
                self.learned.decorators.add(target.id)
        called_by_user = not node.decorator_list or all(
            isinstance(d, ast.Call) and (dotted_name(d.func) or "").endswith("wraps")
            for d in node.decorator_list
        )
        if not newly_async or not called_by_user or node.name.startswith("test"):
            return
        owner = self.scopes[-1] if self.scopes else None
        if not isinstance(owner, ast.ClassDef):
            self.learned.functions.add(node.name)
            return
        # Methods of a plain helper class are called by the tests; methods of
        # a subclass (a View, an App...) are called by the framework.
        plain = all(dotted_name(base) == "object" for base in owner.bases)
        if plain and not node.name.startswith("__"):
            self.learned.methods.add(node.name)

    def _kind(self, receiver: ast.expr) -> str | None:
        made_by = factory_method(receiver)
        if made_by == "test_client":
            return "client"
        if made_by in CTX_FACTORIES:
            return "ctx"
        name = last_identifier(receiver)
        if name is None:
            return None
        if name in self.bindings.clients or "client" in name.lower():
            return "client"
        if name in self.bindings.contexts or name.endswith("ctx"):
            return "ctx"
        if name in self.bindings.apps:
            return "app"
        return None

    def _gives_coroutine(self, call: ast.Call, frame: Frame) -> bool:
        func = call.func
        if isinstance(func, ast.Name):
            imported = self.bindings.imported.get(func.id)
            return (
                func.id in frame.awaited_names
                or func.id in self.bindings.client_methods
                or (imported is not None and is_coroutine_function_at(imported))
                or func.id in self.knowledge.functions
            )
        if not isinstance(func, ast.Attribute):
            return False
        dotted = dotted_name(func)
        if dotted and dotted.split(".")[0] == NEW_MODULE:
            return is_coroutine_function_at(dotted)
        kind = self._kind(func.value)
        if kind is not None and func.attr in self.receivers[kind]:
            return True
        return kind is None and func.attr in self.knowledge.methods

    def _is_async_cm(self, expr: ast.expr) -> bool:
        if factory_method(expr) in ASYNC_CM_FACTORIES:
            return True
        return isinstance(expr, ast.Name | ast.Attribute) and self._kind(expr) in (
            "client",
            "ctx",
        )


# --- porting files


def port_tree(source: Path, target: Path) -> None:
    """Copy ``source`` to ``target``, porting every Python file in it.

    The files are ported together until what became async stops changing,
    so a helper made async in one file is awaited in the others."""
    if target.exists():
        shutil.rmtree(target)
    shutil.copytree(source, target, ignore=shutil.ignore_patterns("__pycache__"))
    files = sorted(target.rglob("*.py"))
    originals = {path: path.read_text(encoding="utf-8") for path in files}
    receivers = _receiver_methods()
    knowledge = Knowledge()
    for _ in range(6):
        learned = Knowledge()
        ported = {
            path: port_source(text, knowledge, learned, receivers)
            for path, text in originals.items()
        }
        if learned.snapshot() == knowledge.snapshot():
            break
        knowledge = learned
    for path, text in ported.items():
        path.write_text(text, encoding="utf-8")


def port_source(
    text: str,
    knowledge: Knowledge,
    learned: Knowledge,
    receivers: dict[str, frozenset[str]],
) -> str:
    """One module's source, ported."""
    tree = ast.parse(text)
    port = FlaskPort(read_bindings(tree), knowledge, learned, receivers)
    return ast.unparse(ast.fix_missing_locations(port.visit(tree))) + "\n"


# --- getting Flask


def flask_sources() -> Path:
    """The unpacked sdist of the installed Flask version (downloaded once)."""
    version = importlib.metadata.version("flask")
    sdists = BUILD / "sdist"
    archive = sdists / f"flask-{version}.tar.gz"
    if not archive.exists():
        sdists.mkdir(parents=True, exist_ok=True)
        subprocess.run(
            [sys.executable, "-m", "pip", "download", f"flask=={version}"]
            + ["--no-binary", ":all:", "--no-deps", "--quiet", "-d", str(sdists)],
            check=True,
        )
    unpacked = BUILD / "src" / f"flask-{version}"
    if not unpacked.exists():
        with tarfile.open(archive) as tar:
            tar.extractall(BUILD / "src", filter="data")
    return unpacked


# Flask 3.1's tests import ``_pytest.monkeypatch.notset``, which pytest 9
# renamed: a plugin gives the name back to both runs, Flask's and the port's.
COMPAT = BUILD / "compat"
COMPAT_PLUGIN = """\
import _pytest.compat
import _pytest.monkeypatch

if not hasattr(_pytest.monkeypatch, "notset"):
    _pytest.monkeypatch.notset = _pytest.compat.NOTSET
"""


def pytest_command(*args: str) -> list[str]:
    """pytest in a fresh process, with the compatibility plugin."""
    COMPAT.mkdir(parents=True, exist_ok=True)
    (COMPAT / "flask_port_compat.py").write_text(COMPAT_PLUGIN, encoding="utf-8")
    return [sys.executable, "-m", "pytest", "-p", "no:cacheprovider"] + [
        "-p",
        "flask_port_compat",
        "-q",
        "-o",
        "addopts=",
        *args,
    ]


def pytest_env(*paths: Path) -> dict[str, str]:
    """The environment: this checkout's app_framework, ``paths``, the plugin."""
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(str(p) for p in (REPO, COMPAT, *paths))
    return env


PYTEST_INI = """\
[pytest]
asyncio_mode = auto
asyncio_default_fixture_loop_scope = function
filterwarnings = error
"""


def port_all(flask: Path) -> None:
    """Port Flask's tests and its tutorial under ``build/flask-port/ported``."""
    PORTED.mkdir(parents=True, exist_ok=True)
    (PORTED / "pytest.ini").write_text(PYTEST_INI, encoding="utf-8")
    port_tree(flask / "tests", PORTED / "tests")
    shutil.rmtree(PORTED / "tests" / "type_check", ignore_errors=True)
    port_tree(flask / "examples" / "tutorial", PORTED / "tutorial")


# --- running and reporting


@dataclass
class Outcome:
    """One test case's result."""

    file: str
    name: str
    status: str
    cause: str = ""


def run_pytest(name: str, paths: list[Path]) -> list[Outcome]:
    """Run pytest on ``paths`` in a fresh process; the junit report parsed."""
    REPORTS.mkdir(parents=True, exist_ok=True)
    report = REPORTS / f"{name}.xml"
    report.unlink(missing_ok=True)
    command = pytest_command(
        "--timeout",
        "60",
        "-c",
        str(PORTED / "pytest.ini"),
        "--rootdir",
        str(PORTED),
        f"--junitxml={report}",
        *map(str, paths),
    )
    done = subprocess.run(
        command,
        cwd=PORTED,
        env=pytest_env(PORTED / "tutorial"),
        capture_output=True,
        text=True,
        check=False,
    )
    if not report.exists():
        # pytest stops before writing a report when conftest.py fails to
        # import: its last "E" line says why.
        cause = last_e_line(done.stdout + done.stderr)
        return [Outcome(name, "<no report>", "uncollected", cause)]
    return list(read_junit(name, report))


def read_junit(file: str, report: Path) -> Iterator[Outcome]:
    """Each test case of a junit XML report."""
    for case in ET.parse(report).getroot().iter("testcase"):
        status, cause = "passed", ""
        for child in case:
            if child.tag in ("failure", "error", "skipped"):
                status = {"failure": "failed", "error": "error"}.get(
                    child.tag, "skipped"
                )
                cause = first_line(child.get("message") or child.text or "")
                if cause == "collection failure":
                    status, cause = "uncollected", last_e_line(child.text or "")
        yield Outcome(file, case.get("name", "?"), status, cause)


def last_e_line(output: str) -> str:
    """The exception pytest printed last (its ``E   `` lines)."""
    said = [line[1:].strip() for line in output.splitlines() if line.startswith("E ")]
    return first_line(said[-1]) if said else "(no message)"


def first_line(message: str) -> str:
    """The first line of an exception message, the same for every test."""
    line = message.strip().splitlines()[0] if message.strip() else "(no message)"
    setup = re.fullmatch(r'failed on (setup|teardown) with "(.*?)"?', line)
    if setup:
        line = f"{setup.group(1)}: {setup.group(2)}"
    return line[:160]


def original_counts(flask: Path) -> Counter[str]:
    """How many tests each of Flask's own test files has (collected with
    Flask), so a ported file that cannot be imported counts all of them."""
    paths = [f"tests/{name}.py" for name in TEST_FILES]
    command = pytest_command(
        "-p", "no:asyncio", "--collect-only", "--continue-on-collection-errors", *paths
    )
    done = subprocess.run(
        command,
        cwd=flask,
        env=pytest_env(),
        capture_output=True,
        text=True,
        check=False,
    )
    counts: Counter[str] = Counter()
    for line in done.stdout.splitlines():
        if line.startswith("tests/") and "::" in line:
            counts[line.split("::")[0][len("tests/") : -len(".py")]] += 1
    return counts


def with_uncollected(outcomes: list[Outcome], expected: int) -> list[Outcome]:
    """``outcomes``, a file that could not be collected counted as
    ``expected`` errors (its import error the cause of each)."""
    ran = [o for o in outcomes if o.status != "uncollected"]
    stuck = [o for o in outcomes if o.status == "uncollected"]
    if not stuck:
        return ran
    missing = max(expected - len(ran), 1)
    cause = f"not collected: {stuck[0].cause}"
    return ran + [
        Outcome(stuck[0].file, f"<uncollected {i}>", "error", cause)
        for i in range(missing)
    ]


def not_applicable(outcome: Outcome) -> str | None:
    """The reason ``outcome``'s test does not apply, if it is listed."""
    return NOT_APPLICABLE.get(f"{outcome.file}::{outcome.name.split('[')[0]}")


def table(rows: dict[str, list[Outcome]]) -> list[str]:
    """The markdown table of passes per file, and its total."""
    lines = [
        "| file | tests | passed | failed | errors | skipped | pass % |",
        "|---|---:|---:|---:|---:|---:|---:|",
    ]
    total: Counter[str] = Counter()
    for file, outcomes in rows.items():
        counts = Counter(o.status for o in outcomes)
        total.update(counts)
        lines.append(table_row(file, counts))
    lines.append(table_row("**TOTAL**", total))
    return lines


def table_row(label: str, counts: Counter[str]) -> str:
    """One row; the pass rate leaves the skipped tests out."""
    tests = sum(counts.values())
    ran = tests - counts["skipped"]
    rate = f"{100 * counts['passed'] / ran:.1f}" if ran else "-"
    return (
        f"| {label} | {tests} | {counts['passed']} | {counts['failed']} "
        f"| {counts['error']} | {counts['skipped']} | {rate} |"
    )


def causes(outcomes: list[Outcome], top: int = 40) -> list[str]:
    """The commonest first lines of the failures, with the files they hit."""
    bad = [o for o in outcomes if o.status in ("failed", "error")]
    counts = Counter(o.cause for o in bad)
    lines = []
    for cause, count in counts.most_common(top):
        files = Counter(o.file for o in bad if o.cause == cause)
        where = ", ".join(f"{f} {n}" for f, n in files.most_common())
        lines.append(f"- {count} x `{cause}` ({where})")
    return lines


def main(argv: list[str] | None = None) -> int:
    """Port, run and report."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", nargs="*", help="run these test files only")
    parser.add_argument("--port-only", action="store_true", help="port, run nothing")
    parser.add_argument(
        "--no-port",
        action="store_true",
        help="run the port already in build/ (to try a change made to it by hand)",
    )
    args = parser.parse_args(argv)
    sys.path.insert(0, str(REPO))
    flask = flask_sources()
    if not args.no_port:
        port_all(flask)
        print(f"Flask {flask.name.split('-')[-1]} ported into {PORTED}")
    if args.port_only:
        return 0
    expected = original_counts(flask)

    flaskr = with_uncollected(
        run_pytest("flaskr", [PORTED / "tutorial" / "tests"]), FLASKR_TESTS
    )
    passed = sum(o.status == "passed" for o in flaskr)
    print(f"\nflaskr: {passed}/{FLASKR_TESTS} (ran {len(flaskr)})\n")

    rows: dict[str, list[Outcome]] = {}
    skipped_na: list[tuple[Outcome, str]] = []
    for name in args.only or TEST_FILES:
        outcomes = with_uncollected(
            run_pytest(name, [PORTED / "tests" / f"{name}.py"]), expected[name]
        )
        kept = []
        for outcome in outcomes:
            reason = not_applicable(outcome)
            if reason is None:
                kept.append(outcome)
            else:
                skipped_na.append((outcome, reason))
        rows[name] = kept
        print(f"ran {name}: {len(kept)} of Flask's {expected[name]}", file=sys.stderr)

    print("\n".join(table(rows)))
    print("\n### Not applicable to an ASGI framework (not counted)\n")
    for key, reason in NOT_APPLICABLE.items():
        hits = [o for o, r in skipped_na if f"{o.file}::{o.name.split('[')[0]}" == key]
        print(f"- not applicable: `{key}` ({len(hits)} cases): {reason}")
    everything = [o for outcomes in rows.values() for o in outcomes] + flaskr
    print("\n### Failures by cause (top 40)\n")
    print("\n".join(causes(everything)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
