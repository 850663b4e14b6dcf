"""A short run of the soak benchmark (benchmarks/monitor_soak.py) and its invariants."""

from __future__ import annotations

import importlib.util
import logging
import sys
from pathlib import Path
from types import ModuleType

import pytest

ROOT = Path(__file__).resolve().parents[2]


def _soak() -> ModuleType:
    spec = importlib.util.spec_from_file_location(
        "monitor_soak", ROOT / "benchmarks/monitor_soak.py"
    )
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules.setdefault("monitor_soak", module)
    spec.loader.exec_module(module)
    return module


@pytest.mark.parametrize("fault_rate", [0.3, 0.7])
def test_soak_loses_nothing_and_duplicates_nothing(
    fault_rate: float, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.ERROR, logger="socialcare")
    result = _soak().run_soak(200, fault_rate)
    assert result.seeded > 200
    assert result.faults > 0
    assert result.quarantined > 0  # poison posts were met, and reported
    assert (result.lost, result.duplicated, result.unreported_gaps) == (0, 0, 0)
    assert (result.alerts_lost, result.alerts_duplicated, result.unreported_poison) == (0, 0, 0)
    assert result.clean
