"""Click groups for an app's commands, which run in an app context.

Here, below the app, so that ``app.cli`` and each blueprint's ``cli`` can
be made without importing the command line itself (:mod:`.cli`).
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import contextvars
import copy
import functools
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, TypeVar, overload

import click

from ._concurrency import is_async_callable
from ._contextvars import _cv_app

if TYPE_CHECKING:
    from .app import App

__all__ = ["AppGroup", "in_app_context", "run_in_app_context", "with_appcontext"]

F = TypeVar("F", bound=Callable[..., Any])


def run_in_app_context(
    app: App, func: Callable[..., Any], *args: Any, **kwargs: Any
) -> Any:
    """Call ``func`` (sync or async) with an app context pushed, on an event
    loop of its own (in a worker thread when one already runs here)."""
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return _run(app, func, args, kwargs)
    with concurrent.futures.ThreadPoolExecutor(1) as pool:
        context = contextvars.copy_context()
        return pool.submit(context.run, _run, app, func, args, kwargs).result()


def _run(
    app: App, func: Callable[..., Any], args: tuple[Any, ...], kwargs: dict[str, Any]
) -> Any:
    context = contextvars.copy_context()
    current = context.run(_cv_app.get, None)
    with asyncio.Runner() as runner:
        if current is not None and current.app is app:
            if is_async_callable(func):
                return runner.run(func(*args, **kwargs), context=context)
            return context.run(func, *args, **kwargs)
        app_ctx = app.app_context()
        runner.run(app_ctx.push(), context=context)
        error: BaseException | None = None
        try:
            if is_async_callable(func):
                return runner.run(func(*args, **kwargs), context=context)
            return context.run(func, *args, **kwargs)
        except BaseException as exc:
            error = exc
            raise
        finally:
            runner.run(app_ctx.pop(error), context=context)


def with_appcontext(func: F) -> F:
    """Run a click command's callback (sync or async) in an app context."""
    if getattr(func, "_app_context", False):
        return func

    @click.pass_context
    def command(ctx: click.Context, /, *args: Any, **kwargs: Any) -> Any:
        info = _script_info(ctx)
        if info is None:
            raise click.UsageError(
                "No app to run this command in: run it through the app-framework "
                "command (or app.test_cli_runner() in tests)."
            )
        return run_in_app_context(info.load_app(), func, *args, **kwargs)

    wrapped: Any = functools.update_wrapper(command, func)
    wrapped._app_context = True
    return wrapped  # type: ignore[no-any-return]


def _script_info(ctx: click.Context) -> Any:
    """The nearest ``ScriptInfo`` (an object with ``load_app``) up the
    contexts: the command line's group may sit inside a group of the user's."""
    found: click.Context | None = ctx
    while found is not None:
        if hasattr(found.obj, "load_app"):
            return found.obj
        found = found.parent
    return None


def in_app_context(command: click.Command) -> click.Command:
    """A copy of ``command`` (and of a group's commands) whose callbacks
    run in an app context: the app's commands always do, also a plain
    ``click.command`` added with ``app.cli.add_command``."""
    made = copy.copy(command)
    if command.callback is not None:
        made.callback = with_appcontext(command.callback)
    if isinstance(command, click.Group) and isinstance(made, click.Group):
        made.commands = {
            name: in_app_context(sub) for name, sub in command.commands.items()
        }
    return made


class AppGroup(click.Group):
    """A click group whose commands run in an app context (unless
    ``with_appcontext=False``) and whose names cannot clash silently."""

    @overload
    def command(self, __func: Callable[..., Any]) -> click.Command: ...

    @overload
    def command(
        self, *args: Any, **kwargs: Any
    ) -> Callable[[Callable[..., Any]], click.Command]: ...

    def command(self, *args: Any, **kwargs: Any) -> Any:
        """Register a command: ``@app.cli.command()`` or
        ``@app.cli.command("name")``."""
        wrap = kwargs.pop("with_appcontext", True)
        if len(args) == 1 and callable(args[0]) and not kwargs:
            return self.command()(args[0])

        def decorator(func: Callable[..., Any]) -> click.Command:
            if wrap:
                func = with_appcontext(func)
            command: click.Command = click.Group.command(self, *args, **kwargs)(func)
            return command

        return decorator

    def group(  # type: ignore[override]
        self, *args: Any, **kwargs: Any
    ) -> Callable[[Callable[..., Any]], click.Group]:
        """A sub-group (an ``AppGroup`` too): ``@app.cli.group("db")``."""
        kwargs.setdefault("cls", AppGroup)
        decorator: Callable[[Callable[..., Any]], click.Group] = super().group(
            *args, **kwargs
        )
        return decorator

    def add_command(self, cmd: click.Command, name: str | None = None) -> None:
        """Add a command.

        :raises ValueError: another command already has that name.
        """
        self.add_command_checked(cmd, "the app", name)

    def add_command_checked(
        self, cmd: click.Command, owner: str, name: str | None = None
    ) -> None:
        """Add ``cmd`` for ``owner``, refusing a name another command has."""
        name = name or cmd.name
        known = self.commands.get(name or "")
        if known is not None and known is not cmd:
            raise ValueError(
                f"The command {name!r} of {owner} ({_describe(cmd)}) clashes "
                f"with the command already registered as {name!r} "
                f"({_describe(known)}). Give one of them another name."
            )
        super().add_command(cmd, name)


def _describe(cmd: click.Command) -> str:
    callback = getattr(cmd.callback, "__wrapped__", cmd.callback)
    if callback is None:
        return type(cmd).__name__
    return f"{callback.__module__}.{callback.__qualname__}"
