"""The command line, on click: finding the app, the built-in commands,
the app's and its blueprints' commands, and test_cli_runner."""

from __future__ import annotations

import importlib.metadata
import os
import platform
import re
import ssl
import subprocess
import sys
import types
from collections.abc import Callable, Iterator
from functools import partial
from pathlib import Path
from typing import Any

import click
import httpx
import pytest
from click.testing import CliRunner

from app_framework import App, Blueprint, current_app, g
from app_framework.cli import (
    APP_ENV,
    AppGroup,
    FlaskGroup,
    FrameworkGroup,
    NoAppException,
    ScriptInfo,
    cli,
    find_best_app,
    get_version,
    load_dotenv,
    locate_app,
    prepare_import,
    run_command,
    with_appcontext,
)
from app_framework.config import DEBUG_ENV
from tests.helpers.servers import app_framework_run

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
    assert (
        result.exit_code == 2
        and "Use the 'app-framework --app' option" in result.output
    )
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


# -- Flask's command-line behaviours (its tests/test_cli.py, ported) ----------

test_path = Path(__file__).resolve().parent / "cli_apps"
cwd = Path.cwd()


@pytest.fixture
def test_apps(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.syspath_prepend(str(test_path))
    original_modules = set(sys.modules)
    yield
    # Forget what was imported: "import app" must not work in the next test.
    for key in sys.modules.keys() - original_modules:
        sys.modules.pop(key)


@pytest.fixture
def runner() -> CliRunner:
    return CliRunner()


@pytest.fixture
def no_cli_env(monkeypatch: pytest.MonkeyPatch) -> None:
    """None of the command line's variables set (and all restored after)."""
    for name in (APP_ENV, DEBUG_ENV, "FLASK_APP", "FLASK_DEBUG"):
        monkeypatch.setenv(name, "")
        monkeypatch.delenv(name)


def test_find_best_app() -> None:
    def module(**attributes: Any) -> types.ModuleType:
        made = types.ModuleType("mod")
        vars(made).update(attributes)
        return made

    app = App("appname")
    assert find_best_app(module(app=app)) is app
    assert find_best_app(module(application=app)) is app
    assert find_best_app(module(myapp=app)) is app
    assert find_best_app(module(create_app=lambda: App("made"))).name == "made"

    def create_app(**kwargs: Any) -> App:
        return App("made")

    def make_app() -> App:
        return App("made2")

    assert find_best_app(module(create_app=create_app)).name == "made"
    assert find_best_app(module(make_app=make_app)).name == "made2"
    assert find_best_app(module(myapp=app, create_app=create_app)) is app
    with pytest.raises(NoAppException, match="no app found in 'mod'"):
        find_best_app(module())
    with pytest.raises(NoAppException, match="multiple apps in module 'mod'"):
        find_best_app(module(myapp1=App("a"), myapp2=App("b")))

    def wants_args(foo: str, bar: str) -> App:
        return App("x")

    with pytest.raises(NoAppException, match="'mod:create_app\\(args\\)'"):
        find_best_app(module(create_app=wants_args))

    def bad_factory() -> App:
        raise TypeError("bad bad factory!")

    with pytest.raises(TypeError, match="bad bad factory"):
        find_best_app(module(create_app=bad_factory))


@pytest.mark.parametrize(
    ("value", "path", "result"),
    [
        ("test", cwd, "test"),
        ("test.py", cwd, "test"),
        ("a/test", cwd / "a", "test"),
        ("test/__init__.py", cwd, "test"),
        ("test/__init__", cwd, "test"),
        (test_path / "cliapp" / "inner1" / "__init__", test_path, "cliapp.inner1"),
        (test_path / "cliapp" / "inner1" / "inner2", test_path, "cliapp.inner1.inner2"),
        ("test.a.b", cwd, "test.a.b"),
        (test_path / "cliapp.app", test_path, "cliapp.app"),
        (test_path / "cliapp" / "message.txt", test_path, "cliapp.message.txt"),
    ],
)
def test_prepare_import(
    monkeypatch: pytest.MonkeyPatch, value: str | Path, path: Path, result: str
) -> None:
    monkeypatch.setattr(sys, "path", sys.path[:])
    assert prepare_import(str(value)) == result
    assert sys.path[0] == str(path)


@pytest.mark.parametrize(
    ("iname", "aname", "result"),
    [
        ("cliapp.app", None, "testapp"),
        ("cliapp.app", "testapp", "testapp"),
        ("cliapp.factory", None, "app"),
        ("cliapp.factory", "create_app", "app"),
        ("cliapp.factory", "create_app()", "app"),
        ("cliapp.factory", 'create_app2("foo", "bar")', "app2_foo_bar"),
        ("cliapp.factory", 'create_app2("foo", "bar", )', "app2_foo_bar"),
        ("cliapp.factory", " create_app () ", "app"),
        ("cliapp.inner1", None, "inner1"),
        ("cliapp.inner1.inner2.flask", None, "inner2"),
    ],
)
def test_locate_app(
    test_apps: None, iname: str, aname: str | None, result: str
) -> None:
    assert locate_app(iname, aname).name == result


@pytest.mark.parametrize(
    ("iname", "aname", "message"),
    [
        ("notanapp.py", None, "cannot import 'notanapp.py'"),
        ("cliapp/app", None, "cannot import 'cliapp/app'"),
        ("cliapp.app", "notanapp", "has no attribute 'notanapp'"),
        ("cliapp.factory", 'create_app2("foo")', "Could not call the factory"),
        ("cliapp.factory", "create_app(", "is not a name or a call"),
        ("cliapp.factory", "no_app", "is a NoneType, not an App"),
        ("cliapp.importerrorapp", None, "an ImportError was raised"),
        ("cliapp.message.txt", None, "cannot import 'cliapp.message.txt'"),
        ("cliapp.multiapp", None, "multiple apps"),
    ],
)
def test_locate_app_raises(
    test_apps: None, iname: str, aname: str | None, message: str
) -> None:
    with pytest.raises(NoAppException, match=re.escape(message)):
        locate_app(iname, aname)


def test_locate_app_suppress_raise(test_apps: None) -> None:
    assert locate_app("notanapp.py", None, raise_if_not_found=False) is None
    # Only the module's own absence is suppressed.
    with pytest.raises(NoAppException):
        locate_app("cliapp.importerrorapp", None, raise_if_not_found=False)


def test_a_missing_module_says_what_to_do(test_apps: None) -> None:
    with pytest.raises(NoAppException) as caught:
        locate_app("hellox", "app")
    message = caught.value.format_message()
    assert "Run app-framework from the folder that holds it" in message
    assert "--app src/hello.py" in message
    assert os.getcwd() in message


def test_get_version(capsys: pytest.CaptureFixture[str]) -> None:
    ctx = click.Context(click.Command("app-framework"))
    with pytest.raises(click.exceptions.Exit):
        get_version(ctx, None, True)
    out = capsys.readouterr().out
    assert f"Python {platform.python_version()}" in out
    assert f"app_framework {importlib.metadata.version('app-framework')}" in out
    assert f"Werkzeug {importlib.metadata.version('werkzeug')}" in out
    assert f"Starlette {importlib.metadata.version('starlette')}" in out
    assert invoke("--version").output.splitlines()[1].startswith("app_framework ")


def test_scriptinfo(
    test_apps: None, no_cli_env: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    obj = ScriptInfo(app_import_path="cliapp.app:testapp")
    app = obj.load_app()
    assert app.name == "testapp"
    assert obj.load_app() is app

    # The module given by its file path.
    cli_app_path = str(test_path / "cliapp" / "app.py")
    assert ScriptInfo(app_import_path=cli_app_path).load_app().name == "testapp"
    obj = ScriptInfo(app_import_path=f"{cli_app_path}:testapp")
    assert obj.load_app().name == "testapp"

    obj = ScriptInfo(create_app=lambda: App("createapp"))
    app = obj.load_app()
    assert app.name == "createapp"
    assert obj.load_app() is app

    with pytest.raises(NoAppException, match="Could not locate"):
        ScriptInfo().load_app()

    # wsgi.py, then app.py, in the current folder.
    monkeypatch.chdir(test_path / "helloworld")
    assert ScriptInfo().load_app().name == "hello"
    monkeypatch.chdir(test_path / "cliapp")
    assert ScriptInfo().load_app().name == "testapp"


def test_with_appcontext(runner: CliRunner) -> None:
    @click.command()
    @with_appcontext
    def testcmd() -> None:
        click.echo(current_app.name)

    obj = ScriptInfo(create_app=lambda: App("testapp"))
    result = runner.invoke(testcmd, obj=obj)
    assert result.exit_code == 0
    assert result.output == "testapp\n"


def test_appgroup_app_context(runner: CliRunner) -> None:
    @click.group(cls=AppGroup)
    def cli() -> None:
        pass

    @cli.command()
    def test() -> None:
        click.echo(current_app.name)

    @cli.group()
    def subgroup() -> None:
        pass

    @subgroup.command()
    def test2() -> None:
        click.echo(current_app.name)

    obj = ScriptInfo(create_app=lambda: App("testappgroup"))
    result = runner.invoke(cli, ["test"], obj=obj)
    assert result.exit_code == 0
    assert result.output == "testappgroup\n"
    result = runner.invoke(cli, ["subgroup", "test2"], obj=obj)
    assert result.exit_code == 0
    assert result.output == "testappgroup\n"


def test_flaskgroup_app_context(runner: CliRunner) -> None:
    def create_app() -> App:
        return App("flaskgroup")

    @click.group(cls=FlaskGroup, create_app=create_app)
    def cli(**params: Any) -> None:
        pass

    @cli.command()
    def test() -> None:
        click.echo(current_app.name)

    result = runner.invoke(cli, ["test"])
    assert result.exit_code == 0
    assert result.output == "flaskgroup\n"


@pytest.mark.parametrize("set_debug_flag", [True, False])
def test_flaskgroup_debug(
    runner: CliRunner, no_cli_env: None, set_debug_flag: bool
) -> None:
    def create_app() -> App:
        app = App("flaskgroup")
        app.debug = True
        return app

    @click.group(
        cls=FrameworkGroup, create_app=create_app, set_debug_flag=set_debug_flag
    )
    def cli(**params: Any) -> None:
        pass

    @cli.command()
    def test() -> None:
        click.echo(str(current_app.debug))

    result = runner.invoke(cli, ["test"])
    assert result.exit_code == 0
    assert result.output == f"{not set_debug_flag}\n"


def test_flaskgroup_nested(app: App, runner: CliRunner) -> None:
    cli = click.Group("cli")
    flask_group = FlaskGroup(name="flask", create_app=lambda: app)
    cli.add_command(flask_group)

    @flask_group.command()
    def show() -> None:
        click.echo(current_app.name)

    result = runner.invoke(cli, ["flask", "show"])
    assert result.output == "test_app\n"


def test_no_command_echo_loading_error(no_cli_env: None) -> None:
    result = CliRunner().invoke(cli, ["missing"])
    assert result.exit_code == 2
    assert APP_ENV in result.stderr
    assert "Usage:" in result.stderr


def test_help_echo_loading_error(no_cli_env: None) -> None:
    result = CliRunner().invoke(cli, ["--help"])
    assert result.exit_code == 0
    assert APP_ENV in result.stderr
    assert "Usage:" in result.stdout


def test_help_echo_exception() -> None:
    def create_app() -> App:
        raise Exception("oh no")

    result = CliRunner().invoke(FlaskGroup(create_app=create_app), ["--help"])
    assert result.exit_code == 0
    assert "Exception: oh no" in result.stderr
    assert "Usage:" in result.stdout


class TestRoutes:
    @pytest.fixture
    def app(self) -> App:
        app = App(__name__)
        app.add_url_rule(
            "/get_post/<int:x>/<int:y>",
            methods=["GET", "POST"],
            endpoint="yyy_get_post",
        )
        app.add_url_rule("/zzz_post", methods=["POST"], endpoint="aaa_post")
        return app

    @pytest.fixture
    def invoke(self, app: App, runner: CliRunner) -> Callable[[list[str]], Any]:
        return partial(runner.invoke, FlaskGroup(create_app=lambda: app))

    def test_sort(self, invoke: Callable[[list[str]], Any]) -> None:
        def endpoints(output: str) -> list[str]:
            return [line.split()[-1] for line in output.splitlines()[2:]]

        assert endpoints(invoke(["routes", "-s", "endpoint"]).output) == [
            "aaa_post",
            "static",
            "yyy_get_post",
        ]
        assert endpoints(invoke(["routes"]).output) == [  # ours: by rule
            "yyy_get_post",
            "static",
            "aaa_post",
        ]

    def test_all_methods(self, invoke: Callable[[list[str]], Any]) -> None:
        assert "GET, HEAD, OPTIONS, POST" not in invoke(["routes"]).output
        output = invoke(["routes", "--all-methods"]).output
        assert "GET, HEAD, OPTIONS, POST" in output

    def test_no_routes(self, runner: CliRunner) -> None:
        app = App(__name__, static_folder=None)
        result = runner.invoke(FlaskGroup(create_app=lambda: app), ["routes"])
        assert result.exit_code == 0
        assert "No routes were registered." in result.output


def _forget(monkeypatch: pytest.MonkeyPatch, *names: str) -> None:
    for name in names:  # recorded as unset, so removed after the test
        monkeypatch.setenv(name, "")
        monkeypatch.delenv(name)


def test_load_dotenv(monkeypatch: pytest.MonkeyPatch) -> None:
    _forget(monkeypatch, "FOO", "BAR", "SPAM", "HAM")
    monkeypatch.setenv("EGGS", "3")
    monkeypatch.chdir(test_path)
    assert load_dotenv()
    assert Path.cwd() == test_path
    assert os.environ["FOO"] == "env"  # .env wins over .flaskenv
    assert os.environ["BAR"] == "bar"  # only in .flaskenv
    assert os.environ["SPAM"] == "1"  # only in .env
    assert os.environ["EGGS"] == "3"  # set already: the files do not change it
    assert os.environ["HAM"] == "火腿"  # UTF-8
    assert not load_dotenv("non-existent-file", load_defaults=False)


def test_dotenv_path(monkeypatch: pytest.MonkeyPatch) -> None:
    _forget(monkeypatch, "FOO", "BAR", "EGGS")
    load_dotenv(test_path / ".flaskenv")
    assert Path.cwd() == cwd
    assert os.environ["FOO"] == "flaskenv"


def test_dotenv_optional(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setitem(sys.modules, "dotenv", None)  # not installed
    monkeypatch.chdir(test_path)
    assert not load_dotenv()
    assert "FOO" not in os.environ
    assert "Install python-dotenv" in capsys.readouterr().err


def test_disable_dotenv_from_env(
    monkeypatch: pytest.MonkeyPatch, runner: CliRunner
) -> None:
    _forget(monkeypatch, "FOO", "BAR", "SPAM", "HAM", "EGGS")
    monkeypatch.chdir(test_path)
    monkeypatch.setenv("APP_FRAMEWORK_SKIP_DOTENV", "1")
    runner.invoke(FlaskGroup())
    assert "FOO" not in os.environ
    monkeypatch.delenv("APP_FRAMEWORK_SKIP_DOTENV")
    runner.invoke(FlaskGroup())
    assert os.environ["FOO"] == "env"


def test_a_flaskenv_names_the_app(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, no_cli_env: None
) -> None:
    (tmp_path / "hello.py").write_text(
        (test_path / "helloworld" / "hello.py").read_text()
    )
    (tmp_path / ".flaskenv").write_text("FLASK_APP=hello:app\nFLASK_DEBUG=1\n")
    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr(sys, "path", sys.path[:])
    monkeypatch.delitem(sys.modules, "hello", raising=False)
    result = CliRunner().invoke(cli, ["routes"])
    assert result.exit_code == 0, result.output
    assert ["/", "GET", "hello"] in [
        line.split() for line in result.stdout.splitlines()
    ]
    assert result.stderr == (
        "Note: FLASK_APP is read as APP_FRAMEWORK_APP, the native name.\n"
        "Note: FLASK_DEBUG is read as APP_FRAMEWORK_DEBUG, the native name.\n"
    )
    assert os.environ[DEBUG_ENV] == "1"


def test_run_cert_path() -> None:
    with pytest.raises(click.BadParameter):  # no key
        run_command.make_context("run", ["--cert", __file__])
    with pytest.raises(click.BadParameter):  # no cert
        run_command.make_context("run", ["--key", __file__])
    ctx = run_command.make_context("run", ["--cert", __file__, "--key", __file__])
    assert ctx.params["cert"] == (__file__, __file__)
    ctx = run_command.make_context("run", ["--key", __file__, "--cert", __file__])
    assert ctx.params["cert"] == (__file__, __file__)


def test_run_cert_adhoc(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "cryptography", None)
    with pytest.raises(click.BadParameter, match="requires the cryptography"):
        run_command.make_context("run", ["--cert", "adhoc"])
    monkeypatch.setitem(sys.modules, "cryptography", types.ModuleType("cryptography"))
    ctx = run_command.make_context("run", ["--cert", "adhoc"])
    assert ctx.params["cert"] == "adhoc"
    with pytest.raises(click.BadParameter):  # no key with adhoc
        run_command.make_context("run", ["--cert", "adhoc", "--key", __file__])


def test_run_cert_import_is_refused_saying_what_to_give() -> None:
    # Flask imports an ssl.SSLContext; uvicorn builds its own from files.
    with pytest.raises(click.BadParameter, match="--cert FILE --key FILE"):
        run_command.make_context("run", ["--cert", "ssl_context"])


def test_run_exclude_patterns() -> None:
    ctx = run_command.make_context("run", ["--exclude-patterns", __file__])
    assert ctx.params["exclude_patterns"] == [__file__]


def test_run_passes_tls_and_reload_options_to_uvicorn(
    monkeypatch: pytest.MonkeyPatch, no_cli_env: None, tmp_path: Path
) -> None:
    import uvicorn

    calls: list[Any] = []
    monkeypatch.setattr(uvicorn, "run", lambda *a, **k: calls.append((a, k)))
    target = "tests.app_framework.apps.cli_app:app"
    extra = tmp_path / "settings.toml"
    extra.write_text("")
    invoke("--app", target, "run", "--cert", __file__, "--key", __file__)
    _, options = calls.pop()
    assert options["ssl_certfile"] == options["ssl_keyfile"] == __file__
    assert options["reload"] is False and "reload_dirs" not in options

    invoke(
        "--app",
        target,
        "--debug",  # turns the reloader on
        "run",
        "--extra-files",
        str(extra),
        "--exclude-patterns",
        f"*.tmp{os.pathsep}build/*",
    )
    (factory,), options = calls.pop()
    assert factory == "app_framework.cli:_served_app"
    assert options["reload"] is True and options["log_level"] == "debug"
    assert options["reload_includes"] == [str(extra)]
    assert options["reload_dirs"] == sorted({os.getcwd(), str(tmp_path)})
    assert options["reload_excludes"] == ["*.tmp", "build/*"]

    invoke("--app", target, "run", "--no-reload")
    assert calls.pop()[1]["reload"] is False  # even in debug mode


def test_run_with_reload_needs_an_importable_app(app: App, runner: CliRunner) -> None:
    result = runner.invoke(FlaskGroup(create_app=lambda: app), ["run", "--reload"])
    assert result.exit_code == 2
    assert "give --app module:app" in result.output


def test_cli_blueprints(app: App) -> None:
    """Blueprint commands: under the blueprint's name, its cli_group, the
    cli_group given to register_blueprint, or at the top (None)."""
    custom = Blueprint("custom", __name__, cli_group="customized")
    nested = Blueprint("nested", __name__)
    merged = Blueprint("merged", __name__, cli_group=None)
    late = Blueprint("late", __name__)
    late_top = Blueprint("late_top", __name__)

    @custom.cli.command("custom")
    def custom_command() -> None:
        click.echo("custom_result")

    @nested.cli.command("nested")
    def nested_command() -> None:
        click.echo("nested_result")

    @merged.cli.command("merged")
    def merged_command() -> None:
        click.echo("merged_result")

    @late.cli.command("late")
    def late_command() -> None:
        click.echo("late_result")

    @late_top.cli.command("late-top")
    def late_top_command() -> None:
        click.echo("late_top_result")

    app.register_blueprint(custom)
    app.register_blueprint(nested)
    app.register_blueprint(merged)
    app.register_blueprint(late, cli_group="late_registration")
    app.register_blueprint(late_top, cli_group=None)

    app_runner = app.test_cli_runner()
    assert "custom_result" in app_runner.invoke(args=["customized", "custom"]).output
    assert "nested_result" in app_runner.invoke(args=["nested", "nested"]).output
    assert "merged_result" in app_runner.invoke(args=["merged"]).output
    result = app_runner.invoke(args=["late_registration", "late"])
    assert "late_result" in result.output
    assert "late_top_result" in app_runner.invoke(args=["late-top"]).output


def test_cli_empty(app: App) -> None:
    """A blueprint's empty command group is not registered."""
    app.register_blueprint(Blueprint("blue", __name__, cli_group="blue"))
    result = app.test_cli_runner().invoke(args=["blue", "--help"])
    assert result.exit_code == 2, f"Unexpected success:\n\n{result.output}"


def test_installed_packages_add_commands_through_entry_points(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, no_cli_env: None
) -> None:
    # An installed distribution, as pip leaves it: its module and dist-info.
    (tmp_path / "af_plugin.py").write_text(
        "import click\n\n"
        "@click.command('greet')\n"
        "def greet():\n"
        "    click.echo('hello from a plugin')\n"
    )
    info = tmp_path / "af_plugin-1.0.dist-info"
    info.mkdir()
    (info / "METADATA").write_text("Metadata-Version: 2.1\nName: af-plugin\n")
    (info / "entry_points.txt").write_text(
        "[app_framework.commands]\ngreet = af_plugin:greet\n"
        "[flask.commands]\nflaskonly = af_plugin:greet\n"
    )
    monkeypatch.syspath_prepend(str(tmp_path))
    monkeypatch.delitem(sys.modules, "af_plugin", raising=False)
    result = CliRunner().invoke(FrameworkGroup(), ["greet"])  # no app needed
    assert result.output == "hello from a plugin\n"
    result = CliRunner().invoke(FrameworkGroup(), ["flaskonly"])
    assert result.exit_code == 2  # Flask's group is not ours


def test_from_prefixed_env_skips_the_command_lines_variables(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv(APP_ENV, "hello:app")
    monkeypatch.setenv(DEBUG_ENV, "1")
    monkeypatch.setenv("APP_SECRET_KEY", "s3cr3t")
    app = App(__name__)
    app.config.from_prefixed_env()
    assert app.config["SECRET_KEY"] == "s3cr3t"
    assert "FRAMEWORK_APP" not in app.config
    assert "FRAMEWORK_DEBUG" not in app.config
    app.config.from_prefixed_env("APP_FRAMEWORK")  # asked for by name: read
    assert app.config["APP"] == "hello:app"


def test_the_console_script_finds_a_module_in_the_current_folder(
    tmp_path: Path,
) -> None:
    """A console script does not have the working folder on sys.path (an
    editable install or 'python -m' hide that): --app hello:app must work."""
    (tmp_path / "hello.py").write_text(
        (test_path / "helloworld" / "hello.py").read_text()
    )
    script = Path(sys.executable).with_name("app-framework")
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    for name in (APP_ENV, DEBUG_ENV, "FLASK_APP", "FLASK_DEBUG"):
        env.pop(name, None)
    result = subprocess.run(
        [str(script), "--app", "hello:app", "routes"],
        capture_output=True,
        text=True,
        timeout=30,
        cwd=tmp_path,
        env=env,
    )
    assert result.returncode == 0, result.stderr
    assert ["/", "GET", "hello"] in [
        line.split() for line in result.stdout.splitlines()
    ]
    result = subprocess.run(
        [str(script), "--app", "hellox:app", "routes"],
        capture_output=True,
        text=True,
        timeout=30,
        cwd=tmp_path,
        env=env,
    )
    assert result.returncode == 2
    assert "cannot import 'hellox'" in result.stderr
    assert "Run app-framework from the folder that holds it" in result.stderr


def test_run_serves_https_with_cert_and_key(tmp_path: Path, no_cli_env: None) -> None:
    cert, key = tmp_path / "cert.pem", tmp_path / "key.pem"
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1"]
        + ["-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1"]
        + ["-keyout", str(key), "-out", str(cert)],
        check=True,
        capture_output=True,
        timeout=30,
    )
    target = "tests.app_framework.apps.cli_app:app"
    with app_framework_run(target, "--cert", str(cert), "--key", str(key)) as server:
        trusted = ssl.create_default_context(cafile=str(cert))
        response = httpx.get(f"https://127.0.0.1:{server.port}/", verify=trusted)
    assert response.text == "index"
