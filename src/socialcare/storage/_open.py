"""``open_store``: one URL picks the backend, for configuration files and environment variables."""

from __future__ import annotations

from urllib.parse import unquote, urlsplit

from socialcare._clock import Clock
from socialcare.errors import ConfigurationError
from socialcare.storage._memory import MemoryStore
from socialcare.storage._protocol import Store
from socialcare.storage._sqlite import SQLiteStore

__all__ = ["open_store"]


def open_store(url: str, *, create_schema: bool = False, clock: Clock | None = None) -> Store:
    """Open the store a URL names.

    * ``memory:`` - a :class:`MemoryStore`;
    * ``sqlite:///relative/path.db``, ``sqlite:////absolute/path.db`` or
      ``sqlite:///:memory:`` - a :class:`SQLiteStore`;
    * ``postgresql://user@host:5432/db`` (or ``postgres://``) - a
      :class:`~socialcare.storage.postgres.PostgresStore`.

    Args:
        url: which store, as above.
        create_schema: create or migrate the schema on open (SQL stores).
        clock: where time comes from.

    Raises:
        ConfigurationError: the URL's scheme is unknown, or the PostgreSQL driver is missing.
        StorageError: the database cannot be opened.
        SchemaVersionError: the schema is missing, older or newer than this code.
    """
    scheme = url.split(":", 1)[0].lower() if ":" in url else ""
    if scheme == "memory":
        return MemoryStore(clock=clock)
    if scheme == "sqlite":
        parts = urlsplit(url)
        path = unquote(parts.path.removeprefix("/"))
        if not path:
            msg = f"sqlite URL {url!r} names no file; use sqlite:///care.db or sqlite:///:memory:"
            raise ConfigurationError(msg)
        return SQLiteStore(path, create_schema=create_schema, clock=clock)
    if scheme in ("postgresql", "postgres"):
        from socialcare.storage.postgres import PostgresStore  # noqa: PLC0415 - optional driver

        return PostgresStore(url, create_schema=create_schema, clock=clock)
    msg = f"unknown store URL {url!r}: use memory:, sqlite:///path.db or postgresql://user@host/db"
    raise ConfigurationError(msg)
