"""The Flask originals' tests are run on Flask by test_port.py, in a
process of their own; this suite collects only the ports.

The flaskr port's tests stay a pure port of Flask's tutorial, so the ones
that fail on app_framework for now are marked from here, in one place:
``FLASKR_XFAILS``. The marks are strict: a test that starts passing fails
the run, which says to remove its entry."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from pathlib import Path

import pytest

from app_framework.wrappers import NotLoadedError

collect_ignore = ["flask_journal_tests", "flask_flaskr_tests"]

FLASKR_TESTS = Path(__file__).parent / "flaskr_tests"

# flaskr's views read ``request.form["username"]`` without ``await`` (as
# every Flask view does); until the body is read before a sync access, that
# raises NotLoadedError. auth.login is behind ``auth.login()``, so every
# test that logs in fails there first.
_FORM_IN_REGISTER = (
    "request.form read without await in view auth.register: the request body "
    "is not preloaded, NotLoadedError"
)
_FORM_IN_LOGIN = (
    "request.form read without await in view auth.login (auth.login()): the "
    "request body is not preloaded, NotLoadedError"
)

# test id (file::name[params]) -> why it fails on app_framework today.
FLASKR_XFAILS: dict[str, str] = {
    "test_auth.py::test_register": _FORM_IN_REGISTER,
    "test_auth.py::test_register_validate_input[--Username is required.]": (
        _FORM_IN_REGISTER
    ),
    "test_auth.py::test_register_validate_input[a--Password is required.]": (
        _FORM_IN_REGISTER
    ),
    "test_auth.py::test_register_validate_input[test-test-already registered]": (
        _FORM_IN_REGISTER
    ),
    "test_auth.py::test_login": _FORM_IN_LOGIN,
    "test_auth.py::test_login_validate_input[a-test-Incorrect username.]": (
        _FORM_IN_LOGIN
    ),
    "test_auth.py::test_login_validate_input[test-a-Incorrect password.]": (
        _FORM_IN_LOGIN
    ),
    "test_auth.py::test_logout": _FORM_IN_LOGIN,
    "test_blog.py::test_index": _FORM_IN_LOGIN,
    "test_blog.py::test_author_required": _FORM_IN_LOGIN,
    "test_blog.py::test_exists_required[/2/update]": _FORM_IN_LOGIN,
    "test_blog.py::test_exists_required[/2/delete]": _FORM_IN_LOGIN,
    "test_blog.py::test_create": _FORM_IN_LOGIN,
    "test_blog.py::test_update": _FORM_IN_LOGIN,
    "test_blog.py::test_create_update_validate[/create]": _FORM_IN_LOGIN,
    "test_blog.py::test_create_update_validate[/1/update]": _FORM_IN_LOGIN,
    "test_blog.py::test_delete": _FORM_IN_LOGIN,
}

# What each cause raises: a test failing any other way is a real failure.
_RAISES: dict[str, type[BaseException]] = {
    _FORM_IN_REGISTER: NotLoadedError,
    _FORM_IN_LOGIN: NotLoadedError,
}


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if item.path.parent != FLASKR_TESTS:
            continue
        reason = FLASKR_XFAILS.get(f"{item.path.name}::{item.name}")
        if reason is not None:
            mark = pytest.mark.xfail(
                reason=reason, raises=_RAISES.get(reason), strict=True
            )
            item.add_marker(mark)


@pytest.fixture(autouse=True)
def _no_instance_folder_left() -> Iterator[None]:
    """flaskr's factory makes its instance folder, which for a package
    found on ``sys.path`` is ``instance`` beside the ``tests`` package: a
    test leaves no folder it made there."""
    folder = Path(__file__).parents[3] / "instance"
    existed = folder.exists()
    yield
    if not existed:
        # rmdir: a folder a test wrote files into is an error, not removed
        with contextlib.suppress(FileNotFoundError):
            folder.rmdir()
