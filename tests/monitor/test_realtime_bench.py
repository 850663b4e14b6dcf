"""A short run of benchmarks/realtime_bench.py: uvicorn, the receiver, the monitor (no timing)."""

from __future__ import annotations

import importlib.util
import logging
import sys
from pathlib import Path
from types import ModuleType

import pytest

ROOT = Path(__file__).resolve().parents[2]


def _bench() -> ModuleType:
    spec = importlib.util.spec_from_file_location(
        "realtime_bench", ROOT / "benchmarks/realtime_bench.py"
    )
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules.setdefault("realtime_bench", module)
    spec.loader.exec_module(module)
    return module


def test_latency_run_handles_every_event_once(tmp_path: Path) -> None:
    result = _bench().run_latency(50, tmp_path / "latency.db")
    assert result.events == result.delivered_once == 50


def test_failover_run_delivers_every_event_exactly_once(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.ERROR, logger="socialcare")
    result = _bench().run_failover(150, 60.0, tmp_path / "failover.db", seed=3)
    assert result.outage_s > 0
    assert result.created_during_outage > 0  # the receiver really was down for some posts
    assert (result.handled_once, result.handled_twice, result.missing) == (150, 0, 0)
    assert result.exactly_once
