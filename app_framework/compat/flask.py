"""``import app_framework.compat.flask``, first in an app's main module,
makes ``import flask`` (and the ``flask.*`` submodules Flask extensions
import) give app_framework's objects under Flask's names, so extensions
such as Flask-Login, Flask-WTF and Flask-Cors run unmodified.

``flask.Flask`` is :class:`~app_framework.App`; ``flask.testing.FlaskClient``
is the test client, whose ``session_transaction()`` also works in a plain
``with`` block (Flask-Login's ``FlaskLoginClient`` uses it so). Every other
name is app_framework's own: ``from flask import request`` is
``app_framework.request``. A ``flask.*`` submodule with no app_framework
counterpart (``flask.sansio.*``) cannot be imported, with a message naming
the ones that can.

Importing it after the real Flask is refused: two ``flask`` modules in one
process would hand extensions objects from the wrong framework.
"""

from __future__ import annotations

import importlib
import importlib.abc
import importlib.machinery
import sys
import types
from collections.abc import Iterator, Mapping, Sequence
from contextlib import ExitStack
from types import TracebackType
from typing import Any

from anyio.from_thread import start_blocking_portal

import app_framework
from app_framework.app import App
from app_framework.sessions import Session
from app_framework.testing import AppCliRunner, TestClient

__all__ = ["SUBMODULES", "FlaskClient"]

SUBMODULES = (
    "app",
    "blueprints",
    "cli",
    "config",
    "ctx",
    "debughelpers",
    "globals",
    "helpers",
    "json",
    "json.provider",
    "json.tag",
    "logging",
    "sessions",
    "signals",
    "templating",
    "testing",
    "typing",
    "views",
    "wrappers",
)
"""The ``flask.X`` modules that exist under the alias, each app_framework.X."""


class _SessionTransaction:
    """``client.session_transaction()`` for both ``async with`` (the test
    client's own) and ``with`` (Flask's spelling, which extensions' test
    helpers call from ``__init__``, outside any coroutine)."""

    def __init__(self, client: TestClient, args: Any, kwargs: Any) -> None:
        self._client = client
        self._args = args
        self._kwargs = kwargs
        self._async: Any = None
        self._sync = ExitStack()

    def _transaction(self) -> Any:
        return TestClient.session_transaction(self._client, *self._args, **self._kwargs)

    async def __aenter__(self) -> Session:
        self._async = self._transaction()
        session: Session = await self._async.__aenter__()
        return session

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> bool | None:
        result: bool | None = await self._async.__aexit__(exc_type, exc, tb)
        return result

    def __enter__(self) -> Session:
        # The calling thread may be running an event loop (an async test
        # building a client) and cannot wait on it: the transaction runs on
        # a loop of its own in a helper thread, kept for the whole block.
        portal = self._sync.enter_context(start_blocking_portal())
        session: Session = self._sync.enter_context(
            portal.wrap_async_context_manager(self._transaction())
        )
        return session

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> bool | None:
        return self._sync.__exit__(exc_type, exc, tb)


class FlaskClient(TestClient):
    """The test client under Flask's name: ``flask.testing.FlaskClient``.

    As :class:`~app_framework.testing.TestClient` (requests are awaited),
    and ``session_transaction()`` also works in a plain ``with`` block, as
    Flask's does. The ``with`` form runs the session's load and save on a
    loop in a helper thread: fine for cookie sessions, not for a session
    store holding connections bound to the test's own loop (use
    ``async with`` there).
    """

    def session_transaction(  # type: ignore[override]
        self, *args: Any, **kwargs: Any
    ) -> _SessionTransaction:
        """Read and change the session between requests, as the next request
        will see it: ``with`` or ``async with client.session_transaction()
        as sess:``. Takes ``app.test_request_context``'s arguments."""
        return _SessionTransaction(self, args, kwargs)


_FLASK_NAMES: Mapping[str, Mapping[str, Any]] = {
    "": {"Flask": App},
    "app": {"Flask": App},
    "testing": {"FlaskClient": FlaskClient, "FlaskCliRunner": AppCliRunner},
}
"""Flask's spellings of app_framework's objects, per module ('' is ``flask``)."""


class _Alias(types.ModuleType):
    """A ``flask`` module reading its names from an app_framework module,
    with Flask's spellings of them on top."""

    def __init__(
        self, name: str, target: types.ModuleType, extra: Mapping[str, Any]
    ) -> None:
        super().__init__(name, target.__doc__)
        self.__dict__.update(extra)
        self.__dict__["__app_framework_alias__"] = target
        self.__dict__["__all__"] = [*getattr(target, "__all__", ()), *extra]
        # A package with a spec, as the real one: 'import flask.x' and
        # importlib.util.find_spec("flask") both work.
        self.__spec__ = importlib.machinery.ModuleSpec(
            name, None, origin=target.__name__, is_package=True
        )
        self.__path__: list[str] = []

    def __getattr__(self, name: str) -> Any:
        target: types.ModuleType = self.__dict__["__app_framework_alias__"]
        try:
            return getattr(target, name)
        except AttributeError:
            raise AttributeError(
                f"module {self.__name__!r} (app_framework.compat.flask) has no "
                f"attribute {name!r}: {target.__name__} has no such name",
                name=name,
                obj=self,
            ) from None


class _UnknownSubmodules(importlib.abc.MetaPathFinder):
    """Refuses ``flask.X`` modules the alias does not have, saying which it has
    (instead of Python's 'flask is not a package' riddle)."""

    def find_spec(
        self,
        fullname: str,
        path: Sequence[str] | None,
        target: types.ModuleType | None = None,
    ) -> importlib.machinery.ModuleSpec | None:
        if not fullname.startswith("flask."):
            return None
        raise ModuleNotFoundError(
            f"No module named {fullname!r}: under app_framework.compat.flask "
            f"only these flask modules exist: flask, "
            + ", ".join(f"flask.{name}" for name in SUBMODULES),
            name=fullname,
        )


def _refuse_real_flask() -> None:
    loaded = sys.modules.get("flask")
    if loaded is None or "__app_framework_alias__" in vars(loaded):
        return
    raise ImportError(
        "app_framework.compat.flask was imported after the real Flask "
        f"(from {getattr(loaded, '__file__', '?')}), so extensions may already "
        "hold Flask's objects: put 'import app_framework.compat.flask' first "
        "in the app's main module, before anything imports flask or a Flask "
        "extension"
    )


def _aliases() -> Iterator[tuple[str, _Alias]]:
    """Each ``flask`` module name with its alias, parents before children."""
    yield "flask", _Alias("flask", app_framework, _FLASK_NAMES[""])
    for name in SUBMODULES:
        target = importlib.import_module(f"app_framework.{name}")
        yield (
            f"flask.{name}",
            _Alias(f"flask.{name}", target, _FLASK_NAMES.get(name, {})),
        )


def _install() -> None:
    _refuse_real_flask()
    if "flask" in sys.modules:  # imported before (reloaded): already in place
        return
    for fullname, alias in _aliases():
        parent, _, child = fullname.rpartition(".")
        if parent:
            setattr(sys.modules[parent], child, alias)
        sys.modules[fullname] = alias
    sys.meta_path.append(_UnknownSubmodules())


_install()
