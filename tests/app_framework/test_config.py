"""Config loaders."""

from __future__ import annotations

import pytest

from app_framework import Config
from app_framework.config import import_string


class Settings:
    DEBUG = True
    lower = "ignored"


def test_from_mapping_takes_upper_case_keys() -> None:
    config = Config()
    assert config.from_mapping({"A": 1, "b": 2}, C=3)
    assert config == {"A": 1, "C": 3}


def test_from_object_and_import_string() -> None:
    config = Config()
    config.from_object(Settings)
    assert config == {"DEBUG": True}
    config.from_object("tests.app_framework.test_config:Settings")
    config.from_object("tests.app_framework.test_config.Settings")
    assert import_string("json") is __import__("json")
    with pytest.raises(ImportError, match="has no attribute 'Nope'"):
        import_string("tests.app_framework.test_config:Nope")
    with pytest.raises(ImportError):
        import_string("nonexistent_module_xyz")


def test_from_prefixed_env(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("APP_DEBUG", "true")
    monkeypatch.setenv("APP_MAX_CONTENT_LENGTH", "1024")
    monkeypatch.setenv("APP_NAME", "plain text")
    monkeypatch.setenv("APP_DB__HOST", "db.local")
    monkeypatch.setenv("OTHER_X", "1")
    config = Config()
    assert config.from_prefixed_env()
    assert config == {
        "DEBUG": True,
        "MAX_CONTENT_LENGTH": 1024,
        "NAME": "plain text",
        "DB": {"HOST": "db.local"},
    }


def test_repr_hides_secrets() -> None:
    config = Config(SECRET_KEY="hunter2", DB_PASSWORD="pw", DEBUG=True, API_TOKEN="")
    text = repr(config)
    assert "hunter2" not in text and "pw'" not in text
    assert "'DEBUG': True" in text
