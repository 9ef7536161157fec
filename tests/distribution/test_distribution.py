"""The wheel and the sdist a user installs: built here, then opened."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import sysconfig
import tarfile
import zipfile
from email.message import Message
from email.parser import Parser
from pathlib import Path

import pytest

import app_framework

ROOT = Path(__file__).resolve().parents[2]


# What the project's tools leave in a checkout (`make lint`, `make test`,
# `make e2e`): none of it belongs in the sdist.
LEFTOVERS = (
    ".import_linter_cache",
    ".mypy_cache",
    ".ruff_cache",
    ".pytest_cache",
    ".hypothesis",
    "build",
)


@pytest.fixture(scope="module")
def dist(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The wheel and the sdist, built from a copy of the checkout after a
    run of every tool (each leftover folder holds a file)."""
    checkout = tmp_path_factory.mktemp("checkout") / "app-framework"
    shutil.copytree(
        ROOT,
        checkout,
        ignore=shutil.ignore_patterns(".git", ".venv", "__pycache__", *LEFTOVERS),
    )
    for name in LEFTOVERS:
        (checkout / name).mkdir()
        (checkout / name / "left-by-a-tool").write_text("x")
    out = tmp_path_factory.mktemp("dist")
    hatchling = Path(sys.executable).with_name("hatchling")
    subprocess.run(
        [str(hatchling), "build", "-d", str(out)],
        cwd=checkout,
        check=True,
        capture_output=True,
        timeout=60,
    )
    return out


def _wheel(dist: Path) -> zipfile.ZipFile:
    (path,) = dist.glob("*.whl")
    return zipfile.ZipFile(path)


def _metadata(wheel: zipfile.ZipFile) -> Message:
    (name,) = [n for n in wheel.namelist() if n.endswith(".dist-info/METADATA")]
    return Parser().parsestr(wheel.read(name).decode())


def test_the_wheel_carries_the_license_and_the_type_markers(dist: Path) -> None:
    with _wheel(dist) as wheel:
        names = set(wheel.namelist())
        (license_name,) = [n for n in names if n.endswith("licenses/LICENSE")]
        assert wheel.read(license_name) == (ROOT / "LICENSE").read_bytes()
    assert {"asignals/py.typed", "app_framework/py.typed"} <= names
    # The project's tests, examples and benchmarks are not installed.
    assert not [n for n in names if n.split("/")[0] in {"tests", "examples", "bench"}]


def test_the_wheel_declares_the_console_script(dist: Path) -> None:
    with _wheel(dist) as wheel:
        (name,) = [n for n in wheel.namelist() if n.endswith("entry_points.txt")]
        entry_points = wheel.read(name).decode()
    assert "[console_scripts]" in entry_points
    assert "app-framework = app_framework.cli:main" in entry_points


def test_the_metadata_a_package_index_shows(dist: Path) -> None:
    with _wheel(dist) as wheel:
        meta = _metadata(wheel)
    assert meta["License-Expression"] == "MIT"
    classifiers = meta.get_all("Classifier") or []
    assert "Framework :: AsyncIO" in classifiers
    assert "Typing :: Typed" in classifiers
    # The version is app_framework.__version__ (hatch's dynamic version), and
    # no project URL is listed: the project has no public address yet, and a
    # placeholder would send users nowhere.
    assert meta["Version"] == app_framework.__version__
    assert not meta.get_all("Project-URL")
    assert "signals" in (meta["Keywords"] or "")
    extras = set(meta.get_all("Provides-Extra") or [])
    assert {"test", "redis", "dev"} <= extras


def test_users_get_the_runtime_and_maintainers_get_their_tools(dist: Path) -> None:
    with _wheel(dist) as wheel:
        requires = _metadata(wheel).get_all("Requires-Dist") or []
    runtime = {r.split(">")[0].split("[")[0] for r in requires if "extra ==" not in r}
    assert {"starlette", "jinja2", "werkzeug", "uvicorn"} <= runtime
    # Nothing for testing or linting is forced on an app that depends on us.
    assert not runtime & {"pytest", "mypy", "ruff", "quart", "flask", "redis"}
    test_extra = {
        r.split(">")[0]
        for r in requires
        if "extra == 'test'" in r or 'extra == "test"' in r
    }
    assert test_extra == {"pytest", "pytest-asyncio"}
    # Forms are parsed by app_framework.formparser (on werkzeug's sansio
    # parser), never by Starlette's, so python-multipart is not a dependency.
    assert "python-multipart" not in runtime


NO_MULTIPART = """\
import asyncio
import sys

# Importing either name now raises ImportError, as if it were not installed.
sys.modules["multipart"] = None
sys.modules["python_multipart"] = None

from app_framework import App, request

app = App("shop")


@app.post("/order")
async def order():
    form = await request.form
    files = await request.files
    return f"{form['item']} x{form['count']} note={files['note'].read().decode()}"


async def main():
    client = app.test_client()
    body = (
        b"--sep\\r\\nContent-Disposition: form-data; name=item\\r\\n\\r\\ntea"
        b"\\r\\n--sep\\r\\nContent-Disposition: form-data; name=count\\r\\n\\r\\n3"
        b"\\r\\n--sep\\r\\nContent-Disposition: form-data; name=note;"
        b" filename=n.txt\\r\\n\\r\\nno sugar\\r\\n--sep--\\r\\n"
    )
    multipart = await client.post(
        "/order",
        content=body,
        headers={"Content-Type": "multipart/form-data; boundary=sep"},
    )
    print(multipart.status_code, multipart.text)


asyncio.run(main())
"""


def test_forms_are_parsed_without_python_multipart() -> None:
    result = subprocess.run(
        [sys.executable, "-c", NO_MULTIPART],
        capture_output=True,
        text=True,
        timeout=30,
        cwd=ROOT,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout == "200 tea x3 note=no sugar\n"


def test_the_sdist_carries_the_license(dist: Path) -> None:
    (path,) = dist.glob("*.tar.gz")
    with tarfile.open(path) as sdist:
        names = sdist.getnames()
        (license_name,) = [n for n in names if n.endswith("/LICENSE")]
        member = sdist.extractfile(license_name)
        assert member is not None
        assert member.read() == (ROOT / "LICENSE").read_bytes()


def test_the_sdist_leaves_out_what_the_tools_left_behind(dist: Path) -> None:
    (path,) = dist.glob("*.tar.gz")
    with tarfile.open(path) as sdist:
        # Each name is "app_framework-0.1.0/<path>".
        top = {name.split("/")[1] for name in sdist.getnames() if "/" in name}
    assert not top & set(LEFTOVERS)
    assert {"app_framework", "asignals", "tests", "pyproject.toml"} <= top


def test_make_clean_removes_the_tool_caches() -> None:
    dry_run = subprocess.run(
        ["make", "--dry-run", "clean"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
        timeout=30,
    )
    removed = dry_run.stdout.split()
    # build/ is kept: it holds the screenshots `make e2e` takes.
    assert {name for name in LEFTOVERS if name != "build"} <= set(removed)


HELLO = """\
import click

from app_framework import App

app = App("hello")


@app.route("/")
def index():
    return "Hello World!"


@app.cli.command("greet")
def greet():
    click.echo("hello from the user's command")
"""


def test_the_installed_console_script_finds_the_users_module(
    dist: Path, tmp_path: Path
) -> None:
    """`pip install app-framework` (not editable), then `app-framework --app
    hello:app` in the folder holding hello.py: the folder is not on the
    console script's sys.path, the command line puts it there."""
    venv = tmp_path / "venv"
    subprocess.run(
        [sys.executable, "-m", "venv", "--without-pip", str(venv)],
        check=True,
        timeout=30,
    )
    (site,) = venv.glob("lib/python*/site-packages")
    # The dependencies from this venv's site-packages, as a plain path entry:
    # its .pth files (our own editable install) are not read.
    deps = sysconfig.get_paths()["purelib"]
    (site / "dependencies.pth").write_text(deps + "\n")
    (wheel,) = dist.glob("*.whl")
    subprocess.run(
        [sys.executable, "-m", "pip", "--python", str(venv / "bin" / "python")]
        + ["install", "--no-deps", "--no-index", "-q", str(wheel)],
        check=True,
        capture_output=True,
        timeout=60,
    )
    project = tmp_path / "project"
    project.mkdir()
    (project / "hello.py").write_text(HELLO)
    env = {k: v for k, v in os.environ.items() if not k.startswith("PYTHON")}
    env = {k: v for k, v in env.items() if not k.startswith("APP_FRAMEWORK_")}

    def run(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [str(venv / "bin" / "app-framework"), *args],
            capture_output=True,
            text=True,
            timeout=30,
            cwd=project,
            env=env,
        )

    routes = run("--app", "hello:app", "routes")
    assert routes.returncode == 0, routes.stderr
    assert ["index", "GET", "/"] in [
        line.split() for line in routes.stdout.splitlines()
    ]
    assert (
        run("--app", "hello:app", "greet").stdout == "hello from the user's command\n"
    )
    version = run("--version").stdout
    assert f"app_framework {app_framework.__version__}\n" in version
    where = subprocess.run(
        [
            str(venv / "bin" / "python"),
            "-c",
            "import app_framework; print(app_framework.__file__)",
        ],
        capture_output=True,
        text=True,
        check=True,
        cwd=project,
        env=env,
    )
    assert where.stdout.startswith(str(site))  # the wheel's copy, not the source
