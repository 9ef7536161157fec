"""The ``run`` command: serve the app with uvicorn, with its TLS
(``--cert``/``--key``, ``adhoc``), reloader (``--reload``, ``--extra-files``,
``--exclude-patterns``), worker and websocket options; and ``--debug``, an
option of ``run`` and of the ``app-framework`` group (:mod:`.cli`).
"""

from __future__ import annotations

import contextlib
import importlib
import os
import tempfile
from typing import TYPE_CHECKING, Any

import click
from click.core import ParameterSource

from ..config import DEBUG_ENV, debug_flag
from ..serving import WS_MAX_QUEUE, port_in_use, websocket_limits
from ._loading import APP_ENV, ScriptInfo, pass_script_info

if TYPE_CHECKING:
    from ..app import App

__all__ = ["SERVED_APP", "debug_option", "run_command", "served_app"]

# What uvicorn imports (as a factory) in each worker and after each reload:
# served_app under its name in the public module, the path app.run() gives too.
SERVED_APP = "app_framework.cli:_served_app"


def _set_debug(ctx: click.Context, param: click.Parameter, value: bool) -> None:
    # Unset: APP_FRAMEWORK_DEBUG decides. Set: written to the environment so
    # that an app made while importing (and uvicorn's workers) sees it.
    source = ctx.get_parameter_source(param.name or "debug")
    if source in (None, ParameterSource.DEFAULT, ParameterSource.DEFAULT_MAP):
        return
    os.environ[DEBUG_ENV] = "1" if value else "0"


debug_option = click.Option(
    ["--debug/--no-debug"],
    help="Debug mode (tracebacks in 500 pages, the reloader). "
    "Default: $APP_FRAMEWORK_DEBUG.",
    expose_value=False,
    callback=_set_debug,
)


def served_app() -> App:
    """What ``run`` serves (uvicorn calls it as a factory in each worker)."""
    return ScriptInfo().load_app()


def _validate_cert(ctx: click.Context, param: click.Parameter, value: Any) -> Any:
    """``--cert``: a certificate file, or ``adhoc`` (a throw-away
    self-signed one; needs the cryptography package)."""
    if value is None:
        return None
    if str(value).lower() != "adhoc":
        try:
            return click.Path(exists=True, dir_okay=False, resolve_path=True)(
                value, param, ctx
            )
        except click.BadParameter:
            # Flask also takes an ssl.SSLContext to import; uvicorn makes its
            # own context from files, so one cannot be handed over.
            raise click.BadParameter(
                f"{value!r} is not a certificate file. Give --cert FILE "
                "--key FILE (PEM), or --cert adhoc.",
                ctx,
                param,
            ) from None
    try:
        importlib.import_module("cryptography")
    except ImportError:
        raise click.BadParameter(
            "Using ad-hoc certificates requires the cryptography library "
            "(pip install cryptography), or give --cert FILE --key FILE.",
            ctx,
            param,
        ) from None
    return "adhoc"


def _validate_key(ctx: click.Context, param: click.Parameter, value: Any) -> Any:
    """``--key`` goes with a ``--cert`` file (not with ``adhoc``); ``cert``
    becomes the ``(cert, key)`` pair, as in Flask."""
    cert = ctx.params.get("cert")
    if value is not None:
        if cert == "adhoc":
            raise click.BadParameter(
                'When "--cert" is "adhoc", "--key" is not used.', ctx, param
            )
        if not cert:
            raise click.BadParameter('"--cert" must also be specified.', ctx, param)
        ctx.params["cert"] = (cert, value)
    elif cert and cert != "adhoc":
        raise click.BadParameter('Required when using "--cert".', ctx, param)
    return value


class SeparatedPathType(click.Path):
    """Paths separated by ``os.pathsep`` (``:``; ``;`` on Windows)."""

    def convert(
        self, value: Any, param: click.Parameter | None, ctx: click.Context | None
    ) -> Any:
        convert = super().convert
        return [convert(item, param, ctx) for item in self.split_envvar_value(value)]


def _tls_options(
    cert: tuple[str, str] | str | None, host: str, stack: contextlib.ExitStack
) -> dict[str, Any]:
    if cert is None:
        return {}
    if isinstance(cert, str):  # "adhoc"
        from werkzeug.serving import make_ssl_devcert

        folder = stack.enter_context(tempfile.TemporaryDirectory())
        cert = make_ssl_devcert(os.path.join(folder, "adhoc"), host=host)
    certfile, keyfile = cert
    return {"ssl_certfile": certfile, "ssl_keyfile": keyfile}


def _reload_options(
    extra_files: list[str] | None, exclude_patterns: list[str] | None
) -> dict[str, Any]:
    options: dict[str, Any] = {}
    if extra_files:
        # uvicorn watches folders for patterns: each file is a pattern of its
        # own (matched whole), its folder one more to watch.
        folders = {os.getcwd(), *(os.path.dirname(path) for path in extra_files)}
        options["reload_dirs"] = sorted(folders)
        options["reload_includes"] = list(extra_files)
    if exclude_patterns:
        options["reload_excludes"] = list(exclude_patterns)
    return options


@click.command("run", short_help="Serve the app with uvicorn.")
@click.option(
    "--host", "-h", default="127.0.0.1", show_default=True, help="The interface."
)
@click.option("--port", "-p", default=8000, show_default=True, help="The port.")
@click.option(
    "--cert",
    callback=_validate_cert,
    is_eager=True,
    metavar="FILE|adhoc",
    help="A certificate file to serve HTTPS (with --key), or 'adhoc'.",
)
@click.option(
    "--key",
    type=click.Path(exists=True, dir_okay=False, resolve_path=True),
    callback=_validate_key,
    expose_value=False,
    help="The key file of --cert.",
)
@click.option(
    "--reload/--no-reload",
    default=None,
    help="Restart when the code changes. Default: on in debug mode.",
)
@click.option(
    "--extra-files",
    default=None,
    type=SeparatedPathType(),
    help="More files whose change restarts the server, separated by "
    f"{os.path.pathsep!r}.",
)
@click.option(
    "--exclude-patterns",
    default=None,
    type=SeparatedPathType(),
    help="Files matching these glob patterns do not restart the server; "
    f"separated by {os.path.pathsep!r}.",
)
@click.option("--workers", default=None, type=int, help="Worker processes.")
@click.option(
    "--log-level",
    default=None,
    help="uvicorn's log level. Default: debug in debug mode.",
)
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
@pass_script_info
def run_command(
    info: ScriptInfo,
    host: str,
    port: int,
    cert: tuple[str, str] | str | None,
    reload: bool | None,
    extra_files: list[str] | None,
    exclude_patterns: list[str] | None,
    workers: int | None,
    log_level: str | None,
    ws_max_size: int | None,
    ws_max_queue: int | None,
) -> None:
    """Serve the app with uvicorn (for development: --reload, --debug; also
    --workers). --debug turns on the reloader and uvicorn's debug logs."""
    import uvicorn

    app = info.load_app()  # fail here, clearly, before uvicorn starts
    debug = debug_flag()
    if reload is None:
        reload = debug
    if debug and log_level is None:
        log_level = "debug"
    if info.app_import_path:  # workers and the reloader load it again
        os.environ[APP_ENV] = info.app_import_path
    if (reload or workers) and info.create_app is not None:
        raise click.UsageError(
            "--reload and --workers load the app again in other processes, "
            "which a create_app callable cannot reach: give --app module:app."
        )
    if port_in_use(host, port):
        raise click.ClickException(
            f"port {port} on {host} is in use (another server?); "
            "pass --port to serve on another one"
        )
    options: dict[str, Any] = {"host": host, "port": port, "reload": reload}
    options.update(websocket_limits(app))
    for name, value in (
        ("ws_max_size", ws_max_size),
        ("ws_max_queue", ws_max_queue),
        ("workers", workers),
        ("log_level", log_level),
    ):
        if value is not None:
            options[name] = value
    if reload:
        options.update(_reload_options(extra_files, exclude_patterns))
    with contextlib.ExitStack() as stack:
        options.update(_tls_options(cert, host, stack))
        if reload or workers:
            uvicorn.run(SERVED_APP, factory=True, **options)
        else:
            uvicorn.run(app, **options)


# --debug is also accepted after 'run' (run's first option, as in Flask).
run_command.params.insert(0, debug_option)
