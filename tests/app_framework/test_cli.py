"""The command line, on click: finding the app, the built-in commands,
the app's and its blueprints' commands, and test_cli_runner."""

from __future__ import annotations

import importlib.metadata
import os
import platform
import re
import socket
import ssl
import subprocess
import sys
import types
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import click
import httpx
import pytest
from click.testing import CliRunner

import app_framework.cli
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
from app_framework.serving import port_in_use
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
    # Someone coming from Flask learns that their variable is read too.
    assert "'APP_FRAMEWORK_APP' (or Flask's 'FLASK_APP')" in result.output
    assert "routes" in invoke("--help").output  # help works without an app


@pytest.mark.parametrize("command", ["", *sorted(cli.commands)])
def test_help_is_plain_text_without_rest_markup(command: str) -> None:
    # Docstrings become the help text: Sphinx's ``literal`` would show raw.
    result = invoke(*command.split(), "--help")
    assert result.exit_code == 0 and "Usage:" in result.output
    assert "``" not in result.output and ":mod:" not in result.output


def test_routes_shows_websocket_rules() -> None:
    lines = invoke(
        "--app", "tests.app_framework.apps.cli_app:app", "routes"
    ).output.splitlines()
    assert lines[0].split() == ["Endpoint", "Methods", "Rule"]
    rows = [line.split() for line in lines[2:]]
    assert ["index", "GET", "/"] in rows
    assert ["ws", "WEBSOCKET", "/ws"] in rows
    assert ["static", "GET", "/static/<path:filename>"] in rows


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
    # uvicorn is a stand-in here: whatever listens on these ports does not matter.
    monkeypatch.setattr("app_framework.cli._run.port_in_use", lambda host, port: False)
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


def test_run_on_a_busy_port_says_so_before_the_app_starts() -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = str(taken.getsockname()[1])
        result = CliRunner().invoke(
            cli, ["--app", "tests.app_framework.apps.cli_app:app", "run", "-p", port]
        )
    assert result.exit_code == 1
    assert f"port {port} on 127.0.0.1 is in use" in result.output
    assert "pass --port" in result.output


def test_a_port_is_free_again_once_its_listener_closes() -> None:
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen()
        port = listener.getsockname()[1]
        assert port_in_use("127.0.0.1", port)
    assert not port_in_use("127.0.0.1", port)
    assert not port_in_use("127.0.0.1", 0)  # the system picks one


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


# -- finding the app: prepare_import, find_best_app, locate_app, ScriptInfo ---

TARGETS = Path(__file__).resolve().parent / "cli_targets"

# A one-route app a test writes into a temporary folder of its own.
GREETER = """\
from app_framework import App

app = App("greeter")
app.add_url_rule("/", "greet", lambda: "hi")
"""


@pytest.fixture
def targets_on_path(monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """cli_targets importable; what the test imported is forgotten after."""
    monkeypatch.setattr(sys, "path", [str(TARGETS), *sys.path])
    imported_before = dict(sys.modules)
    yield TARGETS
    for name in [name for name in sys.modules if name not in imported_before]:
        del sys.modules[name]


@pytest.fixture
def no_cli_env(monkeypatch: pytest.MonkeyPatch) -> None:
    """None of the command line's variables set (and all restored after)."""
    _forget(monkeypatch, APP_ENV, DEBUG_ENV, "FLASK_APP", "FLASK_DEBUG")


def _forget(monkeypatch: pytest.MonkeyPatch, *names: str) -> None:
    for name in names:  # recorded as unset, so removed after the test
        monkeypatch.setenv(name, "")
        monkeypatch.delenv(name)


def _module(**attributes: Any) -> types.ModuleType:
    module = types.ModuleType("shop")
    module.__dict__.update(attributes)
    return module


def test_find_best_app_prefers_apps_by_name_then_the_only_one() -> None:
    counter = App("counter")
    spare = App("spare")  # a second App: the names decide, not the count
    for name in ("app", "application"):
        assert find_best_app(_module(**{name: counter, "spare": spare})) is counter
    # Any single App, whatever its name, and ahead of a factory.
    till = _module(till=counter, create_app=lambda: App("unused"))
    assert find_best_app(till) is counter


@pytest.mark.parametrize("factory_name", ["create_app", "make_app"])
def test_find_best_app_calls_a_factory_without_arguments(factory_name: str) -> None:
    def factory(**options: Any) -> App:
        return App(f"from_{factory_name}", **options)

    found = find_best_app(_module(**{factory_name: factory}))
    assert found.name == f"from_{factory_name}"


def test_find_best_app_explains_what_it_could_not_decide() -> None:
    with pytest.raises(NoAppException, match="no app found in 'shop'"):
        find_best_app(_module(price=3))
    with pytest.raises(NoAppException, match="multiple apps in module 'shop'"):
        find_best_app(_module(front=App("front"), back=App("back")))

    def needs_a_region(region: str) -> App:
        return App(region)

    hint = re.escape("'shop:create_app(args)'")
    with pytest.raises(NoAppException, match=hint):
        find_best_app(_module(create_app=needs_a_region))


def test_a_type_error_inside_the_factory_is_not_hidden() -> None:
    def faulty() -> App:
        return App(len(7))  # type: ignore[arg-type]

    with pytest.raises(TypeError, match="has no len"):
        find_best_app(_module(make_app=faulty))


@pytest.mark.parametrize(
    ("given", "folder", "module"),
    [
        ("jobs", ".", "jobs"),
        ("jobs.py", ".", "jobs"),
        ("batch/jobs.py", "batch", "jobs"),
        ("jobs/__init__", ".", "jobs"),
        ("jobs/__init__.py", ".", "jobs"),
        ("jobs.nightly.purge", ".", "jobs.nightly.purge"),
        # Inside packages: the name grows until a folder without __init__.py.
        ("{t}/orchard/branch/twig", "{t}", "orchard.branch.twig"),
        ("{t}/orchard/branch/__init__.py", "{t}", "orchard.branch"),
        ("{t}/orchard/label.txt", "{t}", "orchard.label.txt"),
        ("{t}/orchard.app", "{t}", "orchard.app"),
    ],
)
def test_prepare_import_names_the_module_and_puts_its_folder_first(
    monkeypatch: pytest.MonkeyPatch, given: str, folder: str, module: str
) -> None:
    monkeypatch.setattr(sys, "path", list(sys.path))
    assert prepare_import(given.format(t=TARGETS)) == module
    expected_folder = Path(folder.format(t=TARGETS)).resolve()
    assert Path(sys.path[0]) == expected_folder


@pytest.mark.parametrize(
    ("module", "app_name", "expected"),
    [
        ("orchard.app", None, "grove"),
        ("orchard.app", "grove", "grove"),
        ("orchard.factories", None, "planted"),
        ("orchard.factories", "create_app", "planted"),
        ("orchard.factories", "  create_app ( ) ", "planted"),
        ("orchard.factories", "graft('apple')", "apple_wild"),
        ("orchard.factories", "graft('apple', scion='pear',)", "apple_pear"),
        ("orchard.branch", None, "branch"),
        ("orchard.branch.twig.app_framework", None, "twig"),
    ],
)
def test_locate_app_finds(
    targets_on_path: Path, module: str, app_name: str | None, expected: str
) -> None:
    found = locate_app(module, app_name)
    assert (found.name, type(found)) == (expected, App)


@pytest.mark.parametrize(
    ("module", "app_name", "expected_message"),
    [
        ("orchard.nowhere", None, "cannot import 'orchard.nowhere'"),
        ("orchard/app", None, "cannot import 'orchard/app'"),
        ("orchard.label.txt", None, "cannot import 'orchard.label.txt'"),
        ("orchard.app", "oak", "module 'orchard.app' has no attribute 'oak'"),
        ("orchard.factories", "graft()", "Could not call the factory 'graft'"),
        ("orchard.factories", "graft(", "'graft(' is not a name or a call"),
        ("orchard.factories", "barren", "is a NoneType, not an App"),
        ("orchard.fails_inside", None, "an ImportError was raised"),
        ("orchard.pair", None, "Detected multiple apps in module 'orchard.pair'"),
    ],
)
def test_locate_app_refuses(
    targets_on_path: Path, module: str, app_name: str | None, expected_message: str
) -> None:
    with pytest.raises(NoAppException) as refused:
        locate_app(module, app_name)
    assert expected_message in refused.value.format_message()


def test_locate_app_may_return_none_for_a_module_that_is_not_there(
    targets_on_path: Path,
) -> None:
    assert locate_app("orchard.nowhere", None, raise_if_not_found=False) is None
    # A module that exists but fails to import is still an error.
    with pytest.raises(NoAppException, match="ImportError"):
        locate_app("orchard.fails_inside", None, raise_if_not_found=False)


def test_a_missing_module_says_what_to_do(targets_on_path: Path) -> None:
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
    printed = capsys.readouterr().out.splitlines()
    assert printed[0] == "Python " + platform.python_version()
    # app_framework's line is the package's own __version__, the one source
    # pyproject.toml reads too (not the metadata of whatever was installed).
    assert printed[1] == f"app_framework {app_framework.__version__}"
    for label, distribution in {
        "Starlette": "starlette",
        "Werkzeug": "werkzeug",
        "uvicorn": "uvicorn",
    }.items():
        assert f"{label} {importlib.metadata.version(distribution)}" in printed
    assert invoke("--version").output.splitlines()[1].startswith("app_framework ")


def test_python_m_app_framework_prints_the_version() -> None:
    done = subprocess.run(
        [sys.executable, "-m", "app_framework", "--version"],
        capture_output=True,
        text=True,
        timeout=30,
        check=True,
    )
    assert f"app_framework {app_framework.__version__}\n" in done.stdout


@pytest.mark.parametrize(
    "import_path",
    [
        "orchard.app:grove",
        "orchard.app",
        "{t}/orchard/app.py",
        "{t}/orchard/app.py:grove",
    ],
)
def test_script_info_loads_the_app_once(
    targets_on_path: Path, no_cli_env: None, import_path: str
) -> None:
    info = ScriptInfo(app_import_path=import_path.format(t=TARGETS))
    first = info.load_app()
    assert first.name == "grove"
    assert info.load_app() is first


def test_script_info_calls_create_app_once(no_cli_env: None) -> None:
    made: list[App] = []

    def create_app() -> App:
        made.append(App(f"made_{len(made)}"))
        return made[-1]

    info = ScriptInfo(create_app=create_app)
    assert info.load_app().name == "made_0"
    assert info.load_app() is made[0] and len(made) == 1


@pytest.mark.parametrize(
    ("folder", "expected"), [("front_door", "via_wsgi"), ("orchard", "grove")]
)
def test_script_info_looks_for_wsgi_py_then_app_py_here(
    targets_on_path: Path,
    no_cli_env: None,
    monkeypatch: pytest.MonkeyPatch,
    folder: str,
    expected: str,
) -> None:
    monkeypatch.chdir(TARGETS / folder)
    assert ScriptInfo().load_app().name == expected


def test_script_info_with_nothing_to_load_says_so(
    tmp_path: Path, no_cli_env: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    with pytest.raises(NoAppException, match="Could not locate"):
        ScriptInfo().load_app()


# -- groups: with_appcontext, AppGroup, FrameworkGroup ------------------------


def _shop(name: str = "shop") -> App:
    made = App(name)
    made.config["CURRENCY"] = "EUR"
    return made


def test_with_appcontext_takes_the_app_from_the_script_info() -> None:
    @click.command()
    @with_appcontext
    def currency() -> None:
        click.echo(f"{current_app.name} prices in {current_app.config['CURRENCY']}")

    result = CliRunner().invoke(currency, obj=ScriptInfo(create_app=_shop))
    assert (result.exit_code, result.output) == (0, "shop prices in EUR\n")


@pytest.mark.parametrize("path", [["stock"], ["reports", "daily"]])
def test_app_group_runs_its_commands_and_subgroups_in_the_app(
    path: list[str],
) -> None:
    @click.group(cls=AppGroup)
    def tools() -> None:
        """A group of the user's own."""

    @tools.command("stock")
    def stock() -> None:
        click.echo(f"stock of {current_app.name}")

    @tools.group("reports")
    def reports() -> None:
        """A nested group: its commands also get the app context."""

    @reports.command("daily")
    def daily() -> None:
        click.echo(f"daily of {current_app.name}")

    result = CliRunner().invoke(tools, path, obj=ScriptInfo(create_app=_shop))
    assert result.output == f"{path[-1]} of shop\n", result.output


@pytest.mark.parametrize(
    ("set_debug_flag", "expected"), [(True, "debug=False"), (False, "debug=True")]
)
def test_framework_group_as_a_decorator_class(
    no_cli_env: None, set_debug_flag: bool, expected: str
) -> None:
    """``set_debug_flag`` lets APP_FRAMEWORK_DEBUG (unset here) decide
    app.debug; without it, what the factory chose stays."""

    def create_app() -> App:
        made = _shop("decorated")
        made.debug = True
        return made

    @click.group(
        cls=FrameworkGroup, create_app=create_app, set_debug_flag=set_debug_flag
    )
    def manage(**options: Any) -> None:
        """A script of the user's own."""

    @manage.command("status")
    def status() -> None:
        click.echo(f"{current_app.name} debug={current_app.debug}")

    result = CliRunner().invoke(manage, ["status"])
    assert result.output == f"decorated {expected}\n", result.output


def test_framework_group_inside_a_plain_click_group(app: App) -> None:
    tools = click.Group("tools")
    web = FrameworkGroup(name="web", create_app=lambda: app)
    tools.add_command(web)

    @web.command("whoami")
    def whoami() -> None:
        click.echo(f"I am {current_app.name}")

    assert CliRunner().invoke(tools, ["web", "whoami"]).output == "I am test_app\n"


def test_loading_problems_are_reported_on_stderr(no_cli_env: None) -> None:
    unknown = CliRunner().invoke(cli, ["frobnicate"])
    assert unknown.exit_code == 2
    assert APP_ENV in unknown.stderr and "Usage:" in unknown.stderr

    # --help still helps: the usage on stdout, why no app on stderr.
    helped = CliRunner().invoke(cli, ["--help"])
    assert helped.exit_code == 0
    assert "Usage:" in helped.stdout and APP_ENV in helped.stderr


def test_help_shows_the_traceback_of_a_failing_factory() -> None:
    def create_app() -> App:
        raise RuntimeError("the database is down")

    result = CliRunner().invoke(FlaskGroup(create_app=create_app), ["--help"])
    assert result.exit_code == 0 and "Usage:" in result.stdout
    assert "RuntimeError: the database is down" in result.stderr
    assert "Traceback (most recent call last)" in result.stderr


# -- routes -------------------------------------------------------------------


def _routes(app: App, *options: str) -> list[list[str]]:
    group = FlaskGroup(create_app=lambda: app)
    output = CliRunner().invoke(group, ["routes", *options]).output
    # Columns are at least two spaces apart; "GET, PUT" has single ones.
    return [re.split(r"\s{2,}", line) for line in output.splitlines()[2:]]


@pytest.fixture
def catalogue() -> App:
    made = App("catalogue")
    made.add_url_rule("/archive", "zz_archive", methods=["POST"])
    made.add_url_rule("/items/<int:item_id>", "item", methods=["GET", "PUT"])
    return made


def test_routes_sorted_by_endpoint_unless_told(catalogue: App) -> None:
    by_endpoint = [row[0] for row in _routes(catalogue)]
    assert by_endpoint == ["item", "static", "zz_archive"]
    by_rule = [row[-1] for row in _routes(catalogue, "--sort", "rule")]
    assert by_rule == ["/archive", "/items/<int:item_id>", "/static/<path:filename>"]
    by_methods = [row[0] for row in _routes(catalogue, "-s", "methods")]
    assert by_methods == ["static", "item", "zz_archive"]  # GET < GET, PUT < POST
    as_listed = [row[0] for row in _routes(catalogue, "-s", "match")]
    assert as_listed == [rule.endpoint for rule in catalogue.url_map.iter_rules()]


def test_routes_hide_head_and_options_unless_asked(catalogue: App) -> None:
    assert _routes(catalogue)[0] == ["item", "GET, PUT", "/items/<int:item_id>"]
    everything = _routes(catalogue, "--all-methods")[0]
    assert everything[1] == "GET, HEAD, OPTIONS, PUT"


def test_routes_show_a_subdomain_column_when_a_rule_has_one() -> None:
    shop = App("shop", static_folder=None)
    shop.add_url_rule("/", "home")
    shop.add_url_rule("/cart", "cart", subdomain="buy")
    output = CliRunner().invoke(FlaskGroup(create_app=lambda: shop), ["routes"])
    header = output.output.splitlines()[0].split()
    assert header == ["Endpoint", "Methods", "Subdomain", "Rule"]
    # The rule without a subdomain has an empty cell there.
    assert _routes(shop, "-s", "domain") == [
        ["home", "GET", "/"],
        ["cart", "GET", "buy", "/cart"],
    ]


def test_routes_show_a_host_column_under_host_matching() -> None:
    shop = App("shop", static_folder=None, host_matching=True)
    shop.add_url_rule("/", "home", host="shop.test")
    output = CliRunner().invoke(FlaskGroup(create_app=lambda: shop), ["routes"])
    assert output.output.splitlines()[0].split() == [
        "Endpoint",
        "Methods",
        "Host",
        "Rule",
    ]
    assert _routes(shop) == [["home", "GET", "shop.test", "/"]]


def test_routes_of_an_app_without_any() -> None:
    bare = App("bare", static_folder=None)
    result = CliRunner().invoke(FlaskGroup(create_app=lambda: bare), ["routes"])
    assert (result.exit_code, result.output.strip()) == (
        0,
        "No routes were registered.",
    )


# -- .env and .flaskenv -------------------------------------------------------

FLASKENV = "CLI_T_SHARED=flaskenv\nCLI_T_FLASKENV_ONLY=yes\nCLI_T_PRESET=flaskenv\n"
DOTENV = "CLI_T_SHARED=env\nCLI_T_ENV_ONLY=7\nCLI_T_PRESET=env\nCLI_T_TEXT=čaj ☕\n"
DOTENV_NAMES = (
    "CLI_T_SHARED",
    "CLI_T_FLASKENV_ONLY",
    "CLI_T_ENV_ONLY",
    "CLI_T_PRESET",
    "CLI_T_TEXT",
)


@pytest.fixture
def env_folder(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A project folder with both files, none of their variables set yet."""
    (tmp_path / ".flaskenv").write_text(FLASKENV, encoding="utf-8")
    (tmp_path / ".env").write_text(DOTENV, encoding="utf-8")
    _forget(monkeypatch, *DOTENV_NAMES)
    return tmp_path


def test_load_dotenv_reads_both_files_without_overriding(
    env_folder: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("CLI_T_PRESET", "from the shell")
    monkeypatch.chdir(env_folder)
    assert load_dotenv() is True
    assert {name: os.environ[name] for name in DOTENV_NAMES} == {
        "CLI_T_SHARED": "env",  # .env over .flaskenv
        "CLI_T_FLASKENV_ONLY": "yes",
        "CLI_T_ENV_ONLY": "7",
        "CLI_T_PRESET": "from the shell",  # the environment over both
        "CLI_T_TEXT": "čaj ☕",  # read as UTF-8
    }
    assert Path.cwd() == env_folder  # the folder is not changed
    assert load_dotenv(env_folder / "absent.env", load_defaults=False) is False


def test_load_dotenv_of_a_named_file_only(
    env_folder: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    elsewhere = env_folder / "deploy"
    elsewhere.mkdir()
    monkeypatch.chdir(elsewhere)  # the defaults are found from here upwards
    assert load_dotenv(env_folder / ".flaskenv", load_defaults=False)
    assert os.environ["CLI_T_SHARED"] == "flaskenv"
    assert "CLI_T_ENV_ONLY" not in os.environ


def test_without_python_dotenv_the_files_are_ignored_with_a_tip(
    env_folder: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.setitem(sys.modules, "dotenv", None)  # an import fails
    monkeypatch.chdir(env_folder)
    assert load_dotenv() is False
    assert "CLI_T_SHARED" not in os.environ
    assert "Install python-dotenv" in capsys.readouterr().err


def test_skip_dotenv_variable_turns_the_files_off(
    env_folder: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(env_folder)
    monkeypatch.setenv("APP_FRAMEWORK_SKIP_DOTENV", "yes")
    CliRunner().invoke(FrameworkGroup())
    assert "CLI_T_SHARED" not in os.environ
    monkeypatch.setenv("APP_FRAMEWORK_SKIP_DOTENV", "0")  # off again
    CliRunner().invoke(FrameworkGroup())
    assert os.environ["CLI_T_SHARED"] == "env"


def test_flasks_skip_dotenv_name_works_too(
    env_folder: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(env_folder)
    monkeypatch.setenv("FLASK_SKIP_DOTENV", "true")
    CliRunner().invoke(FrameworkGroup())
    assert "CLI_T_SHARED" not in os.environ
    # The native name, when set, decides.
    monkeypatch.setenv("APP_FRAMEWORK_SKIP_DOTENV", "no")
    CliRunner().invoke(FrameworkGroup())
    assert os.environ["CLI_T_SHARED"] == "env"


def test_a_flaskenv_names_the_app(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, no_cli_env: None
) -> None:
    (tmp_path / "greeter.py").write_text(GREETER)
    (tmp_path / ".flaskenv").write_text("FLASK_APP=greeter:app\nFLASK_DEBUG=1\n")
    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr(sys, "path", sys.path[:])
    monkeypatch.delitem(sys.modules, "greeter", raising=False)
    result = CliRunner().invoke(cli, ["routes"])
    assert result.exit_code == 0, result.output
    assert ["greet", "GET", "/"] in [
        line.split() for line in result.stdout.splitlines()
    ]
    assert result.stderr == (
        "Note: FLASK_APP is read as APP_FRAMEWORK_APP, the native name.\n"
        "Note: FLASK_DEBUG is read as APP_FRAMEWORK_DEBUG, the native name.\n"
    )
    assert os.environ[DEBUG_ENV] == "1"


# -- run's options ------------------------------------------------------------


@pytest.fixture
def pem_pair(tmp_path: Path) -> tuple[str, str]:
    """Two files standing for a certificate and its key (only checked to
    exist: nothing is served)."""
    crt, key = tmp_path / "site.crt", tmp_path / "site.key"
    crt.write_text("certificate")
    key.write_text("key")
    return str(crt.resolve()), str(key.resolve())


def _run_params(*args: str) -> dict[str, Any]:
    return run_command.make_context("run", list(args)).params


@pytest.mark.parametrize("key_first", [False, True])
def test_run_pairs_cert_and_key(pem_pair: tuple[str, str], key_first: bool) -> None:
    crt, key = pem_pair
    args = ["--cert", crt, "--key", key]
    if key_first:
        args = args[2:] + args[:2]
    assert _run_params(*args)["cert"] == (crt, key)


@pytest.mark.parametrize(
    ("args", "complaint"),
    [
        (["--cert", "{crt}"], "Required when using"),
        (["--key", "{key}"], "must also be specified"),
    ],
)
def test_run_refuses_half_a_pair(
    pem_pair: tuple[str, str], args: list[str], complaint: str
) -> None:
    crt, key = pem_pair
    with pytest.raises(click.BadParameter, match=complaint):
        _run_params(*(arg.format(crt=crt, key=key) for arg in args))


def test_run_adhoc_cert_needs_cryptography(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "cryptography", None)  # not installed
    with pytest.raises(click.BadParameter, match="requires the cryptography"):
        _run_params("--cert", "adhoc")
    monkeypatch.setitem(sys.modules, "cryptography", types.ModuleType("stand_in"))
    assert _run_params("--cert", "ADHOC")["cert"] == "adhoc"
    with pytest.raises(click.BadParameter, match='"--key" is not used'):
        _run_params("--cert", "adhoc", "--key", __file__)


def test_run_cert_import_is_refused_saying_what_to_give() -> None:
    # Flask imports an ssl.SSLContext; uvicorn builds its own from files.
    with pytest.raises(click.BadParameter, match="--cert FILE --key FILE"):
        _run_params("--cert", "ssl_context")


def test_run_splits_path_lists_on_the_path_separator(tmp_path: Path) -> None:
    watched = [tmp_path / "a.toml", tmp_path / "b.toml"]
    for path in watched:
        path.write_text("")
    params = _run_params(
        "--extra-files",
        os.pathsep.join(map(str, watched)),
        "--exclude-patterns",
        os.pathsep.join(["*.log", "dist/*"]),
    )
    assert params["extra_files"] == [str(path) for path in watched]
    assert params["exclude_patterns"] == ["*.log", "dist/*"]


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


def test_run_with_reload_needs_an_importable_app(app: App) -> None:
    group = FlaskGroup(create_app=lambda: app)
    result = CliRunner().invoke(group, ["run", "--reload"])
    assert result.exit_code == 2
    assert "give --app module:app" in result.output


# -- blueprints' commands -----------------------------------------------------


@pytest.mark.parametrize(
    ("made_with", "registered_with", "path"),
    [
        ({}, {}, ["parts", "tally"]),  # under the blueprint's name
        ({"cli_group": "stock"}, {}, ["stock", "tally"]),
        ({"cli_group": None}, {}, ["tally"]),  # among the app's own
        ({}, {"cli_group": "later"}, ["later", "tally"]),
        ({"cli_group": "stock"}, {"cli_group": None}, ["tally"]),
        ({"cli_group": ...}, {}, ["parts", "tally"]),  # Quart's explicit default
        ({"cli_group": "stock"}, {"cli_group": ...}, ["parts", "tally"]),
    ],
)
def test_blueprint_commands_sit_where_cli_group_says(
    app: App,
    made_with: dict[str, Any],
    registered_with: dict[str, Any],
    path: list[str],
) -> None:
    parts = Blueprint("parts", __name__, **made_with)

    @parts.cli.command("tally")
    def tally() -> None:
        click.echo(f"tally in {current_app.name}")

    app.register_blueprint(parts, **registered_with)
    result = app.test_cli_runner().invoke(args=path)
    assert result.output == "tally in test_app\n", result.output


def test_a_blueprint_without_commands_adds_no_group(app: App) -> None:
    app.register_blueprint(Blueprint("idle", __name__, cli_group="idle"))
    result = app.test_cli_runner().invoke(args=["idle", "--help"])
    assert result.exit_code == 2
    assert "No such command 'idle'" in result.output


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
    editable install or 'python -m' hide that): --app greeter:app must work."""
    (tmp_path / "greeter.py").write_text(GREETER)
    script = Path(sys.executable).with_name("app-framework")
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    for name in (APP_ENV, DEBUG_ENV, "FLASK_APP", "FLASK_DEBUG"):
        env.pop(name, None)
    result = subprocess.run(
        [str(script), "--app", "greeter:app", "routes"],
        capture_output=True,
        text=True,
        timeout=30,
        cwd=tmp_path,
        env=env,
    )
    assert result.returncode == 0, result.stderr
    assert ["greet", "GET", "/"] in [
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


def test_apps_module_is_imported_through_cli_import_module(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Quart's spelling: replacing ``app_framework.cli.import_module`` changes
    how ``--app`` imports the module (a wrapper, a stand-in module in tests)."""
    stand_in = types.ModuleType("not_on_disk")
    stand_in.app = App("not_on_disk")  # type: ignore[attr-defined]
    asked: list[str] = []

    def fake_import(name: str) -> types.ModuleType:
        asked.append(name)
        return stand_in

    monkeypatch.setattr(app_framework.cli, "import_module", fake_import)
    info = ScriptInfo("not_on_disk:app", set_debug_flag=False)
    assert info.load_app() is stand_in.app
    assert asked == ["not_on_disk"]


def test_quartenv_is_read_between_flaskenv_and_env(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A project moved from Quart keeps its ``.quartenv``: it overrides
    ``.flaskenv`` and is overridden by ``.env``."""
    (tmp_path / ".flaskenv").write_text("CLI_Q_A=flask\nCLI_Q_B=flask\n")
    (tmp_path / ".quartenv").write_text("CLI_Q_A=quart\nCLI_Q_B=quart\nCLI_Q_C=q\n")
    (tmp_path / ".env").write_text("CLI_Q_B=env\n")
    _forget(monkeypatch, "CLI_Q_A", "CLI_Q_B", "CLI_Q_C")
    monkeypatch.chdir(tmp_path)
    assert load_dotenv() is True
    found = {name: os.environ[name] for name in ("CLI_Q_A", "CLI_Q_B", "CLI_Q_C")}
    assert found == {"CLI_Q_A": "quart", "CLI_Q_B": "env", "CLI_Q_C": "q"}
