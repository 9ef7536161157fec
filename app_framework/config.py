"""Configuration: a dict of upper-case keys with Flask's loaders."""

from __future__ import annotations

import copy
import errno
import importlib
import json
import os
import types
from collections.abc import Callable, Iterable, Mapping
from datetime import timedelta
from typing import IO, Any

__all__ = [
    "DEBUG_ENV",
    "DEFAULTS",
    "SKIP_DOTENV_ENV",
    "Config",
    "ConfigAttributes",
    "debug_flag",
    "default_config",
    "import_string",
    "load_dotenv_flag",
]

FLASK_PREFIX = "FLASK"
"""Flask's spelling of the environment's names, read under the native ones."""
CLI_ENV_PREFIX = "APP_FRAMEWORK_"
"""The command line's environment variables (never loaded as config)."""
DEBUG_ENV = "APP_FRAMEWORK_DEBUG"
"""Set by ``app-framework run --debug`` (Flask's ``FLASK_DEBUG``): the
default of ``DEBUG`` for apps made while it is set."""
SKIP_DOTENV_ENV = "APP_FRAMEWORK_SKIP_DOTENV"
"""Set to skip loading ``.flaskenv`` and ``.env`` (Flask's ``FLASK_SKIP_DOTENV``)."""
_FALSE_WORDS = frozenset({"0", "false", "no"})


def _environ_value(native: str) -> str:
    # The native name wins when set (even to "0"); otherwise Flask's name
    # (FLASK_ for APP_FRAMEWORK_) is read, so an environment written for a
    # Flask app keeps meaning the same here.
    if native in os.environ:
        return os.environ[native]
    return os.environ.get(f"{FLASK_PREFIX}_{native.removeprefix(CLI_ENV_PREFIX)}", "")


def debug_flag() -> bool:
    """Whether :data:`DEBUG_ENV` (else ``FLASK_DEBUG``) asks for debug mode
    (Flask's rule: set, and not ``0``, ``false`` or ``no``)."""
    value = _environ_value(DEBUG_ENV)
    return bool(value) and value.lower() not in _FALSE_WORDS


def load_dotenv_flag(default: bool = True) -> bool:
    """Whether to load the default dotenv files: ``default`` unless
    :data:`SKIP_DOTENV_ENV` (else ``FLASK_SKIP_DOTENV``) is set, then only
    when it is ``0``, ``false`` or ``no``."""
    value = _environ_value(SKIP_DOTENV_ENV)
    if not value:
        return default
    return value.lower() in _FALSE_WORDS


def _is_cli_variable(name: str, start: str) -> bool:
    # APP_FRAMEWORK_APP, APP_FRAMEWORK_DEBUG... belong to the command line,
    # not to the default APP_ prefix (they would become FRAMEWORK_APP...).
    return name.startswith(CLI_ENV_PREFIX) and not start.startswith(CLI_ENV_PREFIX)


DEFAULTS: Mapping[str, Any] = types.MappingProxyType(
    {
        # Read from the environment when each app is made (default_config).
        "DEBUG": False,
        "TESTING": False,
        "PROPAGATE_EXCEPTIONS": None,
        "TRAP_HTTP_EXCEPTIONS": False,
        "TRAP_BAD_REQUEST_ERRORS": None,
        "SECRET_KEY": None,
        "SECRET_KEY_FALLBACKS": [],
        "MAX_CONTENT_LENGTH": 16 * 1024 * 1024,
        "MAX_FORM_MEMORY_SIZE": 500_000,
        "MAX_FORM_PARTS": 1_000,
        "PRELOAD_REQUEST_BODY": True,
        "SERVER_NAME": None,
        "APPLICATION_ROOT": "/",
        "PREFERRED_URL_SCHEME": "http",
        "PROVIDE_AUTOMATIC_OPTIONS": True,
        # Quart's default (Flask's is None: revalidate each time); set None
        # for Flask's.
        "SEND_FILE_MAX_AGE_DEFAULT": timedelta(hours=12),
        "SESSION_COOKIE_NAME": "session",
        "SESSION_COOKIE_DOMAIN": None,
        "SESSION_COOKIE_PATH": None,
        "SESSION_COOKIE_HTTPONLY": True,
        "SESSION_COOKIE_SECURE": False,
        "SESSION_COOKIE_PARTITIONED": False,
        "SESSION_COOKIE_SAMESITE": "Lax",
        "SESSION_REFRESH_EACH_REQUEST": True,
        "PERMANENT_SESSION_LIFETIME": timedelta(days=31),
        "TEMPLATES_AUTO_RELOAD": None,
        # Browsers drop a larger Set-Cookie; 0: no check.
        "MAX_COOKIE_SIZE": 4093,
        "BACKGROUND_TASK_SHUTDOWN_TIMEOUT": 5.0,
        "TEARDOWN_TIMEOUT": 5.0,
        "TRUSTED_HOSTS": None,
        "MAX_WEBSOCKET_MESSAGE_SIZE": 16 * 1024 * 1024,
        # Off: nothing installed. Read when the app starts serving.
        "SIGNAL_SLOW_RECEIVER_MS": None,
    }
)
"""Every setting's default (read-only; ``App.default_config``, as Flask's)."""


def default_config(defaults: Mapping[str, Any] = DEFAULTS) -> dict[str, Any]:
    """A fresh copy of ``defaults``, so each app owns its values (a list
    such as ``SECRET_KEY_FALLBACKS`` is never shared between apps)."""
    values = copy.deepcopy(dict(defaults))
    # Read when the app is made, as Flask does: code that looks at
    # app.debug while setting up (Inspector(app, enabled=app.debug))
    # sees what `app-framework run --debug` asked for.
    values["DEBUG"] = debug_flag()
    return values


class Config(dict[str, Any]):
    """The application's settings. Only upper-case keys are loaded.

    :param root_path: What relative file names are relative to (the app's
        ``root_path``, or its instance folder with
        ``instance_relative_config=True``).
    :param defaults: Initial values.
    """

    def __init__(
        self,
        root_path: str | os.PathLike[str] | None = None,
        defaults: Mapping[str, Any] | None = None,
        **values: Any,
    ) -> None:
        super().__init__(defaults or {}, **values)
        self.root_path = os.fspath(root_path) if root_path is not None else os.getcwd()

    def _path(self, filename: str | os.PathLike[str]) -> str:
        return os.path.join(self.root_path, os.fspath(filename))

    def from_mapping(
        self,
        mapping: Mapping[str, Any] | Iterable[tuple[str, Any]] | None = None,
        **kwargs: Any,
    ) -> bool:
        """Load the upper-case keys of ``mapping`` (a mapping or key/value
        pairs) and ``kwargs``; returns True."""
        items: dict[str, Any] = dict(mapping or ())
        items.update(kwargs)
        for key, value in items.items():
            if key.isupper():
                self[key] = value
        return True

    def from_object(self, obj: object | str) -> None:
        """Load the upper-case attributes of ``obj`` (or of the object an
        import string such as ``"myapp.settings"`` or ``"myapp:Settings"`` names).

        :raises ImportError: the import string names nothing importable.
        """
        if isinstance(obj, str):
            obj = import_string(obj)
        for key in dir(obj):
            if key.isupper():
                self[key] = getattr(obj, key)

    def from_pyfile(
        self, filename: str | os.PathLike[str], silent: bool = False
    ) -> bool:
        """Run a Python file (relative to ``root_path``) and load its
        upper-case names. Returns True, or False when ``silent`` and the file
        does not exist.

        :raises OSError: the file does not exist (the message has its full path).
        :raises SyntaxError: the file does not parse (with its path and line).
        """
        path = self._path(filename)
        module = types.ModuleType("config")
        module.__file__ = path
        try:
            with open(path, "rb") as file:
                source = file.read()
        except OSError as exc:
            if silent and exc.errno in (errno.ENOENT, errno.EISDIR, errno.ENOTDIR):
                return False
            exc.strerror = f"Unable to load configuration file ({exc.strerror})"
            raise
        exec(compile(source, path, "exec"), module.__dict__)
        self.from_object(module)
        return True

    def from_file(
        self,
        filename: str | os.PathLike[str],
        load: Callable[[IO[Any]], Mapping[str, Any]],
        silent: bool = False,
        text: bool = True,
    ) -> bool:
        """Load a file (relative to ``root_path``) with ``load``, e.g.
        ``from_file("config.json", json.load)`` or ``from_file("config.toml",
        tomllib.load, text=False)``; its upper-case keys are kept.

        :raises OSError: the file does not exist (unless ``silent``).
        :raises ValueError: ``load`` failed; the message has the path (and
            the line, when the parser said).
        """
        path = self._path(filename)
        try:
            with open(path, "r" if text else "rb") as file:
                data = load(file)
        except OSError as exc:
            if silent and exc.errno in (errno.ENOENT, errno.EISDIR):
                return False
            exc.strerror = f"Unable to load configuration file ({exc.strerror})"
            raise
        except ValueError as exc:  # JSONDecodeError, TOMLDecodeError...
            line = getattr(exc, "lineno", None)
            where = f"{path}, line {line}" if line else path
            raise ValueError(
                f"Unable to parse configuration file {where}: {exc}"
            ) from exc
        return self.from_mapping(data)

    def from_envvar(self, variable_name: str, silent: bool = False) -> bool:
        """Load the Python file named by an environment variable.

        :raises RuntimeError: the variable is not set (unless ``silent``).
        """
        path = os.environ.get(variable_name)
        if not path:
            if silent:
                return False
            raise RuntimeError(
                f"The environment variable {variable_name!r} is not set and as "
                "such configuration could not be loaded. Set this variable and "
                "make it point to a configuration file."
            )
        return self.from_pyfile(path, silent=silent)

    def from_prefixed_env(
        self, prefix: str = "APP", *, loads: Callable[[str], Any] = json.loads
    ) -> bool:
        """Load ``PREFIX_KEY`` environment variables into ``KEY``.

        Values are parsed with ``loads`` (JSON) when they parse
        (``APP_DEBUG=true`` is True, ``APP_MAX_CONTENT_LENGTH=1024`` an int),
        else kept as strings. ``APP_DB__HOST=x`` sets ``config["DB"]["HOST"]``.
        The ``APP`` prefix also reads Flask's ``FLASK_*`` variables first, so
        an environment written for a Flask app still configures it; an
        ``APP_*`` variable wins over its ``FLASK_*`` twin. The command line's
        own ``APP_FRAMEWORK_*`` variables are not config (unless ``prefix``
        starts with ``APP_FRAMEWORK``). Returns True.
        """
        prefixes = [FLASK_PREFIX, prefix] if prefix == "APP" else [prefix]
        for start in (p + "_" for p in prefixes):
            for name in sorted(os.environ):
                if name.startswith(start) and not _is_cli_variable(name, start):
                    self._set_nested(name[len(start) :], os.environ[name], loads)
        return True

    def _set_nested(self, key: str, raw: str, loads: Callable[[str], Any]) -> None:
        """``config[key] = loads(raw)`` (``raw`` itself when it does not
        parse), ``A__B`` naming key ``B`` of the dict at ``A``."""
        try:
            value: Any = loads(raw)
        except ValueError:
            value = raw
        *parents, last = key.split("__")
        target: dict[str, Any] = self
        for part in parents:
            target = target.setdefault(part, {})
        target[last] = value

    def get_namespace(
        self, namespace: str, lowercase: bool = True, trim_namespace: bool = True
    ) -> dict[str, Any]:
        """The keys starting with ``namespace`` (``"IMAGE_STORE_"``), as a
        dict: ``{"type": ..., "path": ...}`` by default."""
        found: dict[str, Any] = {}
        for key, value in self.items():
            if not key.startswith(namespace):
                continue
            name = key[len(namespace) :] if trim_namespace else key
            found[name.lower() if lowercase else name] = value
        return found

    def __repr__(self) -> str:
        # A config ends up in logs and tracebacks: never show secrets there.
        shown = {
            key: "***" if value and any(w in key for w in _SECRET_WORDS) else value
            for key, value in self.items()
        }
        return f"<Config {shown!r}>"


_SECRET_WORDS = ("SECRET", "PASSWORD", "TOKEN", "KEY")


class ConfigAttributes:
    """The app's attributes that read and write its config (Flask's
    ``app.debug``, ``app.testing``, ``app.secret_key``...)."""

    config: Config

    debug = property(
        lambda self: bool(self.config["DEBUG"]),
        lambda self, value: self.config.__setitem__("DEBUG", value),
        doc="``config['DEBUG']``: 500 pages show the traceback.",
    )
    testing = property(
        lambda self: bool(self.config["TESTING"]),
        lambda self, value: self.config.__setitem__("TESTING", value),
        doc="``config['TESTING']``: unhandled exceptions reach the caller.",
    )
    secret_key = property(
        lambda self: self.config["SECRET_KEY"],
        lambda self, value: self.config.__setitem__("SECRET_KEY", value),
        doc="``config['SECRET_KEY']``.",
    )

    @property
    def permanent_session_lifetime(self) -> timedelta:
        """``config['PERMANENT_SESSION_LIFETIME']`` (seconds become a timedelta)."""
        value = self.config["PERMANENT_SESSION_LIFETIME"]
        return value if isinstance(value, timedelta) else timedelta(seconds=value)

    @permanent_session_lifetime.setter
    def permanent_session_lifetime(self, value: timedelta | int) -> None:
        self.config["PERMANENT_SESSION_LIFETIME"] = value

    @property
    def propagate_exceptions(self) -> bool:
        """``PROPAGATE_EXCEPTIONS`` if set, else ``TESTING``."""
        value = self.config["PROPAGATE_EXCEPTIONS"]
        return bool(self.testing if value is None else value)


def import_string(path: str) -> Any:
    """Import ``"pkg.module"``, ``"pkg.module:attr"`` or ``"pkg.module.attr"``.

    :raises ImportError: nothing importable has that name.
    """
    module_name, _, attr = path.partition(":")
    if not attr:
        try:
            return importlib.import_module(path)
        except ImportError:
            module_name, _, attr = path.rpartition(".")
            if not module_name:
                raise
    module = importlib.import_module(module_name)
    try:
        return getattr(module, attr)
    except AttributeError:
        raise ImportError(f"module {module_name!r} has no attribute {attr!r}") from None
