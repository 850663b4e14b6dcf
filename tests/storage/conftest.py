"""The ``store`` fixture: every storage test runs on memory, SQLite and PostgreSQL.

PostgreSQL needs ``SOCIALCARE_TEST_POSTGRES_DSN`` (for example
``postgresql://postgres@127.0.0.1:5432/test``). Without it the PostgreSQL cases
skip, except under CI (``CI`` set), where they fail. Each PostgreSQL test gets a
fresh schema of its own, dropped afterwards; each SQLite test a fresh file.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from storage_support import Backend, drop_pg_schema, require_postgres

from socialcare import ManualClock
from socialcare.storage import MemoryStore, SQLiteStore, Store

BACKENDS = [
    "memory",
    "sqlite",
    pytest.param("postgres", marks=pytest.mark.postgres),
]


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock()


@pytest.fixture(params=BACKENDS)
def backend(
    request: pytest.FixtureRequest, tmp_path: Path, clock: ManualClock
) -> Iterator[Backend]:
    opened: list[Store] = []

    def track(store: Store) -> Store:
        opened.append(store)
        return store

    name = request.param
    if name == "memory":
        memory = MemoryStore(clock=clock)
        yield Backend(name, lambda **_: memory, {"kind": "memory"})
    elif name == "sqlite":
        path = tmp_path / "care.db"
        SQLiteStore(path, create_schema=True, clock=clock).close()

        def open_sqlite(**kw: object) -> Store:
            return track(SQLiteStore(path, clock=kw.pop("clock", clock), **kw))  # type: ignore[arg-type]

        yield Backend(name, open_sqlite, {"kind": "sqlite", "path": str(path)})
    else:
        dsn = require_postgres()
        from socialcare.storage.postgres import PostgresStore  # noqa: PLC0415

        schema = f"sc_t_{uuid.uuid4().hex[:16]}"
        PostgresStore(dsn, schema=schema, create_schema=True, clock=clock).close()

        def open_pg(**kw: object) -> Store:
            kw.setdefault("max_size", 12)
            return track(PostgresStore(dsn, schema=schema, clock=kw.pop("clock", clock), **kw))  # type: ignore[arg-type]

        try:
            yield Backend(name, open_pg, {"kind": "postgres", "dsn": dsn, "schema": schema})
        finally:
            for store in opened:
                store.close()
            drop_pg_schema(dsn, schema)
        return
    for store in opened:
        store.close()


@pytest.fixture
def store(backend: Backend) -> Store:
    return backend.open()
