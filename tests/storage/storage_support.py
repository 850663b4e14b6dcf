"""Helpers shared by the storage tests (a uniquely named module, unlike ``conftest``)."""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path

import attrs
import pytest

from socialcare.storage import Store

POSTGRES_DSN = os.environ.get("SOCIALCARE_TEST_POSTGRES_DSN")
UNDER_CI = bool(os.environ.get("CI"))
SRC = Path(__file__).resolve().parents[2] / "src"


def require_driver() -> None:
    """psycopg and psycopg_pool must be importable; fail under CI when not, skip elsewhere."""
    try:
        import psycopg  # noqa: F401, PLC0415 - probing the optional driver
        import psycopg_pool  # noqa: F401, PLC0415
    except ImportError:
        reason = "the PostgreSQL driver is not installed (pip install 'socialcare[postgres]')"
        if UNDER_CI:
            pytest.fail(f"PostgreSQL tests must run under CI: {reason}")
        pytest.skip(reason)


def require_postgres() -> str:
    """The test DSN; fail under CI when it (or the driver) is missing, skip elsewhere."""
    require_driver()
    if POSTGRES_DSN:
        return POSTGRES_DSN
    reason = "SOCIALCARE_TEST_POSTGRES_DSN is not set (e.g. postgresql://postgres@127.0.0.1/test)"
    if UNDER_CI:
        pytest.fail(f"PostgreSQL tests must run under CI: {reason}")
    pytest.skip(reason)


def drop_pg_schema(dsn: str, schema: str) -> None:
    import psycopg  # noqa: PLC0415 - only for PostgreSQL cases

    with psycopg.connect(dsn, autocommit=True) as conn:
        conn.execute(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')


@attrs.frozen
class Backend:
    """One database for one test: opens store objects on it and describes it to subprocesses."""

    name: str
    open: Callable[..., Store]
    spec: dict[str, str]

    @property
    def shared_across_processes(self) -> bool:
        return self.name != "memory"
