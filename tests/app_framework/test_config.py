"""Config loaders."""

from __future__ import annotations

import importlib
import json
import sys
import tomllib
from collections.abc import Callable, Iterator
from datetime import timedelta
from pathlib import Path

import pytest

from app_framework import App, Config
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


def test_from_prefixed_env_reads_flask_names_under_the_native_ones(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("FLASK_MAIL_SERVER", "smtp.old")
    monkeypatch.setenv("APP_MAIL_SERVER", "smtp.new")  # the native name wins
    monkeypatch.setenv("FLASK_RATE", "2.5")
    monkeypatch.setenv("FLASK_CACHE__ttl", "30")  # merged into the dict there
    monkeypatch.setenv("APP_CACHE__backend__url", '"redis://cache"')
    monkeypatch.setenv("SVC_PORT", "81")
    config = Config()
    config["CACHE"] = {"ttl": 5, "backend": {"kind": "redis"}}
    assert config.from_prefixed_env()
    assert config == {
        "MAIL_SERVER": "smtp.new",
        "RATE": 2.5,
        "CACHE": {"ttl": 30, "backend": {"kind": "redis", "url": "redis://cache"}},
    }
    other = Config()
    other.from_prefixed_env("SVC")  # another prefix reads only its own
    assert other == {"PORT": 81}


def test_repr_hides_secrets() -> None:
    config = Config(SECRET_KEY="hunter2", DB_PASSWORD="pw", DEBUG=True, API_TOKEN="")
    text = repr(config)
    assert "hunter2" not in text and "pw'" not in text
    assert "'DEBUG': True" in text


def test_from_pyfile_from_file_and_from_envvar(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "settings.py").write_text("DEBUG = True\nlower = 1\nSECRET_KEY = 'k'\n")
    (tmp_path / "settings.json").write_text('{"PORT": 8000, "name": "x"}')
    (tmp_path / "settings.toml").write_text('TITLE = "T"\n')
    config = Config(tmp_path)
    assert config.from_pyfile("settings.py")
    assert config.from_file("settings.json", load=json.load)
    assert config.from_file("settings.toml", load=tomllib.load, text=False)
    assert config == {"DEBUG": True, "SECRET_KEY": "k", "PORT": 8000, "TITLE": "T"}
    monkeypatch.setenv("MY_SETTINGS", str(tmp_path / "settings.py"))
    assert Config().from_envvar("MY_SETTINGS")
    assert not Config(tmp_path).from_pyfile("missing.py", silent=True)
    assert not Config(tmp_path).from_file("missing.json", json.load, silent=True)
    monkeypatch.delenv("MY_SETTINGS")
    assert not Config().from_envvar("MY_SETTINGS", silent=True)
    with pytest.raises(RuntimeError, match="'MY_SETTINGS' is not set"):
        Config().from_envvar("MY_SETTINGS")


def test_config_file_errors_give_the_full_path_and_line(tmp_path: Path) -> None:
    missing = tmp_path / "nowhere.py"
    with pytest.raises(OSError, match="Unable to load configuration file") as info:
        Config(tmp_path).from_pyfile("nowhere.py")
    assert str(missing) in str(info.value)
    (tmp_path / "broken.py").write_text("DEBUG = True\nTHIS IS NOT PYTHON\n")
    with pytest.raises(SyntaxError) as syntax:
        Config(tmp_path).from_pyfile("broken.py")
    assert (
        syntax.value.filename == str(tmp_path / "broken.py")
        and syntax.value.lineno == 2
    )
    (tmp_path / "broken.json").write_text('{\n  "A": 1,\n  oops\n}')
    with pytest.raises(ValueError, match=r"broken\.json, line 3"):
        Config(tmp_path).from_file("broken.json", json.load)
    with pytest.raises(OSError, match=str(tmp_path / "gone.json")):
        Config(tmp_path).from_file("gone.json", json.load)


def test_get_namespace() -> None:
    config = Config(IMAGE_STORE_TYPE="fs", IMAGE_STORE_PATH="/x", OTHER=1)
    assert config.get_namespace("IMAGE_STORE_") == {"type": "fs", "path": "/x"}
    assert config.get_namespace(
        "IMAGE_STORE_", lowercase=False, trim_namespace=False
    ) == {
        "IMAGE_STORE_TYPE": "fs",
        "IMAGE_STORE_PATH": "/x",
    }


def test_each_app_owns_its_config_values() -> None:
    first, second = App("first"), App("second")
    first.config["SECRET_KEY_FALLBACKS"].append("old-key")
    assert second.config["SECRET_KEY_FALLBACKS"] == []
    first.permanent_session_lifetime = 60
    assert first.permanent_session_lifetime == timedelta(seconds=60)


def test_instance_folder_and_resources(tmp_path: Path) -> None:
    (tmp_path / "schema.sql").write_text("create table t (id int);")
    instance = tmp_path / "instance"
    instance.mkdir()
    (instance / "config.py").write_text("DATABASE = 'db.sqlite'\n")
    app = App(
        "resources",
        root_path=str(tmp_path),
        instance_path=str(instance),
        instance_relative_config=True,
    )
    assert app.config.from_pyfile("config.py") and app.config["DATABASE"] == "db.sqlite"
    with app.open_resource("schema.sql") as resource:
        assert resource.read() == b"create table t (id int);"
    with app.open_resource("schema.sql", "r", encoding="utf-8") as text:
        assert text.read().startswith("create")
    with pytest.raises(ValueError, match="only be opened for reading"):
        app.open_resource("schema.sql", "w")
    with app.open_instance_resource("notes.txt", "w") as out:
        out.write("written")
    assert (instance / "notes.txt").read_text() == "written"
    with app.open_instance_resource("notes.txt") as binary:
        assert binary.read() == b"written"
    with pytest.raises(ValueError, match="must be absolute"):
        App("relative", instance_path="instance")


def test_the_default_instance_folder() -> None:
    from app_framework._paths import find_instance_path

    here = Path(__file__).resolve()
    # a module in a package: the instance folder is beside the top package
    assert find_instance_path("tests.app_framework.test_config", "x") == str(
        here.parents[2] / "instance"
    )
    assert find_instance_path("json", "x").endswith("instance")
    assert find_instance_path("no_such_module_at_all", "x") == str(
        Path.cwd() / "instance"
    )
    import click

    installed = find_instance_path(click.__name__, "demo")
    assert installed.endswith(str(Path("var") / "demo-instance"))


@pytest.fixture
def importable(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Iterator[Callable[[str, str], None]]:
    """Writes a module below tmp_path, puts its sys.path entry first, and
    forgets the modules imported from there afterwards."""
    names: list[str] = []

    def make(entry: str, module: str) -> None:
        path = tmp_path / entry / module
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text("")
        monkeypatch.syspath_prepend(str(tmp_path / entry))
        names.append(Path(module).parts[0].removesuffix(".py"))

    yield make
    for name in list(sys.modules):
        if name.partition(".")[0] in names:
            del sys.modules[name]


def test_instance_folder_of_a_namespace_package(
    tmp_path: Path, importable: Callable[[str, str], None]
) -> None:
    # corp/ has no __init__.py: a namespace package with two portions
    importable("src", "corp/billing/__init__.py")
    importable("plugins", "corp/reports.py")
    importlib.import_module("corp.billing")
    importlib.import_module("corp.reports")

    assert App("corp.billing").instance_path == str(tmp_path / "src" / "instance")
    assert App("corp.reports").instance_path == str(tmp_path / "plugins" / "instance")


def test_instance_folder_of_an_installed_package(
    tmp_path: Path,
    importable: Callable[[str, str], None],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    importable("env/lib/python3.12/site-packages", "storefront/__init__.py")
    importable("opt/tools", "ledger.py")
    importlib.import_module("storefront")
    importlib.import_module("ledger")

    # a virtualenv's site-packages: <venv>/var/<name>-instance
    storefront = App("storefront")
    assert storefront.instance_path == str(
        tmp_path / "env" / "var" / "storefront-instance"
    )
    # anything below sys.prefix: <sys.prefix>/var/<name>-instance
    monkeypatch.setattr(sys, "prefix", str(tmp_path / "opt"))
    assert App("ledger").instance_path == str(
        tmp_path / "opt" / "var" / "ledger-instance"
    )


def test_debug_starts_from_the_environment_as_flask_debug_does(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from app_framework.inspector import Inspector

    monkeypatch.setenv("APP_FRAMEWORK_DEBUG", "1")
    debugging = App("debugging")
    assert debugging.debug
    # So an extension that looks at app.debug while setting up sees it.
    inspector = Inspector(debugging, enabled=debugging.debug)
    assert debugging.extensions["inspector"] is inspector
    for off in ("0", "false", "No", ""):
        monkeypatch.setenv("APP_FRAMEWORK_DEBUG", off)
        assert not App("quiet").debug
    monkeypatch.delenv("APP_FRAMEWORK_DEBUG")
    assert not App("quiet").debug


def test_flask_environment_names_are_read_when_the_native_ones_are_unset(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from app_framework.helpers import get_debug_flag, get_load_dotenv

    for name in ("APP_FRAMEWORK_DEBUG", "APP_FRAMEWORK_SKIP_DOTENV"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("FLASK_DEBUG", "yes")
    monkeypatch.setenv("FLASK_SKIP_DOTENV", "true")
    assert get_debug_flag() and App("from_flask_names").debug
    assert get_load_dotenv() is False
    # The native name wins, even when it says "off".
    monkeypatch.setenv("APP_FRAMEWORK_DEBUG", "False")
    monkeypatch.setenv("APP_FRAMEWORK_SKIP_DOTENV", "no")
    assert not get_debug_flag() and not App("native_wins").debug
    assert get_load_dotenv(default=False) is True
    monkeypatch.setenv("APP_FRAMEWORK_SKIP_DOTENV", "")
    assert get_load_dotenv(default=False) is False  # empty: the default


# -- Flask's test_config_from_mapping and test_custom_config_class -------------


def common_object_test(app: App) -> None:
    assert app.secret_key == "config"
    assert app.config["TEST_KEY"] == "foo"
    assert "FlaskTestSettings" not in app.config


def test_config_from_mapping() -> None:
    app = App(__name__)
    app.config.from_mapping({"SECRET_KEY": "config", "TEST_KEY": "foo"})
    common_object_test(app)

    app = App(__name__)
    app.config.from_mapping([("SECRET_KEY", "config"), ("TEST_KEY", "foo")])
    common_object_test(app)

    app = App(__name__)
    app.config.from_mapping(SECRET_KEY="config", TEST_KEY="foo")
    common_object_test(app)

    app = App(__name__)
    app.config.from_mapping(SECRET_KEY="config", TEST_KEY="foo", skip_key="skip")
    common_object_test(app)
    assert "skip_key" not in app.config

    app = App(__name__)
    with pytest.raises(TypeError):
        app.config.from_mapping({}, {})  # type: ignore[call-arg]


def test_from_mapping_takes_pairs_from_any_iterable() -> None:
    config = Config()
    config.from_mapping((key, len(key)) for key in ["ONE", "three"])
    assert config == {"ONE": 3}


class FlaskTestSettings:
    TEST_KEY = "foo"
    SECRET_KEY = "config"


def test_custom_config_class() -> None:
    class MyConfig(Config):
        pass

    class MyApp(App):
        config_class = MyConfig

    app = MyApp(__name__)
    assert isinstance(app.config, MyConfig)
    app.config.from_object(FlaskTestSettings)
    common_object_test(app)
    assert app.config.root_path == app.root_path  # made as App makes its Config
