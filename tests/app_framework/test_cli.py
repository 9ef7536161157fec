"""The command line, on click: finding the app, the built-in commands,
the app's and its blueprints' commands, and test_cli_runner."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import click
import pytest
from click.testing import CliRunner

from app_framework import App, Blueprint, current_app, g
from app_framework.cli import APP_ENV, cli, with_appcontext

ROOT = Path(__file__).resolve().parents[2]


def invoke(*args: str, **kwargs: Any) -> Any:
    result = CliRunner().invoke(cli, list(args), catch_exceptions=False, **kwargs)
    return result


@pytest.mark.parametrize(
    "target",
    [
        "tests.app_framework.apps.cli_app:app",
        "tests.app_framework.apps.cli_app",  # finds 'app'
        "tests.app_framework.apps.cli_app:create_app()",
        "tests.app_framework.apps.cli_app:create_app('made')",
    ],
)
def test_the_app_is_found_each_way_and_its_commands_run(target: str) -> None:
    result = invoke("--app", target, "hello", "--name", "ada")
    assert result.exit_code == 0, result.output
    name = "made" if "made" in target else "cli"
    assert result.output == f"hello ada from {name}\n"


def test_an_environment_variable_names_the_app(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(APP_ENV, "tests.app_framework.apps.cli_app:app")
    assert invoke("seed").output == "seeded cli True\n"  # async, in an app context


@pytest.mark.parametrize(
    ("target", "message"),
    [
        ("no_such_module_xyz:app", "cannot import 'no_such_module_xyz'"),
        ("tests.app_framework.apps.cli_app:nothing", "has no attribute 'nothing'"),
        ("tests.app_framework.apps.cli_app:seen", "is a list, not an App"),
        ("tests.app_framework.apps.cli_app:create_app(x)", "must be literals"),
        ("tests.app_framework.apps.cli_app:nope()", "has no function 'nope'"),
        ("tests.app_framework", "no app found in 'tests.app_framework'"),
    ],
)
def test_bad_targets_are_explained(target: str, message: str) -> None:
    result = invoke("--app", target, "routes")
    assert result.exit_code == 2 and message in result.output


def test_no_app_at_all_says_how_to_give_one(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(APP_ENV, raising=False)
    result = invoke("routes")
    assert result.exit_code == 2 and "Use --app module:app" in result.output
    assert "routes" in invoke("--help").output  # help works without an app


def test_routes_shows_websocket_rules() -> None:
    lines = invoke(
        "--app", "tests.app_framework.apps.cli_app:app", "routes"
    ).output.splitlines()
    assert lines[0].split() == ["Rule", "Methods", "Endpoint"]
    rows = [line.split() for line in lines[2:]]
    assert ["/", "GET", "index"] in rows
    assert ["/ws", "WEBSOCKET", "ws"] in rows
    assert ["/static/<path:filename>", "GET", "static"] in rows


def test_signals_uses_python_names() -> None:
    text = invoke("--app", "examples.tour:app", "signals").output
    for name in ("request_started", "appcontext_tearing_down", "message_flashed"):
        assert f"{name}: " in text
    assert "connect_receivers.<locals>.count_it" in text


def test_blueprint_command_groups() -> None:
    target = ("--app", "tests.app_framework.apps.cli_app:app")
    assert invoke(*target, "tools", "sweep").output == "swept cli\n"
    assert invoke(*target, "top").output == "top-level\n"  # cli_group=None


def test_shell_runs_in_an_app_context() -> None:
    code = "print(app.name, answer, g.get('x'), run(current()))\n"
    result = invoke(
        "--app",
        "tests.app_framework.apps.cli_app:app",
        "shell",
        input="from app_framework import current_app\n"
        "async def current(): return current_app.name\n\n" + code,
    )
    assert "cli 42 None cli" in result.output


def test_run_serves_with_uvicorn(monkeypatch: pytest.MonkeyPatch) -> None:
    import uvicorn

    calls: list[Any] = []
    monkeypatch.setattr(uvicorn, "run", lambda *a, **k: calls.append((a, k)))
    for name in (APP_ENV, "APP_FRAMEWORK_DEBUG"):  # recorded, so restored after
        monkeypatch.setenv(name, "")
        monkeypatch.delenv(name)
    target = "tests.app_framework.apps.cli_app:app"
    invoke("--app", target, "run", "--port", "8123")
    (served,), options = calls.pop()
    assert isinstance(served, App) and options == {
        "host": "127.0.0.1",
        "port": 8123,
        "reload": False,
        "ws_max_size": 16 * 1024 * 1024,  # MAX_WEBSOCKET_MESSAGE_SIZE
        "ws_max_queue": 1,
    }
    invoke(
        "--app",
        target,
        "run",
        "--reload",
        "--workers",
        "2",
        "--log-level",
        "info",
        "--debug",
        "--ws-max-size",
        "1000",
        "--ws-max-queue",
        "4",
    )
    args, options = calls.pop()
    assert args == ("app_framework.cli:_served_app",)
    assert options == {
        "factory": True,
        "host": "127.0.0.1",
        "port": 8000,
        "reload": True,
        "workers": 2,
        "log_level": "info",
        "ws_max_size": 1000,
        "ws_max_queue": 4,
    }
    assert os.environ[APP_ENV] == target  # the workers load it from there
    from app_framework.cli import _served_app

    assert _served_app().debug  # --debug reaches the workers


def test_the_console_script_and_python_dash_m() -> None:
    script = Path(sys.executable).with_name("app-framework")
    assert script.exists(), "the console script is declared in pyproject.toml"
    for command in ([str(script)], [sys.executable, "-m", "app_framework"]):
        result = subprocess.run(
            [*command, "--app", "examples.tour:app", "routes"],
            capture_output=True,
            text=True,
            timeout=60,
            check=True,
            cwd=ROOT,
        )
        assert "/countdown/<int:n>" in result.stdout


def test_test_cli_runner_and_with_appcontext(app: App) -> None:
    @app.cli.command("count")
    @click.argument("n", type=int)
    def count(n: int) -> None:
        g.n = n
        click.echo(f"{current_app.name} counted {g.n}")

    @click.command("plain")
    @with_appcontext
    def plain() -> None:
        click.echo(f"plain in {current_app.name}")

    app.cli.add_command(plain)
    runner = app.test_cli_runner()
    assert runner.invoke(args=["count", "3"]).output == "test_app counted 3\n"
    assert runner.invoke(plain).output == "plain in test_app\n"


async def test_commands_run_from_async_code_too(app: App) -> None:
    @app.cli.command("where")
    def where() -> None:
        click.echo(current_app.name)

    # A running event loop here: the command gets a loop of its own.
    assert app.test_cli_runner().invoke(args=["where"]).output == "test_app\n"


def test_command_name_clashes_name_both_sides(app: App) -> None:
    @app.cli.command("sync")
    def first() -> None:
        pass

    with pytest.raises(ValueError, match=r"'sync' of the app .*second.*clashes.*first"):

        @app.cli.command("sync")
        def second() -> None:
            pass

    bp = Blueprint("bp", __name__, cli_group=None)

    @bp.cli.command("sync")
    def third() -> None:
        pass

    with pytest.raises(ValueError, match="'sync' of blueprint 'bp'"):
        app.register_blueprint(bp)
