"""The ``db`` fixture: one fresh shared database per test, on SQLite and on PostgreSQL.

PostgreSQL cases use ``SOCIALCARE_TEST_POSTGRES_DSN``; without it they skip,
except under CI (``CI`` set), where they fail (the rule of ``tests/storage``,
whose helpers this reuses). Each PostgreSQL test gets its own schema, dropped
afterwards; each SQLite test a fresh file.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from rel_support import Db
from tests.storage.storage_support import drop_pg_schema, require_postgres

from socialcare.storage import SQLiteStore


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def db(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Db]:
    if request.param == "sqlite":
        path = tmp_path / "care.db"
        SQLiteStore(path, create_schema=True).close()
        yield Db("sqlite", {"kind": "sqlite", "path": str(path)})
        return
    dsn = require_postgres()
    from socialcare.storage.postgres import PostgresStore  # noqa: PLC0415 - optional driver

    schema = f"sc_r_{uuid.uuid4().hex[:16]}"
    PostgresStore(dsn, schema=schema, create_schema=True).close()
    try:
        yield Db("postgres", {"kind": "postgres", "dsn": dsn, "schema": schema})
    finally:
        drop_pg_schema(dsn, schema)
