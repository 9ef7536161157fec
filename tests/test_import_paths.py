"""Every public module path users and extensions wrote before the modules
became packages per concern still imports, with the same names."""

from __future__ import annotations

import importlib

import pytest

# The public modules of the flat layout and a name each must still offer.
PATHS = {
    "app_framework.background": "BackgroundTasks",
    "app_framework.cli": "FlaskGroup",
    "app_framework.converters": "BaseConverter",
    "app_framework.inspector": "Inspector",
    "app_framework.lifespan": "add_while_serving",
    "app_framework.pipeline": "options_response",
    "app_framework.routing": "Rule",
    "app_framework.sessions": "SecureCookieSessionInterface",
    "app_framework.templating": "render_template",
    "app_framework.testing": "TestClient",
    "app_framework.wrappers.request": "Request",
    "app_framework.wrappers.response": "Response",
    "app_framework.wrappers.websocket": "Websocket",
}


@pytest.mark.parametrize("path", sorted(PATHS))
def test_public_module_path_still_imports(path: str) -> None:
    module = importlib.import_module(path)
    assert hasattr(module, PATHS[path])
    for name in getattr(module, "__all__", ()):
        assert hasattr(module, name), f"{path} lists {name} but lacks it"


def test_moved_module_re_exports_the_same_objects() -> None:
    old = importlib.import_module("app_framework.converters")
    new = importlib.import_module("app_framework.routing.converters")
    assert old.BaseConverter is new.BaseConverter
    assert importlib.import_module("app_framework.wrappers.request").Request is (
        importlib.import_module("app_framework").Request
    )
