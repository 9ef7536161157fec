"""python -m app_framework run|routes|signals."""

from __future__ import annotations

import io
import subprocess
import sys
from typing import Any

import pytest

from app_framework import cli


def run(*argv: str) -> str:
    out = io.StringIO()
    assert cli.main(list(argv), out=out) == 0
    return out.getvalue()


def test_routes() -> None:
    lines = run("routes", "examples.tour:app").splitlines()
    assert lines[0].split() == ["Rule", "Methods", "Endpoint"]
    assert any(
        line.split() == ["/users/<int:user_id>", "GET", "user"] for line in lines
    )
    assert any(line.split() == ["/api/status", "GET", "api.status"] for line in lines)


def test_signals_lists_every_signal_and_receivers() -> None:
    text = run("signals", "examples.tour:app")
    for name in ("request-started", "appcontext-tearing-down", "message-flashed"):
        assert f"{name}: " in text
    assert "connect_loggers.<locals>.async_receiver" in text


@pytest.mark.parametrize(
    ("target", "message"),
    [
        ("examples.tour", "is not 'module:attribute'"),
        ("no_such_module_xyz:app", "cannot import"),
        ("examples.tour:log", "is a Logger, not an App"),
    ],
)
def test_bad_targets_are_explained(target: str, message: str) -> None:
    with pytest.raises(SystemExit, match=message):
        cli.main(["routes", target], out=io.StringIO())


def test_run_starts_uvicorn(monkeypatch: pytest.MonkeyPatch) -> None:
    import uvicorn

    calls: list[Any] = []
    monkeypatch.setattr(uvicorn, "run", lambda *a, **k: calls.append((a, k)))
    run("run", "examples.tour:app", "--port", "8123", "--reload")
    assert calls == [
        (("examples.tour:app",), {"host": "127.0.0.1", "port": 8123, "reload": True})
    ]


def test_module_entry_point() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "app_framework", "routes", "examples.tour:app"],
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    assert "/countdown/<int:n>" in result.stdout
