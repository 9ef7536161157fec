"""Port Quart extensions' tests and Quart's own tests by renames only; count.

Run: ``.venv/bin/python bench/quart_port.py`` (or ``make quart-port``).

What it measures: how much code written for Quart runs on app_framework when
nothing but names change. Four extensions come from the package index as
sdists (their tests ship inside), Quart's own tests from a local checkout
(``--quart-tests DIR``; Quart's sdist has no tests). Every ``.py`` file of an
extension (its package and its tests) and of Quart's tests is rewritten:

* the module ``quart`` and its submodules become ``app_framework`` and the
  module of the same role (``quart.wrappers.response`` -> the single module
  ``app_framework.wrappers``); a submodule without counterpart keeps its name
  under ``app_framework`` so that its import fails and is counted as a cause;
* the name ``Quart`` becomes ``App``;
* dotted module paths inside string literals (``"quart.cli.os"``) the same.

The extension's own package keeps its name and is imported from ``build/``.
Each suite runs twice in a venv of its own (``build/quart-port/venv``): as
shipped against the installed Quart (the baseline, which also gives the test
count) and ported against app_framework, with ``import quart`` blocked. A
test that the ported run could not collect counts as an error with the
collection error as its cause.

``--as-installed`` measures the other way of using an extension: no
renaming at all. Each extension's own tests run unchanged against the
extension *installed* in the venv (``pip install "app-framework[compat-tests]"``),
with ``import app_framework.compat.quart`` loaded first (a ``-p`` plugin, so
before any conftest), which makes ``import quart`` mean app_framework. The
baseline is the same tests under the real Quart.

The venv sees the project's venv through a ``.pth`` link rather than
``--system-site-packages``: a venv made from a venv gets the *base*
interpreter's site-packages that way, not the project's (and here the base
interpreter carries other versions of werkzeug and pydantic).
"""

from __future__ import annotations

import argparse
import ast
import dataclasses
import functools
import importlib
import importlib.util
import io
import json
import os
import re
import shutil
import subprocess
import sys
import sysconfig
import tarfile
import tokenize
import venv
from collections import Counter
from collections.abc import Iterable, Iterator
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BUILD = ROOT / "build" / "quart-port"
DEFAULT_QUART_TESTS = Path("/tmp/quart-repo/tests")
SUITE_TIMEOUT = 900  # seconds for one pytest run
TEST_TIMEOUT = 60  # seconds for one test (pytest-timeout)
TOP_CAUSES = 30

# What the suites import beyond app_framework's own dependencies: import name
# -> the pinned requirement installed when the project's venv lacks it.
NEEDED = {
    "pytest": "pytest==9.2.0",
    "pytest_asyncio": "pytest-asyncio==1.5.0",
    "pytest_timeout": "pytest-timeout==2.4.0",
    "hypothesis": "hypothesis==6.170.15",
    "hypercorn": "hypercorn==0.18.0",
    "attrs": "attrs==26.1.0",
    "pydantic": "pydantic==2.14.3",
    "msgspec": "msgspec==0.22.0",
    "redis": "redis==8.1.0",
    "valkey": "valkey==6.2.0",
}


@dataclasses.dataclass(frozen=True)
class Extension:
    """One extension's sdist on the package index."""

    name: str
    version: str


EXTENSIONS = (
    Extension("quart-cors", "0.8.0"),
    Extension("quart-auth", "0.12.0"),
    Extension("quart-rate-limiter", "0.12.1"),
    Extension("quart-schema", "0.25.0"),
    Extension("quart-babel", "1.0.7"),
)


@dataclasses.dataclass(frozen=True)
class Suite:
    """A tree to port and test: its root holds ``tests/`` and the config."""

    label: str
    original: Path
    ported: Path

    def import_root(self, tree: Path) -> Path:
        """The folder to put on the path for the suite's own package."""
        return tree / "src" if (tree / "src").is_dir() else tree


@dataclasses.dataclass
class Outcome:
    """One test's result and, when it did not pass, the first line of why."""

    status: str  # passed, failed, error, skipped
    cause: str = ""


def normalized(cause: str) -> str:
    """``cause`` without what differs between runs and checkouts.

    Drops the ``(/path/module.py)`` that ImportError appends, object
    addresses, and this checkout's path, so that equal causes group.
    """
    cause = re.sub(r" \(/[^()]*\)$", "", cause)
    cause = re.sub(r"0x[0-9a-fA-F]+", "0x...", cause)
    return cause.replace(f"{ROOT}/", "")[:200]


# --------------------------------------------------------------- the renames


def quart_modules() -> frozenset[str]:
    """Every module of the installed Quart package, dotted."""
    spec = importlib.util.find_spec("quart")
    if spec is None or not spec.submodule_search_locations:
        sys.exit(
            "Quart is not installed in this interpreter: it names the modules to map"
        )
    base = Path(next(iter(spec.submodule_search_locations)))
    names = {"quart"}
    for path in base.rglob("*.py"):
        parts = path.relative_to(base).with_suffix("").parts
        if parts[-1] == "__init__":
            parts = parts[:-1]
        names.add(".".join(("quart", *parts)))
    return frozenset(names)


def _ours(parts: tuple[str, ...]) -> Path | None:
    """app_framework's module file for ``parts`` (a module or a package)."""
    base = ROOT / "app_framework"
    for candidate in (
        base.joinpath(*parts).with_suffix(".py"),
        base.joinpath(*parts, "__init__.py"),
    ):
        if parts and candidate.is_file():
            return candidate
    return None


def map_module(module: str) -> str:
    """The app_framework module playing the role of the Quart ``module``.

    The same path when it exists; else the nearest enclosing plain module
    (app_framework keeps some of a Quart package's contents in one module);
    else the module ``app_framework.compat.quart`` maps it to (Quart's
    ``testing.utils`` is part of the ``app_framework.testing`` package);
    else the same path, which does not exist.
    """
    parts = tuple(module.split("."))[1:]
    if not parts or _ours(parts) is not None:
        return ".".join(("app_framework", *parts))
    for end in range(len(parts) - 1, 0, -1):
        found = _ours(parts[:end])
        if found is not None and found.name != "__init__.py":
            return ".".join(("app_framework", *parts[:end]))
    mapped = _compat_modules().get(module)
    if mapped is not None:
        return mapped
    return ".".join(("app_framework", *parts))


@functools.cache
def _compat_modules() -> dict[str, str]:
    """Quart module -> app_framework module, as the compat alias maps them."""
    sys.path.insert(0, str(ROOT))  # this checkout's app_framework
    try:
        from app_framework.compat.quart import MODULES
    finally:
        sys.path.remove(str(ROOT))
    return {name: target for name, (target, _) in MODULES.items()}


class Renamer:
    """Rewrites Python source: Quart's module paths and the name ``Quart``."""

    def __init__(self, modules: frozenset[str]) -> None:
        self.modules = modules
        self.used: Counter[str] = Counter()

    def dotted(self, names: list[str]) -> tuple[str, int]:
        """The renamed longest module prefix of ``names`` and its length."""
        for end in range(len(names), 0, -1):
            module = ".".join(names[:end])
            if module in self.modules:
                self.used[module] += 1
                return map_module(module), end
        return "app_framework", 1

    def rename_string(self, literal: str) -> str:
        """A string literal holding a dotted Quart path, renamed."""
        match = re.fullmatch(r"([rRbBuUfF]*)(['\"]{1,3})(quart(?:\.\w+)+)(\2)", literal)
        if match is None:
            return literal
        names = match.group(3).split(".")
        if not _names_quart_object(names, self.modules):
            return literal  # a host name ("quart.com"), not a dotted path
        head, used = self.dotted(names)
        tail = ["App" if name == "Quart" else name for name in names[used:]]
        return (
            match.group(1) + match.group(2) + ".".join([head, *tail]) + match.group(4)
        )

    def rewrite(self, source: str) -> str:
        """``source`` with every rename applied, all else byte for byte."""
        tokens = list(tokenize.generate_tokens(io.StringIO(source).readline))
        edits: list[tuple[tuple[int, int], tuple[int, int], str]] = []
        index = 0
        while index < len(tokens):
            token = tokens[index]
            after_dot = index > 0 and tokens[index - 1].string == "."
            if (
                token.type == tokenize.NAME
                and token.string == "quart"
                and not after_dot
            ):
                chain = _chain(tokens, index)
                names = [tokens[i].string for i in chain]
                renamed, used = self.dotted(names)
                edits.append((token.start, tokens[chain[used - 1]].end, renamed))
                index = chain[used - 1] + 1
                continue
            if token.type == tokenize.NAME and token.string == "Quart":
                edits.append((token.start, token.end, "App"))
            elif token.type == tokenize.STRING:
                renamed_string = self.rename_string(token.string)
                if renamed_string != token.string:
                    edits.append((token.start, token.end, renamed_string))
            index += 1
        return _apply(source, edits)


def _names_quart_object(names: list[str], modules: frozenset[str]) -> bool:
    """Whether ``names`` is a Quart module or a name in one: the longest
    module prefix of ``names`` has the attribute that follows it."""
    for end in range(len(names), 0, -1):
        module = ".".join(names[:end])
        if module in modules:
            return end == len(names) or hasattr(
                importlib.import_module(module), names[end]
            )
    return False


def _chain(tokens: list[tokenize.TokenInfo], start: int) -> list[int]:
    """Indexes of the NAME tokens of the dotted chain starting at ``start``."""
    chain = [start]
    at = start
    while (
        at + 2 < len(tokens)
        and tokens[at + 1].string == "."
        and tokens[at + 2].type == tokenize.NAME
    ):
        at += 2
        chain.append(at)
    return chain


def _apply(
    source: str, edits: list[tuple[tuple[int, int], tuple[int, int], str]]
) -> str:
    """Replace (row, col) spans of ``source``, last first."""
    starts = [0]
    for line in source.splitlines(keepends=True):
        starts.append(starts[-1] + len(line))
    text = source
    for (row, col), (end_row, end_col), new in reversed(edits):
        begin = starts[row - 1] + col
        end = starts[end_row - 1] + end_col
        text = text[:begin] + new + text[end:]
    return text


def port_tree(original: Path, ported: Path, renamer: Renamer) -> int:
    """Copy ``original`` to ``ported`` with every ``.py`` file renamed."""
    if ported.exists():
        shutil.rmtree(ported)
    shutil.copytree(original, ported, ignore=shutil.ignore_patterns("__pycache__"))
    count = 0
    for path in sorted(ported.rglob("*.py")):
        path.write_text(
            renamer.rewrite(path.read_text(encoding="utf-8")), encoding="utf-8"
        )
        count += 1
    return count


# -------------------------------------------------------------- the sources


def run(command: list[str]) -> None:
    """Run ``command``, echoing it, and stop the tool if it fails."""
    print("  $", " ".join(command), flush=True)
    done = subprocess.run(command, check=False)
    if done.returncode != 0:
        sys.exit(f"failed ({done.returncode}): {' '.join(command)}")


def fetch_sdist(extension: Extension) -> Path:
    """The unpacked sdist of ``extension`` under build/, downloaded once."""
    sdists = BUILD / "sdists"
    stem = f"{extension.name.replace('-', '_')}-{extension.version}"
    archive = sdists / f"{stem}.tar.gz"
    if not archive.is_file():
        run(
            [
                *[sys.executable, "-m", "pip", "download", "--quiet"],
                f"{extension.name}=={extension.version}",
                *["--no-binary", ":all:", "--no-deps", "-d", str(sdists)],
            ]
        )
    target = BUILD / "original" / stem
    if not target.is_dir():
        with tarfile.open(archive) as tar:
            tar.extractall(BUILD / "original", filter="data")
    return target


def quart_tests_tree(tests: Path) -> Path:
    """Quart's tests with its pytest config, copied under build/."""
    target = BUILD / "original" / "quart-tests"
    if target.exists():
        shutil.rmtree(target)
    shutil.copytree(
        tests, target / "tests", ignore=shutil.ignore_patterns("__pycache__")
    )
    config = tests.parent / "pyproject.toml"
    if config.is_file():
        shutil.copy(config, target / "pyproject.toml")
    return target


# ------------------------------------------------------------------ the venv

GUARD = '''"""Written by bench/quart_port.py: with QUART_PORT_BLOCK=1, no quart."""
import importlib.abc
import os
import sys


class _NoQuart(importlib.abc.MetaPathFinder):
    def find_spec(self, name, path=None, target=None):
        if name == "quart" or name.startswith("quart."):
            raise ModuleNotFoundError(f"No module named {name!r} (blocked in the port)")
        return None


if os.environ.get("QUART_PORT_BLOCK") == "1":
    sys.meta_path.insert(0, _NoQuart())
'''

PLUGIN = '''"""Written by bench/quart_port.py: each test report as a JSON line."""
import json
import os


def _cause(report):
    crash = getattr(report.longrepr, "reprcrash", None)
    if crash is not None and crash.message:
        text = crash.message
    else:
        lines = str(report.longrepr).splitlines()
        marked = [line[1:].strip() for line in lines if line.startswith("E ")]
        text = marked[0] if marked else (lines[-1] if lines else "")
    return text.strip().splitlines()[0] if text.strip() else ""


def _write(record):
    with open(os.environ["QUART_PORT_REPORT"], "a", encoding="utf-8") as out:
        out.write(json.dumps(record) + "\\n")


def _record(report, when):
    cause = _cause(report) if report.failed else ""
    outcome = report.outcome
    _write({"id": report.nodeid, "when": when, "outcome": outcome, "cause": cause})


def pytest_runtest_logreport(report):
    _record(report, report.when)


def pytest_collectreport(report):
    if report.failed:
        _record(report, "collect")
'''


COMPAT_PLUGIN = '''"""Written by bench/quart_port.py: quart means app_framework."""
import app_framework.compat.quart  # noqa: F401
'''


def venv_python() -> Path:
    """The interpreter of the port's venv."""
    return BUILD / "venv" / "bin" / "python"


def make_venv() -> None:
    """The port's venv, linked to the project's, with what the suites need."""
    python = venv_python()
    if not python.exists():
        print(f"creating {python.parent.parent}", flush=True)
        venv.EnvBuilder(with_pip=True).create(BUILD / "venv")
    site = Path(
        subprocess.check_output(
            [
                str(python),
                "-c",
                "import sysconfig; print(sysconfig.get_paths()['purelib'])",
            ],
            text=True,
        ).strip()
    )
    project_site = sysconfig.get_paths()["purelib"]
    (site / "quart_port_link.pth").write_text(
        f"import site; site.addsitedir({project_site!r})\n"
    )
    (site / "_quart_port_guard.py").write_text(GUARD)
    (site / "_quart_port_guard.pth").write_text("import _quart_port_guard\n")
    (BUILD / "plugin").mkdir(parents=True, exist_ok=True)
    (BUILD / "plugin" / "quart_port_report.py").write_text(PLUGIN)
    (BUILD / "plugin" / "quart_port_compat.py").write_text(COMPAT_PLUGIN)
    probe = (
        "import importlib.util as u, sys; "
        "print(' '.join(n for n in sys.argv[1:] if u.find_spec(n) is None))"
    )
    missing = subprocess.check_output(
        [str(python), "-c", probe, *NEEDED], text=True
    ).split()
    present = [name for name in NEEDED if name not in missing]
    print(f"  linked to {project_site}; already importable: {', '.join(present)}")
    if missing:
        wanted = [NEEDED[name] for name in missing]
        print(f"  installing into the port's venv: {', '.join(wanted)}")
        run([str(python), "-m", "pip", "install", "--quiet", *wanted])
    own = subprocess.check_output(
        [str(python), "-m", "pip", "list", "--path", str(site), "--format=freeze"],
        text=True,
    ).split()
    own = [line for line in own if not line.startswith(("pip==", "setuptools=="))]
    print(f"  the port's venv's own packages: {', '.join(own) or 'none'}")


# ----------------------------------------------------------------- running

Records = dict[str, list[dict[str, str]]]


def run_suite(
    suite: Suite, tree: Path, *, ported: bool, installed: bool = False
) -> Records:
    """Run ``tree``'s tests; the reports of each test id and file.

    ``installed``: the tests as shipped, against the installed extension
    (not the tree's copy) with app_framework.compat.quart loaded first.
    """
    kind = "installed" if installed else "ported" if ported else "quart"
    report = BUILD / "reports" / f"{suite.ported.name}-{kind}.jsonl"
    report.parent.mkdir(parents=True, exist_ok=True)
    report.unlink(missing_ok=True)
    paths = [str(suite.import_root(tree)), str(BUILD / "plugin")]
    if ported:
        paths.insert(0, str(ROOT))
    if installed:
        paths = [str(ROOT), str(BUILD / "plugin")]
    compat = ["-p", "quart_port_compat"] if installed else []
    skip = ("COVERAGE_", "PYTEST_")
    env = {k: v for k, v in os.environ.items() if not k.startswith(skip)}
    env.update(
        PYTHONPATH=os.pathsep.join(paths),
        QUART_PORT_REPORT=str(report),
        QUART_PORT_BLOCK="1" if ported else "0",
    )
    config = tree / "pyproject.toml"
    command = [
        *[str(venv_python()), "-m", "pytest", "-p", "no:cacheprovider"],
        *compat,
        *["-p", "quart_port_report", "-o", "addopts=", "--rootdir", str(tree)],
        # Without it one file that fails to import stops the whole run.
        "--continue-on-collection-errors",
        *(["-c", str(config)] if config.is_file() else []),
        *[f"--timeout={TEST_TIMEOUT}", "-q", "--junitxml", str(report) + ".xml"],
        "tests",
    ]
    output = ""
    try:
        done = subprocess.run(
            command,
            cwd=tree,
            env=env,
            timeout=SUITE_TIMEOUT,
            check=False,
            capture_output=True,
            text=True,
        )
        output = done.stdout + done.stderr
    except subprocess.TimeoutExpired:
        output = f"E   pytest passed its {SUITE_TIMEOUT} s limit"
    report.with_suffix(".log").write_text(output, encoding="utf-8")
    return read_records(report, output)


def read_records(report: Path, output: str) -> Records:
    """The plugin's JSON lines by test id; a start-up failure as one record."""
    records: Records = {}
    if report.exists():
        for line in report.read_text(encoding="utf-8").splitlines():
            record = json.loads(line)
            records.setdefault(record["id"], []).append(record)
    started = any(p["when"] != "collect" for ps in records.values() for p in ps)
    if not started and not records:
        # A conftest that fails to import stops pytest before any report.
        marked = [line[1:].strip() for line in output.splitlines() if line[:2] == "E "]
        cause = marked[0] if marked else "pytest did not start"
        records[""] = [
            {"id": "", "when": "collect", "outcome": "failed", "cause": cause}
        ]
    return records


def outcomes(records: Records) -> dict[str, Outcome]:
    """One outcome per test id (collection failures left out)."""
    result: dict[str, Outcome] = {}
    for test_id, phases in records.items():
        if any(phase["when"] == "collect" for phase in phases):
            continue
        call = [phase for phase in phases if phase["when"] == "call"]
        broken = [
            phase
            for phase in phases
            if phase["when"] != "call" and phase["outcome"] == "failed"
        ]
        if call and call[0]["outcome"] == "failed":
            result[test_id] = Outcome("failed", normalized(call[0]["cause"]))
        elif broken:
            result[test_id] = Outcome("error", normalized(broken[0]["cause"]))
        elif any(phase["outcome"] == "skipped" for phase in phases):
            result[test_id] = Outcome("skipped")
        else:
            result[test_id] = Outcome("passed")
    return result


def collect_errors(records: Records) -> dict[str, str]:
    """The cause of each collection failure, by collector id (a file)."""
    return {
        test_id: normalized(phase["cause"])
        for test_id, phases in records.items()
        for phase in phases
        if phase["when"] == "collect"
    }


def merge(
    baseline: dict[str, Outcome], ported: dict[str, Outcome], errors: dict[str, str]
) -> dict[str, Outcome]:
    """Ported outcomes over the baseline's test ids; missing ones are errors."""
    result = dict(ported)
    fallback = errors.get("") or "not collected in the port"
    for test_id in baseline:
        if test_id not in result:
            cause = errors.get(test_id.split("::")[0], fallback)
            result[test_id] = Outcome("error", cause)
    return result


# ----------------------------------------------------------------- printing


@dataclasses.dataclass
class Row:
    """One line of the table."""

    suite: str
    tests: int = 0
    passed: int = 0
    failed: int = 0
    errors: int = 0
    skipped: int = 0
    baseline: int = 0

    def add(self, other: Row) -> None:
        """Sum ``other`` into this row."""
        for name in ("tests", "passed", "failed", "errors", "skipped", "baseline"):
            setattr(self, name, getattr(self, name) + getattr(other, name))

    def line(self) -> str:
        """The row as markdown."""
        share = f"{100 * self.passed / self.tests:.1f}%" if self.tests else "-"
        cells = [self.suite, self.tests, self.passed, self.failed, self.errors]
        cells += [self.skipped, share, self.baseline]
        return "| " + " | ".join(str(cell) for cell in cells) + " |"


HEADER = (
    "| suite | tests | passed | failed | errors | skipped | pass % "
    "| passed under Quart |\n"
    "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |"
)


def row(label: str, results: dict[str, Outcome], baseline: dict[str, Outcome]) -> Row:
    """Count ``results`` into a row."""
    counts = Counter(outcome.status for outcome in results.values())
    under_quart = [baseline.get(test_id, Outcome("")).status for test_id in results]
    return Row(
        label,
        tests=len(results),
        passed=counts["passed"],
        failed=counts["failed"],
        errors=counts["error"],
        skipped=counts["skipped"],
        baseline=under_quart.count("passed"),
    )


def by_file(results: dict[str, Outcome]) -> dict[str, dict[str, Outcome]]:
    """``results`` grouped by test file, files sorted."""
    files: dict[str, dict[str, Outcome]] = {}
    for test_id in sorted(results):
        files.setdefault(test_id.split("::")[0], {})[test_id] = results[test_id]
    return files


def applies(test_file: str, modules: frozenset[str]) -> bool:
    """False for the tests of a Quart module that has no counterpart here.

    ``tests/wrappers/test_base.py`` tests ``quart.wrappers.base``; a file
    named after no Quart module (test_basic, test_sync...) tests behaviour
    and always applies.
    """
    stem = Path(test_file).with_suffix("")
    parts = (*stem.parts[1:-1], stem.name.removeprefix("test_"))
    module = ".".join(("quart", *parts))
    if module not in modules:
        return True
    return _ours(tuple(map_module(module).split("."))[1:]) is not None


NOT_APPLICABLE: dict[str, str] = {
    "tests/test_cli.py::test_version_command": (
        "checks that the --version line names the quart package itself; "
        "app_framework's names app_framework (as the Flask port's test_get_version)"
    ),
    **dict.fromkeys(
        (
            "tests/test_cli.py::test_run_command",
            "tests/test_cli.py::test_run_command_development_debug_disabled",
            "tests/test_cli.py::test_run_command_debug_option",
            "tests/test_cli.py::test_run_command_no_debug_option",
        ),
        "mocks the app to check that Quart's run command hands over to "
        "app.run(certfile=, keyfile=, port=5000) for hypercorn; the run command "
        "here serves with uvicorn itself (its options, workers and websocket "
        "limits, uvicorn's port 8000), as the Flask port's run_simple tests",
    ),
    "tests/test_testing.py::test_make_test_scope_with_scope_base": (
        "compares the whole scope with one holding Quart's private key "
        "'_quart._preserve_context' (its client's flag); every other key matches"
    ),
}
"""Tests of Quart's own machinery with no counterpart here, by file::name
(every parametrized case), each with why; they are listed, not counted."""


def applies_test(test_id: str, modules: frozenset[str]) -> bool:
    """False for a test of a file that does not apply, or listed in
    :data:`NOT_APPLICABLE`."""
    name = test_id.split("[")[0]
    return applies(test_id.split("::")[0], modules) and name not in NOT_APPLICABLE


def print_causes(results: Iterable[Outcome]) -> None:
    """The most frequent first lines of the exceptions behind failures."""
    causes = Counter(
        outcome.cause or "(no message)"
        for outcome in results
        if outcome.status in ("failed", "error")
    )
    total = sum(causes.values())
    print(f"\n### Top causes (first line of the exception; {total} tests)\n")
    print("| tests | cause |\n| ---: | --- |")
    for cause, count in causes.most_common(TOP_CAUSES):
        cell = cause.replace("|", "/").replace("`", "'")
        print(f"| {count} | `{cell}` |")


def print_module_map(renamer: Renamer) -> None:
    """Which Quart module became which app_framework module."""
    print("\n### Module map (Quart module -> app_framework module)\n")
    for module in sorted(renamer.used):
        target = map_module(module)
        exists = module == "quart" or _ours(tuple(target.split("."))[1:]) is not None
        there = "exists" if exists else "missing"
        print(f"- `{module}` -> `{target}` ({there}; {renamer.used[module]} uses)")


def print_quart_files(
    results: dict[str, Outcome], baseline: dict[str, Outcome], modules: frozenset[str]
) -> None:
    """Quart's own tests, file by file, with the files that do not apply."""
    files = by_file(results)
    absent = [name for name in files if not applies(name, modules)]
    print(
        "\nQuart's test files that do not apply (they test a Quart module "
        f"that app_framework has no counterpart for): {', '.join(absent) or 'none'}"
    )
    for key, reason in NOT_APPLICABLE.items():
        cases = [t for t in results if t.split("[")[0] == key]
        print(f"- not applicable: `{key}` ({len(cases)} cases): {reason}")
    print("\n### Quart's own tests by file\n")
    print(HEADER)
    for name, group in files.items():
        print(row(name, group, baseline).line())


def imported_names(source: str) -> Iterator[tuple[str, str]]:
    """(module, name) for each app_framework import; name "" for ``import``."""
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name.split(".")[0] == "app_framework":
                    yield alias.name, ""
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            if node.module.split(".")[0] == "app_framework":
                for alias in node.names:
                    yield node.module, alias.name


def lacks(module: str, name: str) -> str:
    """What app_framework lacks of ``from module import name``, or ""."""
    try:
        found = importlib.import_module(module)
    except ImportError:
        return f"module {module}"
    if not name or hasattr(found, name):
        return ""
    package = hasattr(found, "__path__")
    if package and importlib.util.find_spec(f"{module}.{name}") is not None:
        return ""
    return f"{module}.{name}"


def print_missing_names(trees: Iterable[Path]) -> None:
    """Every name the ported code imports that app_framework lacks.

    The runs show only the first failing import of each file; this lists
    them all, with the number of ported files importing each.
    """
    sys.path.insert(0, str(ROOT))  # this checkout's app_framework
    users: dict[str, set[Path]] = {}
    for tree in trees:
        for path in tree.rglob("*.py"):
            for module, name in imported_names(path.read_text(encoding="utf-8")):
                lacking = lacks(module, name)
                if lacking:
                    users.setdefault(lacking, set()).add(path)
    print("\n### Names the ported code imports that app_framework lacks\n")
    print("| files | name |\n| ---: | --- |")
    for lacking, paths in sorted(users.items(), key=lambda item: -len(item[1])):
        print(f"| {len(paths)} | `{lacking}` |")


# --------------------------------------------------------------------- main


def measure(
    suite: Suite, renamer: Renamer
) -> tuple[dict[str, Outcome], dict[str, Outcome]]:
    """Port and run ``suite``: (ported results, baseline results)."""
    files = port_tree(suite.original, suite.ported, renamer)
    print(f"{suite.label}: {files} files ported; runs under Quart, then ported")
    baseline = outcomes(run_suite(suite, suite.original, ported=False))
    records = run_suite(suite, suite.ported, ported=True)
    return merge(baseline, outcomes(records), collect_errors(records)), baseline


def measure_installed(suite: Suite) -> tuple[dict[str, Outcome], dict[str, Outcome]]:
    """Run ``suite``'s tests unchanged against the installed extension, on
    app_framework through app_framework.compat.quart: (results, baseline)."""
    print(f"{suite.label}: runs under Quart, then as installed on app_framework")
    baseline = outcomes(run_suite(suite, suite.original, ported=False))
    records = run_suite(suite, suite.original, ported=False, installed=True)
    return merge(baseline, outcomes(records), collect_errors(records)), baseline


def main_as_installed(suites: list[Suite]) -> None:
    """The ``--as-installed`` table and causes."""
    rows: list[Row] = []
    everything: list[Outcome] = []
    total = Row("TOTAL (extensions)")
    for suite in suites:
        results, baseline = measure_installed(suite)
        rows.append(row(suite.label, results, baseline))
        total.add(rows[-1])
        everything.extend(results.values())
    rows.append(total)
    print("\n## Results: the extensions' own tests, unrenamed, as installed\n")
    print(HEADER)
    for line in rows:
        print(line.line())
    print_causes(everything)


def sources(
    quart_tests: Path | None,
) -> tuple[list[Suite], Suite | None, list[str]]:
    """The extensions' suites, Quart's suite (None: not asked for), and
    notes on what is absent."""
    suites: list[Suite] = []
    notes: list[str] = []
    for extension in EXTENSIONS:
        tree = fetch_sdist(extension)
        label = f"{extension.name} {extension.version}"
        if (tree / "tests").is_dir():
            suites.append(Suite(label, tree, BUILD / "ported" / tree.name))
        else:
            notes.append(f"{label}: no tests in the sdist")
    if quart_tests is None:
        return suites, None, notes
    if not quart_tests.is_dir():
        notes.append(
            f"Quart's own tests: {quart_tests} is absent; give the tests/ folder "
            "of a Quart checkout with --quart-tests DIR"
        )
        print(notes[-1])
        return suites, None, notes
    tree = quart_tests_tree(quart_tests)
    return (
        suites,
        Suite("quart (own tests)", tree, BUILD / "ported" / "quart-tests"),
        notes,
    )


def main() -> None:
    """Fetch, port, run, print."""
    parser = argparse.ArgumentParser(description="Port Quart code by renames; count.")
    parser.add_argument(
        "--quart-tests",
        type=Path,
        default=DEFAULT_QUART_TESTS,
        help=f"the tests/ folder of a Quart checkout (default {DEFAULT_QUART_TESTS})",
    )
    parser.add_argument(
        "--as-installed",
        action="store_true",
        help="run the extensions' tests unrenamed against the installed "
        "extensions, with app_framework.compat.quart imported first",
    )
    args = parser.parse_args()
    BUILD.mkdir(parents=True, exist_ok=True)
    if args.as_installed:
        print("## Sources", flush=True)
        suites, _, notes = sources(None)
        print("## The port's venv", flush=True)
        make_venv()
        main_as_installed(suites)
        for note in notes:
            print(f"\n{note}")
        return
    renamer = Renamer(quart_modules())
    print("## Sources", flush=True)
    suites, quart_suite, notes = sources(args.quart_tests)
    print("## The port's venv", flush=True)
    make_venv()
    rows: list[Row] = []
    everything: list[Outcome] = []
    total = Row("TOTAL (extensions)")
    for suite in suites:
        results, baseline = measure(suite, renamer)
        rows.append(row(suite.label, results, baseline))
        total.add(rows[-1])
        everything.extend(results.values())
    rows.append(total)
    if quart_suite is not None:
        quart_results, quart_baseline = measure(quart_suite, renamer)
        everything.extend(quart_results.values())
        rows.append(row(quart_suite.label, quart_results, quart_baseline))
        applicable = {
            test_id: outcome
            for test_id, outcome in quart_results.items()
            if applies_test(test_id, renamer.modules)
        }
        rows.append(row("quart, files that apply", applicable, quart_baseline))
    print("\n## Results\n")
    print(HEADER)
    for line in rows:
        print(line.line())
    for note in notes:
        print(f"\n{note}")
    if quart_suite is not None:
        print_quart_files(quart_results, quart_baseline, renamer.modules)
    print_module_map(renamer)
    ported = [suite.ported for suite in suites]
    if quart_suite is not None:
        ported.append(quart_suite.ported)
    print_missing_names(ported)
    print_causes(everything)


if __name__ == "__main__":
    main()
