"""The documentation site builds without a warning, and its API reference
documents every public name of both packages.

The site is the one ``make docs`` builds (build/docs). When that build is
older than any page, docstring or configuration, the fixture builds it
again with the same command, so under ``make test`` (which runs ``make
docs`` first) it is built once, and a lone pytest run still checks what
the sources say now.
"""

from __future__ import annotations

import subprocess
import sys
import types
from pathlib import Path

import pytest
from sphinx.util.inventory import InventoryFile

import app_framework
import asignals

ROOT = Path(__file__).resolve().parents[1]
BUILT = ROOT / "build" / "docs"
SOURCES = [
    ROOT / "docs",
    ROOT / "app_framework",
    ROOT / "asignals",
    ROOT / "CHANGELOG.md",
]


def _newest_source() -> float:
    files = [path for source in SOURCES for path in [source, *source.rglob("*")]]
    return max(path.stat().st_mtime for path in files if path.is_file())


def build(out: Path) -> subprocess.CompletedProcess[str]:
    """What ``make docs`` runs: warnings are errors, a fresh environment."""
    sphinx = Path(sys.executable).with_name("sphinx-build")
    return subprocess.run(
        [str(sphinx), "-q", "-E", "-b", "html", "-W", "--keep-going", "-j", "auto"]
        + ["docs", str(out)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=180,
    )


@pytest.fixture(scope="module")
def site() -> Path:
    inventory = BUILT / "objects.inv"
    if not inventory.exists() or inventory.stat().st_mtime < _newest_source():
        done = build(BUILT)
        assert done.returncode == 0, done.stdout + done.stderr
    return BUILT


def documented(site: Path) -> set[str]:
    with (site / "objects.inv").open("rb") as stream:
        inventory = InventoryFile.load(stream, "", lambda base, uri: uri)
    return {name for entries in inventory.values() for name in entries}


@pytest.mark.parametrize("package", [app_framework, asignals], ids=lambda p: p.__name__)
def test_the_reference_documents_every_public_name(
    site: Path, package: types.ModuleType
) -> None:
    names = documented(site)
    missing = [
        f"{package.__name__}.{name}"
        for name in package.__all__
        if f"{package.__name__}.{name}" not in names
    ]
    assert not missing, f"not in the API reference (docs/reference/): {missing}"


def test_every_page_is_built(site: Path) -> None:
    pages = {
        path.relative_to(ROOT / "docs").with_suffix(".html")
        for path in (ROOT / "docs").rglob("*.md")
        if path.name != "DOCS.md"
    }
    assert pages
    assert not [page for page in pages if not (site / page).exists()]
