"""Finding the app the command line runs, as Flask's ``flask`` command does:
``--app``/``APP_FRAMEWORK_APP`` as ``module``, ``module:name``,
``module:factory(args)`` or a file path (``src/hello.py``), else ``wsgi.py``
or ``app.py`` in the working folder; and the ``.env``/``.flaskenv``/``.quartenv`` files.
"""

from __future__ import annotations

import ast
import inspect
import os
import re
import sys
import traceback
from collections.abc import Callable
from types import ModuleType
from typing import TYPE_CHECKING, Any, Literal, TypeGuard, overload

import click

from ..config import DEBUG_ENV, debug_flag, load_dotenv_flag

if TYPE_CHECKING:
    from ..app import App

__all__ = [
    "APP_ENV",
    "NoAppException",
    "ScriptInfo",
    "adopt_flask_variables",
    "find_best_app",
    "load_dotenv",
    "locate_app",
    "pass_script_info",
    "prepare_import",
]

APP_ENV = "APP_FRAMEWORK_APP"
# Flask's names, still read (a .flaskenv or a shell profile written for Flask).
FLASK_NAMES = {"FLASK_APP": APP_ENV, "FLASK_DEBUG": DEBUG_ENV}
# Flask's and Quart's own files, then the generic one: the later one wins.
DOTENV_FILES = (".flaskenv", ".quartenv", ".env")
NO_APP = (
    "Could not locate an app_framework application. Use the 'app-framework "
    f"--app' option, the '{APP_ENV}' (or Flask's 'FLASK_APP') environment "
    "variable, or a 'wsgi.py' or 'app.py' file in the current directory."
)


class NoAppException(click.UsageError):
    """The app could not be found or loaded; the message says why."""


def prepare_import(path: str) -> str:
    """The module name for ``path`` (a file, a package folder or a dotted
    name), with the folder it is imported from put first on ``sys.path``:
    ``src/hello.py`` is ``hello`` from ``src``; ``hello`` is ``hello`` from
    the working folder (which a console script does not have on the path)."""
    path = os.path.realpath(path)
    stem, ext = os.path.splitext(path)
    if ext == ".py":
        path = stem
    if os.path.basename(path) == "__init__":
        path = os.path.dirname(path)
    parts: list[str] = []
    while True:  # up to the first folder that is not a package
        path, name = os.path.split(path)
        parts.append(name)
        if not os.path.exists(os.path.join(path, "__init__.py")):
            break
    if sys.path[0] != path:
        sys.path.insert(0, path)
    return ".".join(reversed(parts))


def _is_app(value: object) -> TypeGuard[App]:
    from ..app import App

    return isinstance(value, App)


def _called_with_wrong_args(func: Callable[..., Any]) -> bool:
    """Whether the ``TypeError`` being handled came from calling ``func``
    (wrong arguments), not from inside it."""
    tb = sys.exc_info()[2]
    while tb is not None:
        if tb.tb_frame.f_code is getattr(func, "__code__", None):
            return False
        tb = tb.tb_next
    return True


def find_best_app(module: Any) -> App:
    """The app in ``module``: its ``app`` or ``application``, else its only
    ``App``, else what ``create_app()`` or ``make_app()`` returns.

    :raises NoAppException: none, or several apps, were found.
    """
    name = module.__name__
    for attribute in ("app", "application"):
        found = getattr(module, attribute, None)
        if _is_app(found):
            return found
    apps = [value for value in vars(module).values() if _is_app(value)]
    if len(apps) == 1:
        return apps[0]
    if apps:
        raise NoAppException(
            f"Detected multiple apps in module {name!r}. Use '{name}:name' to "
            "specify the correct one."
        )
    for attribute in ("create_app", "make_app"):
        factory = getattr(module, attribute, None)
        if inspect.isfunction(factory):
            made = _call(factory, (), {}, f"{name}:{attribute}(args)")
            if _is_app(made):
                return made
    raise NoAppException(
        f"no app found in {name!r}: name it 'app', give '{name}:name', or "
        "write a 'create_app()' factory."
    )


def _call(
    factory: Callable[..., Any], args: Any, kwargs: dict[str, Any], hint: str
) -> Any:
    try:
        return factory(*args, **kwargs)
    except TypeError as exc:
        if not _called_with_wrong_args(factory):
            raise
        raise NoAppException(
            f"Could not call the factory {factory.__name__!r} with these "
            f"arguments ({exc}). Use {hint!r} to pass the right ones."
        ) from exc


def _parse_call(text: str) -> tuple[str, list[Any], dict[str, Any]]:
    """``create_app("dev", x=1)``: the name and literal arguments."""
    try:
        expr = ast.parse(text.strip(), mode="eval").body
    except SyntaxError:
        raise NoAppException(f"{text!r} is not a name or a call") from None
    if isinstance(expr, ast.Name):
        return expr.id, [], {}
    if not isinstance(expr, ast.Call) or not isinstance(expr.func, ast.Name):
        raise NoAppException(f"{text!r} is not a name or a function call")
    try:
        args = [ast.literal_eval(arg) for arg in expr.args]
        kwargs = {kw.arg: ast.literal_eval(kw.value) for kw in expr.keywords if kw.arg}
    except ValueError:
        raise NoAppException(f"the arguments of {text!r} must be literals") from None
    return expr.func.id, args, kwargs


def _find_app_by_string(module: ModuleType, text: str) -> App:
    name, args, kwargs = _parse_call(text)
    if not hasattr(module, name):
        kind = "function" if "(" in text else "attribute"
        raise NoAppException(f"module {module.__name__!r} has no {kind} {name!r}")
    found = getattr(module, name)
    if inspect.isfunction(found):
        found = _call(found, args, kwargs, f"{module.__name__}:{name}(args)")
    elif "(" in text:
        raise NoAppException(f"{module.__name__}:{name} is not a function")
    if not _is_app(found):
        raise NoAppException(
            f"'{module.__name__}:{text}' is a {type(found).__name__}, not an App"
        )
    return found


def _not_found(module_name: str) -> NoAppException:
    return NoAppException(
        f"cannot import {module_name!r}: no such module in the current folder "
        f"({os.getcwd()}) or on sys.path. Run app-framework from the folder "
        "that holds it, give its file ('--app src/hello.py'), or install its "
        "package."
    )


@overload
def locate_app(
    module_name: str, app_name: str | None, raise_if_not_found: Literal[True] = True
) -> App: ...


@overload
def locate_app(
    module_name: str, app_name: str | None, raise_if_not_found: bool
) -> App | None: ...


def locate_app(
    module_name: str, app_name: str | None, raise_if_not_found: bool = True
) -> App | None:
    """Import ``module_name`` and return its app: ``app_name`` (a name or a
    factory call with literal arguments), else :func:`find_best_app`.

    :returns: None when the module does not exist and not
        ``raise_if_not_found``.
    :raises NoAppException: saying what is wrong (an ``ImportError`` raised
        inside the module is shown with its traceback).
    """
    try:
        module = _import_module(module_name)
    except ImportError as exc:
        missing = isinstance(exc, ModuleNotFoundError) and (
            module_name == exc.name or module_name.startswith(f"{exc.name}.")
        )
        if not missing:
            raise NoAppException(
                f"While importing {module_name!r}, an ImportError was raised:"
                f"\n\n{traceback.format_exc()}"
            ) from None
        if raise_if_not_found:
            raise _not_found(module_name) from None
        return None
    if app_name is None:
        return find_best_app(module)
    return _find_app_by_string(module, app_name)


def _import_module(name: str) -> ModuleType:
    # Through the public module's name (Quart's spelling), so that replacing
    # app_framework.cli.import_module (as Quart's CLI tests do) is honoured.
    from .. import cli

    return cli.import_module(name)


def adopt_flask_variables() -> None:
    """Read ``FLASK_APP``/``FLASK_DEBUG`` as our names when those are unset,
    saying so on stderr (once: the value is copied)."""
    for flask_name, native in FLASK_NAMES.items():
        value = os.environ.get(flask_name)
        if value is None or native in os.environ:
            continue
        os.environ[native] = value
        click.echo(
            f"Note: {flask_name} is read as {native}, the native name.", err=True
        )


def load_dotenv(
    path: str | os.PathLike[str] | None = None, load_defaults: bool = True
) -> bool:
    """Set environment variables from the nearest ``.flaskenv``, ``.quartenv``
    and ``.env`` (looked for from the working folder up) and ``path``: ``path``
    wins over ``.env``, which wins over ``.quartenv``, which wins over
    ``.flaskenv``; a variable already set in the
    environment wins over all. Needs python-dotenv (installed with
    ``uvicorn[standard]``); without it, says so when such files exist.

    :returns: whether a variable was loaded.
    """
    try:
        import dotenv
    except ImportError:
        if path or any(os.path.isfile(name) for name in DOTENV_FILES):
            click.secho(
                " * Tip: There are .env files present. Install python-dotenv"
                " to use them.",
                fg="yellow",
                err=True,
            )
        return False
    data: dict[str, str | None] = {}
    if load_defaults:
        for name in DOTENV_FILES:
            found = dotenv.find_dotenv(name, usecwd=True)
            if found:
                data |= dotenv.dotenv_values(found, encoding="utf-8")
    if path is not None and os.path.isfile(path):
        data |= dotenv.dotenv_values(path, encoding="utf-8")
    for key, value in data.items():
        if value is not None and key not in os.environ:
            os.environ[key] = value
    return bool(data)


def dotenv_enabled(default: bool = True) -> bool:
    """Whether to load the default dotenv files (not when
    ``APP_FRAMEWORK_SKIP_DOTENV`` is set, else Flask's ``FLASK_SKIP_DOTENV``)."""
    return load_dotenv_flag(default)


class ScriptInfo:
    """How commands find the app: ``create_app`` (a callable returning it,
    as ``app.test_cli_runner()`` and ``FlaskGroup(create_app=...)`` give),
    else ``app_import_path`` (``--app``), else ``APP_FRAMEWORK_APP``, else
    ``wsgi.py`` or ``app.py`` in the working folder.

    :param set_debug_flag: Set ``app.debug`` from ``APP_FRAMEWORK_DEBUG``
        (``--debug``/``--no-debug``), as Flask does.
    :param load_dotenv_defaults: Whether the group loads ``.flaskenv``,
        ``.quartenv`` and ``.env`` (kept here for reference, as in Flask).
    """

    def __init__(
        self,
        app_import_path: str | None = None,
        create_app: Callable[..., App] | None = None,
        set_debug_flag: bool = True,
        load_dotenv_defaults: bool = True,
    ) -> None:
        self.app_import_path = app_import_path
        self.create_app = create_app
        self.set_debug_flag = set_debug_flag
        self.load_dotenv_defaults = dotenv_enabled(load_dotenv_defaults)
        self.data: dict[Any, Any] = {}
        self._loaded: App | None = None

    def load_app(self) -> App:
        """The app (loaded once).

        :raises NoAppException: none found, or it could not be loaded.
        """
        if self._loaded is not None:
            return self._loaded
        app = self._find()
        if app is None:
            raise NoAppException(NO_APP)
        if self.set_debug_flag:
            app.debug = debug_flag()
        self._loaded = app
        return app

    def _find(self) -> App | None:
        if self.create_app is not None:
            return self.create_app()
        target = self.app_import_path or os.environ.get(APP_ENV)
        if target:
            # A ':' followed by a slash is a Windows drive, not the app's name.
            path, *name = re.split(r":(?![\\/])", target, maxsplit=1)
            return locate_app(prepare_import(path), name[0] if name else None)
        for path in ("wsgi.py", "app.py"):
            app = locate_app(prepare_import(path), None, raise_if_not_found=False)
            if app is not None:
                return app
        return None


pass_script_info = click.make_pass_decorator(ScriptInfo, ensure=True)
"""Pass the :class:`ScriptInfo` to a command as its first argument."""
