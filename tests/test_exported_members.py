"""Each package's __all__ lists exactly its public names."""

from __future__ import annotations

import importlib
import types

import pytest


@pytest.mark.parametrize("name", ["asignals", "app_framework"])
def test_all_matches_public_names(name: str) -> None:
    package = importlib.import_module(name)
    public = {
        attr
        for attr, value in vars(package).items()
        if not attr.startswith("_")
        and not (
            isinstance(value, types.ModuleType) and attr not in ("signals", "json")
        )
        and attr != "annotations"
    }
    assert set(package.__all__) == public
    assert len(package.__all__) == len(set(package.__all__))
