"""The command line, on click, as Flask's ``flask`` command.

``app-framework --app module:app COMMAND`` (or ``python -m app_framework``;
``APP_FRAMEWORK_APP`` instead of ``--app``, and ``wsgi.py`` or ``app.py`` in
the working folder when neither is given) runs ``run``, ``routes``,
``signals``, ``shell``, the commands installed packages declare in the
``app_framework.commands`` entry-point group, and the app's own commands
(``@app.cli.command()``, ``app.cli.add_command``, blueprints' groups). How
the app is found: :mod:`._loading`; the ``run`` command:
:mod:`._run`.

Commands run in an app context (``with_appcontext``) and may be
``async def``.
"""

from __future__ import annotations

import asyncio
import code
import contextvars
import importlib
import importlib.metadata
import platform
import sys
import traceback
from collections.abc import Callable, Sequence
from importlib import import_module
from typing import TYPE_CHECKING, Any, TextIO, TypeVar

import click

from .. import __version__
from .._cli_groups import AppGroup, in_app_context, run_in_app_context, with_appcontext
from ..lifecycle.scale_out import (
    format_health,
    format_stats,
    read_relay_health,
    read_relay_stats,
)
from ..signals import all_signals
from ._loading import (
    APP_ENV,
    NoAppException,
    ScriptInfo,
    adopt_flask_variables,
    find_best_app,
    load_dotenv,
    locate_app,
    pass_script_info,
    prepare_import,
)
from ._run import SeparatedPathType as SeparatedPathType  # flask.cli's too
from ._run import debug_option, run_command, served_app

if TYPE_CHECKING:
    from ..app import App
    from ..routing import Rule

__all__ = [
    "APP_ENV",
    "AppGroup",
    "FlaskGroup",
    "FrameworkGroup",
    "NoAppException",
    "ScriptInfo",
    "cli",
    "find_best_app",
    "get_version",
    "import_module",
    "in_app_context",
    "load_dotenv",
    "locate_app",
    "main",
    "pass_script_info",
    "prepare_import",
    "run_command",
    "run_in_app_context",
    "with_appcontext",
]

F = TypeVar("F", bound=Callable[..., Any])
ENTRY_POINT_GROUP = "app_framework.commands"

# uvicorn's workers and reloader import the served app by this name
# (_run.SERVED_APP).
_served_app = served_app


def _version(distribution: str) -> str:
    try:
        return importlib.metadata.version(distribution)
    except importlib.metadata.PackageNotFoundError:
        return "(not installed)"


def get_version(ctx: click.Context, param: click.Parameter | None, value: Any) -> None:
    """``--version``: the Python, app_framework, Starlette, Werkzeug and
    uvicorn versions (a click option callback, as Flask's)."""
    if not value or ctx.resilient_parsing:
        return
    lines = [f"Python {platform.python_version()}", f"app_framework {__version__}"]
    for name, distribution in (
        ("Starlette", "starlette"),
        ("Werkzeug", "werkzeug"),
        ("uvicorn", "uvicorn"),
    ):
        lines.append(f"{name} {_version(distribution)}")
    click.echo("\n".join(lines), color=ctx.color)
    ctx.exit()


version_option = click.Option(
    ["--version"],
    help="Show the app_framework version.",
    expose_value=False,
    callback=get_version,
    is_flag=True,
    is_eager=True,
)


def _set_app(ctx: click.Context, param: click.Parameter, value: str | None) -> None:
    if value:
        ctx.ensure_object(ScriptInfo).app_import_path = value


def _env_file_callback(
    ctx: click.Context, param: click.Parameter, value: str | None
) -> None:
    try:
        import dotenv  # noqa: F401
    except ImportError:
        if value is not None:
            raise click.BadParameter(
                "python-dotenv must be installed to load an env file "
                "(pip install python-dotenv).",
                ctx=ctx,
                param=param,
            ) from None
    info = ctx.ensure_object(ScriptInfo)
    if value is not None or info.load_dotenv_defaults:
        load_dotenv(value, load_defaults=info.load_dotenv_defaults)
    adopt_flask_variables()  # also those a .flaskenv written for Flask set


# Eager, so that --app and --help see what the env files set (--env-file
# first of all). Their values also come from APP_FRAMEWORK_APP and
# APP_FRAMEWORK_ENV_FILE (the group's auto_envvar_prefix).
_env_file_option = click.Option(
    ["-e", "--env-file"],
    type=click.Path(exists=True, dir_okay=False),
    help="Load environment variables from this file, taking precedence over "
    "'.env', '.quartenv' and '.flaskenv'. Variables set in the environment "
    "win over all.",
    is_eager=True,
    expose_value=False,
    callback=_env_file_callback,
)
_app_option = click.Option(
    ["-A", "--app"],
    metavar="IMPORT",
    help="The app or its factory: 'module:name', 'module:create_app(args)', "
    "'module' (finds 'app', 'application', 'create_app' or 'make_app') or a "
    "file path ('src/hello.py'). Default: $APP_FRAMEWORK_APP, else wsgi.py "
    "or app.py here.",
    is_eager=True,
    expose_value=False,
    callback=_set_app,
)
# -- the built-in commands ----------------------------------------------------


def _route_row(rule: Rule, hidden: set[str], place: str | None) -> list[str]:
    methods = (
        "WEBSOCKET" if rule.websocket else ", ".join(sorted(rule.methods - hidden))
    )
    row = [rule.endpoint, methods]
    if place is not None:
        row.append((rule.host if place == "Host" else rule.subdomain) or "")
    row.append(rule.rule)
    return row


def print_routes(
    app: App, out: TextIO, sort: str = "endpoint", all_methods: bool = False
) -> None:
    """Flask's table: endpoint, methods, the host (host matching) or subdomain
    when a rule has one, and rule; websocket rules say WEBSOCKET. HEAD and
    OPTIONS are left out unless ``all_methods``. ``sort`` names a column
    ("domain" for the host or subdomain one); "match" keeps the order of
    ``app.url_map.iter_rules()``."""
    rules = list(app.url_map.iter_rules())
    if not rules:
        print("No routes were registered.", file=out)
        return
    host_matching = app.router.settings.host_matching
    place = None
    if any(rule.host if host_matching else rule.subdomain for rule in rules):
        place = "Host" if host_matching else "Subdomain"
    hidden = set() if all_methods else {"HEAD", "OPTIONS"}
    rows = [_route_row(rule, hidden, place) for rule in rules]
    header = ["Endpoint", "Methods", *([place] if place else []), "Rule"]
    sorts = ["endpoint", "methods", *(["domain"] if place else []), "rule"]
    if sort in sorts:
        column = sorts.index(sort)
        rows.sort(key=lambda row: row[column])
    widths = [max(len(row[i]) for row in [header, *rows]) for i in range(len(header))]
    for row in [header, ["-" * w for w in widths], *rows]:
        cells = (cell.ljust(width) for cell, width in zip(row, widths, strict=True))
        print("  ".join(cells).rstrip(), file=out)


@click.command("routes", short_help="Show the routes for the app.")
@click.option(
    "--sort",
    "-s",
    type=click.Choice(["endpoint", "methods", "domain", "rule", "match"]),
    default="endpoint",
    help="The column to sort by ('domain': the host or subdomain one; "
    "'match': the order of app.url_map.iter_rules()).",
)
@click.option("--all-methods", is_flag=True, help="Show HEAD and OPTIONS methods.")
@pass_script_info
def routes_command(info: ScriptInfo, sort: str, all_methods: bool) -> None:
    """List the URL rules."""
    print_routes(info.load_app(), sys.stdout, sort, all_methods)


def python_name(signal_name: str) -> str:
    """``request_started`` for the signal named ``request-started``."""
    return signal_name.replace("-", "_")


def print_signals(app: App, out: TextIO) -> None:
    """Every framework signal, what it is for, and who hears it from ``app``."""
    for name, signal in sorted(all_signals().items()):
        print(f"{python_name(name)}: {signal.__doc__}", file=out)
        receivers = list(signal.receivers_for(app))
        for receiver in receivers:
            label = getattr(receiver, "__qualname__", repr(receiver))
            module = getattr(receiver, "__module__", "?")
            print(f"    <- {module}.{label}", file=out)
        if not receivers:
            print("    (no receivers)", file=out)
    for signal, options in app.shared_signals.items():
        print(f"shared: {signal.name} ({sharing_options(options)})", file=out)
    if app.config.get("SIGNAL_RELAY_URL"):
        print_relay_stats(app, out)


def sharing_options(options: dict[str, Any]) -> str:
    """``max_bytes=65536, max_age=5.0`` (and the stream's, when durable)."""
    shown = {"max_bytes": options["max_bytes"], "max_age": options["max_age"]}
    if options.get("durable"):
        shown.update(durable=True, retention=options["retention"])
        if options.get("retention_seconds") is not None:
            shown["retention_seconds"] = options["retention_seconds"]
    return ", ".join(f"{key}={value}" for key, value in shown.items())


def print_relay_stats(app: App, out: TextIO) -> None:
    """Every live relay's counters, read from Redis (each writes its own)."""

    print("relay counters, by process:", file=out)
    try:
        stats = asyncio.run(read_relay_stats(app))
        health = asyncio.run(read_relay_health(app))
    except Exception as exc:  # Redis down: say so, the rest was printed
        print(f"    (Redis did not answer: {exc})", file=out)
        return
    print(format_stats(stats), file=out)
    print("relay health (last heard, publish->deliver latency), by process:", file=out)
    print(format_health(health), file=out)


@click.command("signals", short_help="List the signals and their receivers.")
@pass_script_info
def signals_command(info: ScriptInfo) -> None:
    """List the framework's signals and their receivers."""
    print_signals(info.load_app(), sys.stdout)


# A command's docstring is its --help text: plain words, no reST markup.
@click.command("shell", short_help="A Python shell in an app context.")
@pass_script_info
def shell_command(info: ScriptInfo) -> None:
    """An interactive Python shell in an app context (app, g and the app's
    shell context; run(coro) runs a coroutine there)."""
    app = info.load_app()
    context = contextvars.copy_context()
    with asyncio.Runner() as runner:
        app_ctx = app.app_context()
        runner.run(app_ctx.push(), context=context)
        try:
            namespace: dict[str, Any] = {
                "app": app,
                "g": app_ctx.g,
                # The shell runs inside ``context``, which a task cannot enter
                # again: a coroutine runs in a copy of it.
                "run": lambda coro: runner.run(
                    coro, context=contextvars.copy_context()
                ),
                **context.run(app.make_shell_context),
            }
            banner = (
                f"Python {sys.version.split()[0]} on {sys.platform}\n"
                f"App: {app.import_name}\nInstance: {app.instance_path}\n"
                "run(coro) runs a coroutine in the app context."
            )
            context.run(code.interact, banner=banner, local=namespace, exitmsg="")
        finally:
            runner.run(app_ctx.pop(None), context=context)


class FrameworkGroup(AppGroup):
    """The ``app-framework`` command as a click group (Flask's
    :class:`FlaskGroup`, also importable under that name): the options
    ``-e/--env-file``, ``-A/--app``, ``--debug/--no-debug`` and ``--version``,
    the built-in commands, the ``app_framework.commands`` entry points, then
    the app's commands. Make one for a script of your own:
    ``FrameworkGroup(create_app=create_app)``.

    :param add_default_commands: Add ``run``, ``shell``, ``routes`` and
        ``signals``.
    :param create_app: A callable returning the app (instead of ``--app``).
    :param add_version_option: Add ``--version``.
    :param load_dotenv: Load ``.flaskenv``, ``.quartenv`` and ``.env`` first.
    :param set_debug_flag: Set ``app.debug`` from ``--debug``/``--no-debug``
        (``APP_FRAMEWORK_DEBUG``).
    """

    def __init__(
        self,
        add_default_commands: bool = True,
        create_app: Callable[..., App] | None = None,
        add_version_option: bool = True,
        load_dotenv: bool = True,
        set_debug_flag: bool = True,
        **extra: Any,
    ) -> None:
        params: list[click.Parameter] = list(extra.pop("params", None) or ())
        # In options' callbacks, not a group callback, so that a group of the
        # user's own keeps them; --env-file first, so --app sees what it sets.
        params.extend((_env_file_option, _app_option, debug_option))
        if add_version_option:
            params.append(version_option)
        extra.setdefault("context_settings", {})
        extra["context_settings"].setdefault("auto_envvar_prefix", "APP_FRAMEWORK")
        super().__init__(params=params, **extra)
        self.create_app = create_app
        self.load_dotenv = load_dotenv
        self.set_debug_flag = set_debug_flag
        if add_default_commands:
            for command in (run_command, shell_command, routes_command):
                self.add_command(command)
            self.add_command(signals_command)  # (ours)
        self._loaded_plugin_commands = False

    def _load_plugin_commands(self) -> None:
        """Add the commands of the ``app_framework.commands`` entry points.

        Flask's ``flask.commands`` group is not read: those commands use
        Flask's own app and context (``flask.current_app``), not ours.
        """
        if self._loaded_plugin_commands:
            return
        for entry_point in importlib.metadata.entry_points(group=ENTRY_POINT_GROUP):
            self.add_command(entry_point.load(), entry_point.name)
        self._loaded_plugin_commands = True

    def list_commands(self, ctx: click.Context) -> list[str]:
        self._load_plugin_commands()
        names = set(super().list_commands(ctx))
        try:
            names.update(
                ctx.ensure_object(ScriptInfo).load_app().cli.list_commands(ctx)
            )
        except NoAppException as exc:
            # --help without an app still lists the other commands.
            click.secho(f"Error: {exc.format_message()}\n", err=True, fg="red")
        except Exception:
            click.secho(f"{traceback.format_exc()}\n", err=True, fg="red")
        return sorted(names)

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        self._load_plugin_commands()
        builtin = super().get_command(ctx, cmd_name)  # found even without an app
        if builtin is not None:
            return builtin
        try:
            app = ctx.ensure_object(ScriptInfo).load_app()
        except NoAppException as exc:
            click.secho(f"Error: {exc.format_message()}\n", err=True, fg="red")
            return None
        found = app.cli.get_command(ctx, cmd_name)
        return in_app_context(found) if found is not None else None

    def make_context(
        self,
        info_name: str | None,
        args: list[str],
        parent: click.Context | None = None,
        **extra: Any,
    ) -> click.Context:
        if "obj" not in extra and "obj" not in self.context_settings:
            extra["obj"] = ScriptInfo(
                create_app=self.create_app,
                set_debug_flag=self.set_debug_flag,
                load_dotenv_defaults=self.load_dotenv,
            )
        return super().make_context(info_name, args, parent=parent, **extra)

    def parse_args(self, ctx: click.Context, args: list[str]) -> list[str]:
        if (not args and self.no_args_is_help) or (
            len(args) == 1 and args[0] in self.get_help_option_names(ctx)
        ):
            # Help is shown before the eager options run: read the env files
            # and the app now, so that the app's commands are listed.
            _env_file_option.handle_parse_result(ctx, {}, [])
            _app_option.handle_parse_result(ctx, {}, [])
        return super().parse_args(ctx, args)


FlaskGroup = FrameworkGroup
"""Flask's name for :class:`FrameworkGroup`."""

cli = FrameworkGroup(
    name="app-framework",
    help="""\
Run and inspect an app_framework app.

The app is given with the '--app' option, the 'APP_FRAMEWORK_APP'
environment variable, or a 'wsgi.py' or 'app.py' file in the current
directory.
""",
)


def main(argv: Sequence[str] | None = None) -> None:
    """The console script: ``app-framework`` (and ``python -m app_framework``)."""
    cli.main(args=list(argv) if argv is not None else None, prog_name="app-framework")
