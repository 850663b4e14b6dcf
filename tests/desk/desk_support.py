"""Opening the test's store again, in this process or another."""

from __future__ import annotations

from socialcare import ManualClock
from socialcare.storage import MemoryStore, SQLiteStore, Store


def open_store(where: dict[str, str], clock: ManualClock | None = None) -> Store:
    if where["kind"] == "sqlite":
        return SQLiteStore(where["path"], clock=clock)
    if where["kind"] == "postgres":
        from socialcare.storage.postgres import PostgresStore  # noqa: PLC0415

        return PostgresStore(where["dsn"], schema=where["schema"], clock=clock)
    return MemoryStore(clock=clock)
