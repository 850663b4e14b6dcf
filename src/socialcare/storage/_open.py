"""``open_store``: one URL picks the backend, for configuration files and environment variables."""

from __future__ import annotations

from urllib.parse import (
    parse_qsl,
    quote,
    unquote,
    unquote_to_bytes,
    urlencode,
    urlsplit,
    urlunsplit,
)

from socialcare._clock import Clock
from socialcare._text_repr import clip
from socialcare.errors import ConfigurationError
from socialcare.storage._common import SCHEMA_NAME, redact_dsn
from socialcare.storage._memory import MemoryStore
from socialcare.storage._protocol import Store
from socialcare.storage._sqlite import SQLiteStore

__all__ = ["open_store"]


def open_store(
    url: str,
    *,
    create_schema: bool = False,
    clock: Clock | None = None,
    schema: str | None = None,
) -> Store:
    """Open the store a URL names.

    * ``memory:`` - a :class:`MemoryStore`;
    * ``sqlite:///relative/path.db``, ``sqlite:////absolute/path.db`` or
      ``sqlite:///:memory:`` - a :class:`SQLiteStore`;
    * ``postgresql://user@host:5432/db`` (or ``postgres://``, or SQLAlchemy's
      ``postgresql+psycopg://``) - a :class:`~socialcare.storage.postgres.PostgresStore`;
      ``?schema=care`` keeps the tables in that PostgreSQL schema (the ``schema``
      argument does the same). Other query parameters go to libpq as they are
      (``sslmode=require``, ``application_name=``...).

    Passwords in the URL never appear in messages, logs or reprs (they show ``***``).

    Args:
        url: which store, as above.
        create_schema: create or migrate the schema on open (SQL stores).
        clock: where time comes from.
        schema: PostgreSQL only: the schema that holds the tables (lowercase letters,
            digits and ``_``), instead of the connection's ``search_path``.

    Raises:
        ConfigurationError: the URL's scheme is unknown, it is malformed (not valid
            Unicode, a NUL character, a host in a SQLite URL), the PostgreSQL driver
            is missing, a schema is given for a store that is not PostgreSQL, or the
            URL and ``schema`` name two different schemas.
        StorageError: the database cannot be opened.
        SchemaVersionError: the schema is missing, older or newer than this code.
    """
    scheme = url.split(":", 1)[0].lower() if ":" in url else ""
    shown = clip(redact_dsn(url))
    if schema is not None and scheme not in _POSTGRES_SCHEMES:
        msg = f"schema= is for PostgreSQL stores; store URL {shown} is not one"
        raise ConfigurationError(msg)
    if scheme == "memory":
        return MemoryStore(clock=clock)
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
    if scheme in _POSTGRES_SCHEMES:
        from socialcare.storage.postgres import PostgresStore  # noqa: PLC0415 - optional driver

        dsn, schema = _schema_of("postgresql" + url[len(scheme) :], schema, shown)
        return PostgresStore(dsn, schema=schema, create_schema=create_schema, clock=clock)
    msg = f"unknown store URL {shown}: use memory:, sqlite:///path.db or postgresql://user@host/db"
    raise ConfigurationError(msg)


_POSTGRES_SCHEMES = ("postgresql", "postgres", "postgresql+psycopg")


def _schema_of(dsn: str, schema: str | None, shown: str) -> tuple[str, str | None]:
    """``dsn`` without its ``schema`` query parameter, and the schema to use."""
    parts = urlsplit(dsn)
    query = parse_qsl(parts.query, keep_blank_values=True)
    named = [value for key, value in query if key == "schema"]
    if not named:
        return dsn, schema
    if len(named) > 1 or (schema is not None and named[0] != schema):
        msg = f"store URL {shown} and schema= name different schemas; give one"
        raise ConfigurationError(msg)
    if not SCHEMA_NAME.fullmatch(named[0]):
        msg = (
            f"store URL {shown}: schema must be lowercase letters, digits and _ "
            f"(max 63), got {clip(named[0])!r}"
        )
        raise ConfigurationError(msg)
    rest = urlencode([(key, value) for key, value in query if key != "schema"], quote_via=quote)
    return urlunsplit(parts._replace(query=rest)), named[0]
