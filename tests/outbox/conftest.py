"""Fixtures: a store on memory, SQLite and PostgreSQL, on the fake platform's manual clock."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from outbox_support import FakePlatform
from tests.storage.storage_support import drop_pg_schema, require_postgres

from socialcare import ManualClock
from socialcare.storage import MemoryStore, SQLiteStore, Store

BACKENDS = ["memory", "sqlite", pytest.param("postgres", marks=pytest.mark.postgres)]


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock()


@pytest.fixture(params=BACKENDS)
def store(request: pytest.FixtureRequest, tmp_path: Path, clock: ManualClock) -> Iterator[Store]:
    if request.param == "memory":
        yield MemoryStore(clock=clock)
        return
    if request.param == "sqlite":
        with SQLiteStore(tmp_path / "care.db", create_schema=True, clock=clock) as sqlite:
            yield sqlite
        return
    dsn = require_postgres()
    from socialcare.storage.postgres import PostgresStore  # noqa: PLC0415 - optional driver

    schema = f"sc_o_{uuid.uuid4().hex[:16]}"
    try:
        with PostgresStore(dsn, schema=schema, create_schema=True, clock=clock) as pg:
            yield pg
    finally:
        drop_pg_schema(dsn, schema)


@pytest.fixture
def platform(clock: ManualClock) -> FakePlatform:
    return FakePlatform(clock)
