"""Worker processes sharing one OAuth 2.0 grant on SQLite and PostgreSQL (real processes).

The sandbox is served over HTTP on 127.0.0.1; each worker is a process of
``benchmarks/oauth_soak.py`` (``--once``: one ``access_token()`` at a fixed instant
after the token expired, then a ``me()``; ``--worker``: the soak loop).
"""

from __future__ import annotations

import datetime as dt
import importlib.util
import json
import os
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType

import pytest

from socialcare import ManualClock
from socialcare.platforms.x import OAuth2Client
from socialcare.sandbox import Sandbox
from socialcare.storage import SQLiteStore, Store

ROOT = Path(__file__).resolve().parents[2]
SOAK = ROOT / "benchmarks/oauth_soak.py"
POSTGRES_DSN = os.environ.get("SOCIALCARE_TEST_POSTGRES_DSN")
UNDER_CI = bool(os.environ.get("CI"))


def _soak() -> ModuleType:
    spec = importlib.util.spec_from_file_location("oauth_soak", SOAK)
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules.setdefault("oauth_soak", module)
    spec.loader.exec_module(module)
    return module


def _postgres() -> str:
    if POSTGRES_DSN:
        return POSTGRES_DSN
    reason = "SOCIALCARE_TEST_POSTGRES_DSN is not set"
    if UNDER_CI:
        pytest.fail(f"PostgreSQL tests must run under CI: {reason}")
    pytest.skip(reason)


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def database(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[dict[str, str]]:
    if request.param == "sqlite":
        yield {"kind": "sqlite", "path": str(tmp_path / "care.db")}
        return
    dsn = _postgres()
    schema = f"sc_t_{uuid.uuid4().hex[:16]}"
    try:
        yield {"kind": "postgres", "dsn": dsn, "schema": schema}
    finally:
        import psycopg  # noqa: PLC0415

        with psycopg.connect(dsn, autocommit=True) as conn:
            conn.execute(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')


def _open(spec: dict[str, str]) -> Store:
    if spec["kind"] == "sqlite":
        return SQLiteStore(spec["path"], create_schema=True)
    from socialcare.storage.postgres import PostgresStore  # noqa: PLC0415

    return PostgresStore(spec["dsn"], schema=spec["schema"], create_schema=True, max_size=2)


def test_of_many_processes_exactly_one_refreshes(database: dict[str, str], tmp_path: Path) -> None:
    start = dt.datetime(2026, 1, 1, tzinfo=dt.timezone.utc)
    clock = ManualClock(start)
    sandbox = Sandbox(clock=clock, rate_limits=False)
    sandbox.add_user("acme")
    app = sandbox.register_oauth2_app("acme")
    workers = 6
    with sandbox.serve() as server, _open(database) as store:
        client = OAuth2Client(
            app.client_id,
            client_secret=app.client_secret,
            redirect_uri=app.redirect_uri,
            api_host=server.url,
            clock=clock,
        )
        request = client.authorization()
        token = client.exchange(request, sandbox.approve(request.url))
        first = store.put_token(token.record("x:acme"))
        clock.advance(7201)  # expired: no worker may use the old token, all need the new one
        go = tmp_path / "go"
        procs = []
        for i in range(workers):
            spec = {
                **database,
                "url": server.url,
                "client_id": app.client_id,
                "client_secret": app.client_secret,
                "redirect_uri": app.redirect_uri,
                "offset": 7201,
                "ready": str(tmp_path / f"ready{i}"),
                "go": str(go),
            }
            procs.append(
                subprocess.Popen(
                    [sys.executable, str(SOAK), "--once", json.dumps(spec)],
                    env={**os.environ, "PYTHONPATH": str(ROOT / "src")},
                    stdout=subprocess.PIPE,
                    stderr=subprocess.PIPE,
                    text=True,
                )
            )
        deadline = time.monotonic() + 120
        while not all((tmp_path / f"ready{i}").exists() for i in range(workers)):
            assert time.monotonic() < deadline, "workers never became ready"
            assert all(p.poll() is None for p in procs), [p.communicate() for p in procs]
            time.sleep(0.01)
        go.touch()
        outputs = []
        for proc in procs:
            out, err = proc.communicate(timeout=120)
            assert proc.returncode == 0, err
            outputs.append(json.loads(out.strip().splitlines()[-1]))
        stored = store.get_token("x:acme")
    assert stored is not None
    assert stored.version == first.version + 1
    assert len({o["token"] for o in outputs}) == 1  # every worker uses the one new token
    assert sum(o["refreshes"] for o in outputs) == 1
    assert {o["me"] for o in outputs} == {"acme"}
    assert len(sandbox.oauth2.refreshes) == 1
    assert sandbox.oauth2.reused_refresh_tokens == 0


@pytest.mark.parametrize(
    ("backend", "workers"), [("sqlite", 2), pytest.param("postgres", 3, marks=pytest.mark.postgres)]
)
def test_soak_smoke_with_sigkills(backend: str, workers: int) -> None:
    if backend == "postgres":
        _postgres()
    result = _soak().run_soak(backend, workers=workers, hours=6, speed=900, kill_every=1.0)
    assert result.kills > 0
    assert result.requests_ok > 0
    assert result.auth_failures == 0
    assert result.refresh_token_reuses == 0
    assert result.max_refresh_token_uses == 1
    assert result.live_grant
    # Between 6 h / 2 h and 6 h / (2 h - 50 min) refreshes, each token refreshed once.
    assert (result.fewest_refreshes, result.expected_refreshes) == (3, 5)
    assert 3 <= result.refreshes <= 5
    assert result.one_refresh_per_window
    assert result.clean
