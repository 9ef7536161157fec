"""What ``import app_framework`` (and making an app) loads: modules needed
only by a feature an app may never use are imported when it is first used."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

# Each is loaded by its feature only: a sync caller in a worker thread,
# a streamed body, a slow-receiver warning, a Decimal in JSON, a session
# signed with SECRET_KEY, a file body.
DEFERRED = [
    "anyio.from_thread",
    "anyio.lowlevel",
    "app_framework._inspector_records",
    "decimal",
    "itsdangerous",
    "pathlib",
]


def loaded_after(code: str) -> set[str]:
    """The modules a fresh interpreter has loaded after running ``code``."""
    script = f"import sys\n{code}\nimport json; print(json.dumps(sorted(sys.modules)))"
    result = subprocess.run(
        [sys.executable, "-c", script],
        capture_output=True,
        text=True,
        check=True,
        timeout=30,
        env={**os.environ, "PYTHONWARNINGS": "ignore"},
    )
    return set(json.loads(result.stdout.splitlines()[-1]))


@pytest.fixture(scope="module")
def after_first_app() -> set[str]:
    return loaded_after(
        "import app_framework\n"
        "app = app_framework.App('shop')\n"
        "@app.route('/')\n"
        "async def index():\n"
        "    return {'ok': True}\n"
    )


@pytest.mark.parametrize("module", DEFERRED)
def test_a_plain_app_does_not_load(after_first_app: set[str], module: str) -> None:
    assert module not in after_first_app


def test_signing_a_session_loads_itsdangerous_then() -> None:
    loaded = loaded_after(
        "import app_framework\n"
        "app = app_framework.App('shop')\n"
        "app.secret_key = 'k' * 32\n"
        "app.session_interface.get_signing_serializer(app)\n"
    )
    assert "itsdangerous" in loaded
