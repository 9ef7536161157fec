"""The examples the README points to really run."""

from __future__ import annotations

import pytest

from examples import signals_tour


async def test_signals_tour_runs(capsys: pytest.CaptureFixture[str]) -> None:
    await signals_tour.main()
    out = capsys.readouterr().out
    assert "results: ['logged', 'mailed']" in out
    assert "[mail] the corner shop sold order 2" not in out
    assert "spy saw: [3]" in out
    assert "flaky: raised ConnectionError('mail server down')" in out
