"""Fixtures: a store on memory, SQLite and PostgreSQL, on a manual clock."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from tests.desk.desk_support import open_store
from tests.storage.storage_support import drop_pg_schema, require_postgres

from socialcare import ManualClock
from socialcare.storage import SQLiteStore, Store

BACKENDS = ["memory", "sqlite", pytest.param("postgres", marks=pytest.mark.postgres)]


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock()


@pytest.fixture(params=BACKENDS)
def store_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[dict[str, str]]:
    """How to open the test's store again (another process): kind and location."""
    if request.param == "memory":
        yield {"kind": "memory"}
        return
    if request.param == "sqlite":
        path = tmp_path / "care.db"
        SQLiteStore(path, create_schema=True).close()
        yield {"kind": "sqlite", "path": str(path)}
        return
    dsn = require_postgres()
    from socialcare.storage.postgres import PostgresStore  # noqa: PLC0415 - optional driver

    schema = f"sc_d_{uuid.uuid4().hex[:16]}"
    PostgresStore(dsn, schema=schema, create_schema=True).close()
    try:
        yield {"kind": "postgres", "dsn": dsn, "schema": schema}
    finally:
        drop_pg_schema(dsn, schema)


@pytest.fixture
def store(store_url: dict[str, str], clock: ManualClock) -> Iterator[Store]:
    opened = open_store(store_url, clock)
    with opened:
        yield opened
