"""``open_store``: one URL picks the backend, for configuration files and environment variables."""

from __future__ import annotations

from urllib.parse import unquote, unquote_to_bytes, urlsplit

from socialcare._clock import Clock
from socialcare._text_repr import clip
from socialcare.errors import ConfigurationError
from socialcare.storage._common import redact_dsn
from socialcare.storage._memory import MemoryStore
from socialcare.storage._protocol import Store
from socialcare.storage._sqlite import SQLiteStore

__all__ = ["open_store"]


def open_store(url: str, *, create_schema: bool = False, clock: Clock | None = None) -> Store:
    """Open the store a URL names.

    * ``memory:`` - a :class:`MemoryStore`;
    * ``sqlite:///relative/path.db``, ``sqlite:////absolute/path.db`` or
      ``sqlite:///:memory:`` - a :class:`SQLiteStore`;
    * ``postgresql://user@host:5432/db`` (or ``postgres://``, or SQLAlchemy's
      ``postgresql+psycopg://``) - a :class:`~socialcare.storage.postgres.PostgresStore`.

    Passwords in the URL never appear in messages, logs or reprs (they show ``***``).

    Args:
        url: which store, as above.
        create_schema: create or migrate the schema on open (SQL stores).
        clock: where time comes from.

    Raises:
        ConfigurationError: the URL's scheme is unknown, it is malformed (not valid
            Unicode, a NUL character, a host in a SQLite URL), or the PostgreSQL
            driver is missing.
        StorageError: the database cannot be opened.
        SchemaVersionError: the schema is missing, older or newer than this code.
    """
    scheme = url.split(":", 1)[0].lower() if ":" in url else ""
    if scheme == "memory":
        return MemoryStore(clock=clock)
    shown = clip(redact_dsn(url))
    try:
        decoded = unquote_to_bytes(url).decode("utf-8")
    except UnicodeError:  # a lone surrogate, or %-escapes of bytes that are not UTF-8
        msg = f"store URL {shown} is not valid Unicode"
        raise ConfigurationError(msg) from None
    if "\x00" in decoded:
        msg = f"store URL {shown} contains a NUL character"
        raise ConfigurationError(msg)
    if scheme == "sqlite":
        parts = urlsplit(url)
        path = unquote(parts.path.removeprefix("/"))
        if parts.netloc:
            msg = (
                f"sqlite URL {shown} names a host or user; a SQLite file is local: "
                "use sqlite:///care.db or sqlite:////absolute/care.db"
            )
            raise ConfigurationError(msg)
        if not path:
            msg = f"sqlite URL {shown} names no file; use sqlite:///care.db or sqlite:///:memory:"
            raise ConfigurationError(msg)
        return SQLiteStore(path, create_schema=create_schema, clock=clock)
    if scheme in ("postgresql", "postgres", "postgresql+psycopg"):
        from socialcare.storage.postgres import PostgresStore  # noqa: PLC0415 - optional driver

        dsn = "postgresql" + url[len(scheme) :]
        return PostgresStore(dsn, create_schema=create_schema, clock=clock)
    msg = f"unknown store URL {shown}: use memory:, sqlite:///path.db or postgresql://user@host/db"
    raise ConfigurationError(msg)
