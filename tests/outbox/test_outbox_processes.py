"""Senders in several real processes share one outbox: 0 duplicated, 0 lost.

Runs ``benchmarks/outbox_chaos.py`` small (60 replies and DMs, 2 worker processes,
one SIGKILL, random faults on both write endpoints) against the sandbox served
over HTTP, on SQLite and on PostgreSQL, and checks its verdict: every action sent
once, with the id of the object X holds.
"""

from __future__ import annotations

import importlib
import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest
from tests.storage.storage_support import require_postgres

REPO = Path(__file__).resolve().parents[2]
SCRIPT = REPO / "benchmarks" / "outbox_chaos.py"

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(sys.platform == "win32", reason="SIGKILL is POSIX"),
]


@pytest.mark.parametrize(
    "backend", ["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)]
)
def test_chaos_smoke(backend: str, tmp_path: Path) -> None:
    env = {**os.environ, "PYTHONPATH": str(REPO / "src"), "OUTBOX_CHAOS_SRC": str(REPO / "src")}
    if backend == "postgres":
        env["SOCIALCARE_TEST_POSTGRES_DSN"] = require_postgres()
    out = tmp_path / "result.json"
    args = ["--actions", "60", "--workers", "2", "--kills", "1", "--kill-every", "0.5"]
    args += ["--backend", backend, "--no-baseline", "--check", "--json", str(out)]
    result = subprocess.run(
        [sys.executable, str(SCRIPT), *args],
        capture_output=True,
        text=True,
        env=env,
        timeout=300,
        check=False,
    )
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    [run] = json.loads(out.read_text(encoding="utf-8"))
    assert run["chaos"]
    assert run["kills"] == 1
    assert (run["reserved"], run["sent"], run["published"]) == (60, 60, 60)
    assert (run["duplicated"], run["lost"], run["failed"], run["wrong_remote_id"]) == (0, 0, 0, 0)
    assert run["worker_errors"] == []
    assert sum(run["faults_armed"].values()) > 0


def test_pause_stops_sender_processes(tmp_path: Path) -> None:
    """Paused before they start, two sender processes send nothing; resumed, all, once."""
    sys.path.insert(0, str(REPO / "benchmarks"))
    try:
        chaos = importlib.import_module("outbox_chaos")  # the benchmark's fleet of workers
    finally:
        sys.path.remove(str(REPO / "benchmarks"))
    from socialcare import SystemClock  # noqa: PLC0415
    from socialcare.outbox import Outbox  # noqa: PLC0415
    from socialcare.sandbox import Sandbox  # noqa: PLC0415

    sandbox = Sandbox(clock=SystemClock(), rate_limits=False)
    brand, customers, complaints = chaos.seed(sandbox, 40)
    spec = chaos.create_store("sqlite", None, tmp_path)
    store = chaos.open_store(spec)
    outbox = Outbox(store)
    chaos.reserve(store, 40, customers, complaints)
    assert outbox.pause_all(reason="test")
    with sandbox.serve() as server:
        fleet = chaos.Fleet(chaos.worker_spec(sandbox, brand, server.url, spec), 2, tmp_path)
        try:
            time.sleep(3.0)  # the workers start and poll the paused store
            assert all(p.poll() is None for p in fleet.procs.values())  # still waiting
            assert sandbox.posts(author=brand) == []
            assert [m for m in sandbox.dms() if m.sender_id == brand.id] == []
            actions = [e.action for e in store.audit_entries(limit=1000)]
            assert "outbox.attempt" not in actions
            assert outbox.resume_all()
            errors = fleet.wait(time.monotonic() + 120)
        finally:
            for proc in fleet.procs.values():
                if proc.poll() is None:
                    proc.kill()
                    proc.wait()
    assert errors == []
    result = chaos.count(store, sandbox, brand, complaints, 40)
    assert (result["sent"], result["duplicated"], result["lost"]) == (40, 0, 0)
    store.close()
