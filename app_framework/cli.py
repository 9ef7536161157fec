"""The command line, on click (Flask's choice).

``app-framework --app module:app COMMAND`` (or ``python -m app_framework``;
``APP_FRAMEWORK_APP`` instead of ``--app``) runs ``run``, ``routes``,
``signals``, ``shell`` and the app's own commands (``@app.cli.command()``,
``app.cli.add_command``, blueprints' groups). The app may be given as
``module:app``, ``module`` (its ``app``/``application`` or
``create_app()``), or a factory call ``module:create_app("dev")``.

Commands run in an app context (``with_appcontext``) and may be
``async def``.
"""

from __future__ import annotations

import ast
import asyncio
import code
import contextvars
import os
import sys
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any, TextIO, TypeVar

import click

from ._cli_groups import AppGroup, in_app_context, run_in_app_context, with_appcontext
from .config import DEBUG_ENV, debug_flag, import_string
from .serving import WS_MAX_QUEUE, websocket_limits
from .signals import all_signals

if TYPE_CHECKING:
    from .app import App

__all__ = [
    "AppGroup",
    "NoAppException",
    "ScriptInfo",
    "in_app_context",
    "main",
    "run_in_app_context",
    "with_appcontext",
]

F = TypeVar("F", bound=Callable[..., Any])
APP_ENV = "APP_FRAMEWORK_APP"


class NoAppException(click.UsageError):
    """The app could not be found or loaded; the message says why."""


def _call_factory(module: Any, text: str) -> Any:
    """``create_app("dev")``: a call with literal arguments only."""
    try:
        call = ast.parse(text, mode="eval").body
    except SyntaxError:
        raise NoAppException(f"{text!r} is not a name or a call") from None
    if not isinstance(call, ast.Call) or not isinstance(call.func, ast.Name):
        raise NoAppException(f"{text!r} is not a name or a function call")
    try:
        args = [ast.literal_eval(arg) for arg in call.args]
        kwargs = {kw.arg: ast.literal_eval(kw.value) for kw in call.keywords if kw.arg}
    except ValueError:
        raise NoAppException(f"the arguments of {text!r} must be literals") from None
    factory = getattr(module, call.func.id, None)
    if not callable(factory):
        raise NoAppException(f"{module.__name__!r} has no function {call.func.id!r}")
    return factory(*args, **kwargs)


def locate_app(target: str) -> App:
    """Import and return the app ``target`` names (see the module docstring).

    :raises NoAppException: saying what is wrong.
    """
    from .app import App

    module_name, _, name = target.partition(":")
    try:
        module = import_string(module_name)
    except ImportError as exc:
        raise NoAppException(f"cannot import {module_name!r}: {exc}") from None
    if name and "(" in name:
        found = _call_factory(module, name)
    elif name:
        if not hasattr(module, name):
            raise NoAppException(f"module {module_name!r} has no attribute {name!r}")
        found = getattr(module, name)
    else:
        found = _find_in_module(module)
    if not isinstance(found, App):
        raise NoAppException(f"{target!r} is a {type(found).__name__}, not an App")
    return found


def _find_in_module(module: Any) -> Any:
    for attribute in ("app", "application"):
        if hasattr(module, attribute):
            return getattr(module, attribute)
    for factory in ("create_app", "make_app"):
        if callable(getattr(module, factory, None)):
            return getattr(module, factory)()
    raise NoAppException(
        f"no app found in {module.__name__!r}: name it 'app' or give "
        f"'{module.__name__}:name'"
    )


class ScriptInfo:
    """How commands find the app: ``--app``, ``APP_FRAMEWORK_APP``, or a
    ``create_app`` callable (as ``app.test_cli_runner()`` passes)."""

    def __init__(
        self,
        app_import_path: str | None = None,
        create_app: Callable[[], App] | None = None,
    ) -> None:
        self.app_import_path = app_import_path
        self.create_app = create_app
        self._loaded: App | None = None

    def load_app(self) -> App:
        """The app (loaded once).

        :raises NoAppException: none given, or it could not be loaded.
        """
        if self._loaded is not None:
            return self._loaded
        if self.create_app is not None:
            app = self.create_app()
        else:
            target = self.app_import_path or os.environ.get(APP_ENV)
            if not target:
                raise NoAppException(
                    f"No app given. Use --app module:app or set {APP_ENV}."
                )
            app = locate_app(target)
        if debug_flag():  # (an app made before the flag was set)
            app.debug = True
        self._loaded = app
        return app


# -- the built-in commands ----------------------------------------------------


def _served_app() -> App:
    """What ``run`` serves (uvicorn calls it as a factory in each worker)."""
    return ScriptInfo().load_app()


@click.command("run")
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=8000, show_default=True, type=int)
@click.option("--reload", is_flag=True, help="Restart when the code changes.")
@click.option("--debug", is_flag=True, help="Debug mode: tracebacks in 500 pages.")
@click.option("--workers", default=None, type=int, help="Worker processes.")
@click.option("--log-level", default=None, help="uvicorn's log level.")
@click.option(
    "--ws-max-size",
    default=None,
    type=int,
    help="Largest websocket message in bytes (the server closes with 1009)."
    "  [default: MAX_WEBSOCKET_MESSAGE_SIZE]",
)
@click.option(
    "--ws-max-queue",
    default=None,
    type=int,
    help="Websocket messages uvicorn queues per connection."
    f"  [default: {WS_MAX_QUEUE}]",
)
@click.pass_obj
def run_command(
    info: ScriptInfo,
    host: str,
    port: int,
    reload: bool,
    debug: bool,
    workers: int | None,
    log_level: str | None,
    ws_max_size: int | None,
    ws_max_queue: int | None,
) -> None:
    """Serve the app with uvicorn."""
    import uvicorn

    if debug:
        os.environ[DEBUG_ENV] = "1"
        log_level = log_level or "debug"
    app = info.load_app()  # fail here, clearly, before uvicorn starts
    if info.app_import_path:  # workers and the reloader load it again
        os.environ[APP_ENV] = info.app_import_path
    options: dict[str, Any] = {"host": host, "port": port, "reload": reload}
    options.update(websocket_limits(app))
    if ws_max_size is not None:
        options["ws_max_size"] = ws_max_size
    if ws_max_queue is not None:
        options["ws_max_queue"] = ws_max_queue
    if workers is not None:
        options["workers"] = workers
    if log_level is not None:
        options["log_level"] = log_level
    if reload or workers:
        uvicorn.run("app_framework.cli:_served_app", factory=True, **options)
    else:
        uvicorn.run(app, **options)


def print_routes(app: App, out: TextIO, sort: str = "rule") -> None:
    """A table of rule, methods and endpoint; websocket rules say WEBSOCKET."""
    rows = [
        (
            rule.rule,
            "WEBSOCKET"
            if rule.websocket
            else ", ".join(sorted(rule.methods - {"HEAD", "OPTIONS"})),
            rule.endpoint,
        )
        for rule in app.router.endpoints()
    ]
    column = {"rule": 0, "methods": 1, "endpoint": 2}.get(sort)
    if column is not None:
        rows.sort(key=lambda row: row[column])
    header = ("Rule", "Methods", "Endpoint")
    widths = [max(len(row[i]) for row in [header, *rows]) for i in range(3)]
    for row in [header, tuple("-" * w for w in widths), *rows]:
        cells = (cell.ljust(width) for cell, width in zip(row, widths, strict=True))
        print("  ".join(cells).rstrip(), file=out)


@click.command("routes")
@click.option(
    "--sort",
    type=click.Choice(["rule", "methods", "endpoint", "match"]),
    default="rule",
    help="The order ('match': the order they are tried in).",
)
@click.pass_obj
def routes_command(info: ScriptInfo, sort: str) -> None:
    """List the URL rules."""
    print_routes(info.load_app(), sys.stdout, sort)


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
    for signal, (max_bytes, max_age) in app.shared_signals.items():
        print(
            f"shared: {signal.name} (max_bytes={max_bytes}, max_age={max_age})",
            file=out,
        )
    if app.config.get("SIGNAL_RELAY_URL"):
        print_relay_stats(app, out)


def print_relay_stats(app: App, out: TextIO) -> None:
    """Every live relay's counters, read from Redis (each writes its own)."""
    from ._scale_out import format_stats, read_relay_stats

    print("relay counters, by process:", file=out)
    try:
        stats = asyncio.run(read_relay_stats(app))
    except Exception as exc:  # Redis down: say so, the rest was printed
        print(f"    (Redis did not answer: {exc})", file=out)
        return
    print(format_stats(stats), file=out)


@click.command("signals")
@click.pass_obj
def signals_command(info: ScriptInfo) -> None:
    """List the framework's signals and their receivers."""
    print_signals(info.load_app(), sys.stdout)


@click.command("shell")
@click.pass_obj
def shell_command(info: ScriptInfo) -> None:
    """An interactive Python shell in an app context (``app``, ``g`` and
    the app's shell context; ``run(coro)`` runs a coroutine there)."""
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
    """The top-level group: the built-in commands, then the app's."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        names = set(super().list_commands(ctx))
        try:
            names.update(
                ctx.ensure_object(ScriptInfo).load_app().cli.list_commands(ctx)
            )
        except NoAppException:
            pass  # --help without an app still lists the built-in commands
        return sorted(names)

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        ctx.ensure_object(ScriptInfo)  # the built-in commands take it as obj
        builtin = super().get_command(ctx, cmd_name)
        if builtin is not None:
            return builtin
        found = ctx.ensure_object(ScriptInfo).load_app().cli.get_command(ctx, cmd_name)
        return in_app_context(found) if found is not None else None


def _set_app(ctx: click.Context, param: click.Parameter, value: str | None) -> None:
    if value:
        ctx.ensure_object(ScriptInfo).app_import_path = value


cli = FrameworkGroup(
    "app-framework",
    help="Run and inspect an app_framework app.",
    params=[
        click.Option(
            ["-A", "--app"],
            help="The app: module:app, module, or module:create_app(). "
            f"Default: ${APP_ENV}.",
            is_eager=True,
            expose_value=False,
            callback=_set_app,
        )
    ],
)
for _command in (run_command, routes_command, signals_command, shell_command):
    cli.add_command(_command)


def main(argv: Sequence[str] | None = None) -> None:
    """The console script: ``app-framework`` (and ``python -m app_framework``)."""
    cli.main(
        args=list(argv) if argv is not None else None,
        prog_name="app-framework",
        obj=ScriptInfo(),
    )
