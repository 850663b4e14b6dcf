"""``PostgresStore``: many workers on many machines sharing one PostgreSQL database.

This module is the only place socialcare imports psycopg 3 and psycopg_pool;
install them with ``pip install 'socialcare[postgres]'``. Importing it without
them raises :class:`~socialcare.errors.ConfigurationError` saying so.
"""

from __future__ import annotations

import datetime as dt
import functools
import math
import operator
from collections.abc import Callable, Iterable, Sequence
from typing import Any, TypeVar

from socialcare._clock import Clock
from socialcare.errors import ConfigurationError, StorageError
from socialcare.models import Post
from socialcare.storage._codec import utc_iso
from socialcare.storage._common import SCHEMA_NAME, scrub, stored_post_json
from socialcare.storage._pipeline import prefetch
from socialcare.storage._schema import render
from socialcare.storage._sql import Row, SQLStore, Tx

try:
    import psycopg
    from psycopg import sql as pgsql
    from psycopg.conninfo import conninfo_to_dict
    from psycopg_pool import ConnectionPool, PoolTimeout
except ImportError as exc:  # pragma: no cover - exercised with the driver hidden
    msg = (
        "PostgresStore needs the psycopg 3 driver and psycopg_pool: "
        "pip install 'socialcare[postgres]'"
    )
    raise ConfigurationError(msg) from exc

__all__ = ["PostgresStore"]

T = TypeVar("T")

_TYPES = {
    "ts": "TIMESTAMPTZ",
    "json": "JSON",
    "serial": "BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY",
    "bigint": "BIGINT",
    "widen_priority": "ALTER TABLE sc_conversations ALTER COLUMN priority TYPE BIGINT",
}
_SCHEMA_LOCK = 0x50C1A1CA0001  # advisory lock keys: schema changes, audit appends
_AUDIT_LOCK = 0x50C1A1CA0002
_UTC = dt.timezone.utc

# Posts not stored yet go in with COPY (text format, written by _copy_text); stored ones
# are updated with one INSERT .. ON CONFLICT per chunk, the columns sent as array
# literals and the documents as one JSON array, in pipeline mode so the server writes
# one chunk while Python encodes the next. Rows go in id order, so concurrent batches
# lock rows in the same order.
_POSTS_UPSERT = """INSERT INTO sc_posts (id, conversation_id, author_id, created_at, data)
    SELECT u.i, u.c, u.a, u.t, j.d
    FROM unnest(%s::text[], %s::text[], %s::text[], %s::timestamptz[])
        WITH ORDINALITY AS u(i, c, a, t, n)
    JOIN json_array_elements(%s::json) WITH ORDINALITY AS j(d, n) ON j.n = u.n
    ORDER BY u.n
    ON CONFLICT (id) DO UPDATE SET conversation_id = excluded.conversation_id,
        author_id = excluded.author_id, created_at = excluded.created_at, data = excluded.data"""
_CHUNK = 10_000
"""Posts per ``INSERT .. ON CONFLICT`` statement."""
_COPY_CHUNK = 1_000
"""Posts per block of ``COPY`` data (the unit the helper thread encodes ahead)."""
_ID = operator.attrgetter("id")
# Whether any stored id lies between a batch's smallest and largest id (one index
# probe): if none does, none of the batch is stored. New posts usually pass, as X's ids
# grow with time; otherwise the ids that are stored already come back as one
# comma-separated text value (ids are decimal: no quoting, no row per id on the wire).
_STORED_IN_RANGE = "SELECT EXISTS (SELECT 1 FROM sc_posts WHERE id >= %s AND id <= %s)"
_EXISTING_POSTS = "SELECT string_agg(id, ',') FROM sc_posts WHERE id = ANY(%s::text[])"
_COPY_POSTS = "COPY sc_posts (id, conversation_id, author_id, created_at, data) FROM STDIN"
_NULL = "\\N"  # NULL in COPY's text format


def _id_array(ids: Iterable[str | None]) -> str:
    """A PostgreSQL array literal of decimal ids (or NULLs): no element needs quoting."""
    return "{" + ",".join(["NULL" if i is None else i for i in ids]) + "}"


def _copy_line(post: Post) -> str:
    r"""One row of ``COPY`` text: tab-separated fields, ``\N`` for NULL, backslashes doubled.

    The ids are decimal (``check_post``) and the ISO time has no special characters;
    the JSON document never contains a raw tab, newline or carriage return (JSON
    escapes control characters), so doubling its backslashes is all the escaping needed.
    """
    data = stored_post_json(post)
    if "\\" in data:
        data = data.replace("\\", "\\\\")
    conversation, author, created = post.conversation_id, post.author_id, post.created_at
    return (
        f"{post.id}\t{_NULL if conversation is None else conversation}"
        f"\t{_NULL if author is None else author}"
        f"\t{_NULL if created is None else utc_iso(created)}\t{data}\n"
    )


def _copy_text(chunk: Sequence[Post]) -> str:
    """A block of ``COPY`` text for ``chunk``."""
    return "".join([_copy_line(p) for p in chunk])


def _upsert_params(chunk: Sequence[Post]) -> tuple[str, str, str, str, str]:
    """The parameters of ``_POSTS_UPSERT`` for ``chunk``."""
    times = ["NULL" if p.created_at is None else utc_iso(p.created_at) for p in chunk]
    return (
        _id_array([p.id for p in chunk]),
        _id_array([p.conversation_id for p in chunk]),
        _id_array([p.author_id for p in chunk]),
        "{" + ",".join(times) + "}",
        "[" + ",".join([stored_post_json(p) for p in chunk]) + "]",
    )


def _chunks(posts: list[Post], size: int) -> list[list[Post]]:
    return [posts[i : i + size] for i in range(0, len(posts), size)]


@functools.lru_cache(maxsize=256)
def _pg(statement: str) -> str:
    """The shared ``?`` placeholders as psycopg's ``%s``."""
    return statement.replace("%", "%%").replace("?", "%s")


class _PgTx:
    __slots__ = ("cur",)

    def __init__(self, cur: psycopg.Cursor[Row]) -> None:
        self.cur = cur

    def run(self, sql: str, params: Sequence[object] = ()) -> int:
        self.cur.execute(_pg(sql), params)
        return self.cur.rowcount

    def one(self, sql: str, params: Sequence[object] = ()) -> Row | None:
        return self.cur.execute(_pg(sql), params).fetchone()

    def all(self, sql: str, params: Sequence[object] = ()) -> list[Row]:
        return self.cur.execute(_pg(sql), params).fetchall()

    def many(self, sql: str, rows: Iterable[Sequence[object]]) -> None:
        self.cur.executemany(_pg(sql), rows)


def _describe(dsn: str) -> str:
    """Where a DSN points, without its password."""
    try:
        info = conninfo_to_dict(dsn)
    except psycopg.Error:
        return "PostgreSQL (unparsable DSN)"
    host = info.get("host") or "localhost"
    port = info.get("port") or "5432"
    return f"PostgreSQL database {info.get('dbname') or '?'} at {host}:{port}"


class PostgresStore(SQLStore):
    """A :class:`~socialcare.storage.Store` in PostgreSQL, for many workers and machines.

    Connections come from a ``psycopg_pool`` pool; each is checked before use,
    so after a server restart or a killed connection the pool reconnects and the
    next call works (the call that was running when the connection died raises
    :class:`~socialcare.errors.StorageError`; its transaction was rolled back).
    Leases and the outbox use single atomic statements (``INSERT .. ON CONFLICT``,
    ``UPDATE .. WHERE .. RETURNING``, ``FOR UPDATE SKIP LOCKED``). All text
    columns use the ``"C"`` collation, so orderings match the other backends.

    Args:
        dsn: a libpq connection string or URL, e.g. ``postgresql://care@db/care``.
        schema: keep the tables in this PostgreSQL schema (created by
            :meth:`create_schema`) instead of the connection's default
            ``search_path``; lowercase letters, digits and ``_``.
        create_schema: create the schema or migrate it forward on open.
        clock: where time comes from (lease expiry, record times); workers
            sharing a database need synchronised clocks.
        min_size: connections the pool keeps open.
        max_size: most connections the pool opens.
        connect_timeout: seconds to wait for a connection before failing.
        application_name: shown in ``pg_stat_activity``.

    Raises:
        StorageError: the server cannot be reached or refuses the credentials.
        SchemaVersionError: the schema is missing, older or newer than this code.
    """

    _skip_locked = " FOR UPDATE SKIP LOCKED"
    _for_update = " FOR UPDATE"

    def __init__(
        self,
        dsn: str,
        *,
        schema: str | None = None,
        create_schema: bool = False,
        clock: Clock | None = None,
        min_size: int = 1,
        max_size: int = 10,
        connect_timeout: float = 10.0,
        application_name: str = "socialcare",
    ) -> None:
        super().__init__(clock=clock)
        if schema is not None and not SCHEMA_NAME.fullmatch(schema):
            msg = f"schema must be lowercase letters, digits and _ (max 63), got {schema!r}"
            raise ValueError(msg)
        if not 0 < min_size <= max_size:
            msg = f"need 0 < min_size <= max_size, got {min_size} and {max_size}"
            raise ValueError(msg)
        self._schema = schema
        self._where = _describe(dsn) + (f" (schema {schema})" if schema else "")
        options = "-c TimeZone=UTC" + (f" -c search_path={schema}" if schema else "")
        kwargs: dict[str, Any] = {
            "autocommit": False,
            "options": options,
            "application_name": application_name,
            "connect_timeout": max(1, math.ceil(connect_timeout)),
        }
        failure: psycopg.Error | None = None
        try:
            # One direct connection first: its error says exactly what is wrong
            # (refused, unknown host, bad password), where a pool would only time out.
            psycopg.connect(dsn, **kwargs).close()
        except psycopg.Error as exc:
            failure = exc
        if failure is not None:  # raised here, outside the handler: no implicit context
            reason = scrub(str(failure), dsn)
            error = StorageError(f"cannot connect to {self._where}: {reason}")
            # A driver message that quoted the password is not chained either.
            raise error from (failure if reason == str(failure) else None)
        self._pool: ConnectionPool[psycopg.Connection[Row]] = ConnectionPool(
            dsn,
            min_size=min_size,
            max_size=max_size,
            kwargs=kwargs,
            open=False,
            check=ConnectionPool.check_connection,
            timeout=connect_timeout,
            name=application_name,
        )
        try:
            self._pool.open(wait=True, timeout=connect_timeout)
            if create_schema:
                self.create_schema()
            self._check_schema()
        except PoolTimeout as exc:
            self._pool.close()
            raise StorageError(f"cannot connect to {self._where}: {exc}") from exc
        except BaseException:
            self._pool.close()
            raise

    def __repr__(self) -> str:
        return f"PostgresStore({self._where!r})"

    @property
    def schema(self) -> str | None:
        """The PostgreSQL schema holding the tables (``None``: the default search path)."""
        return self._schema

    def close(self) -> None:
        """Close the pool and its connections. Idempotent."""
        self._pool.close()

    # -- transactions: the one place psycopg errors become StorageError -----------------

    def _run(self, work: Callable[[Tx], T]) -> T:
        if self._pool.closed:
            raise StorageError(f"the store for {self._where} is closed")
        try:
            with self._pool.connection() as conn, conn.cursor() as cur:
                return work(_PgTx(cur))
        except psycopg.Error as exc:
            raise self._error(exc) from exc

    def _write(self, work: Callable[[Tx], T]) -> T:
        return self._run(work)

    def _read(self, work: Callable[[Tx], T]) -> T:
        return self._run(work)

    def _error(self, exc: psycopg.Error) -> StorageError:
        if isinstance(exc, PoolTimeout):
            why = "has no free connection (pool exhausted or server unreachable)"
        elif isinstance(exc, psycopg.errors.UndefinedTable):
            why = "has no socialcare table here (was create_schema() run for this schema?)"
        elif isinstance(exc, psycopg.errors.DiskFull):
            why = "is out of disk space; the failed write was rolled back"
        elif isinstance(exc, psycopg.OperationalError):
            why = (
                "lost the connection; the transaction was rolled back (if COMMIT was "
                "interrupted its outcome is unknown) and the pool reconnects on the next call"
            )
        else:
            why = "failed"
        return StorageError(f"{self._where} {why}: {exc}")

    # -- dialect -------------------------------------------------------------------------

    def _ts(self, value: dt.datetime | None) -> object:
        return value

    def _dt(self, value: object) -> dt.datetime | None:
        if value is None:
            return None
        if not isinstance(value, dt.datetime):  # pragma: no cover - the column is timestamptz
            raise StorageError(f"{self._where} returned {value!r} for a timestamp")
        return value.astimezone(_UTC)

    def _json_out(self, value: object) -> Any:
        return value

    def _has_version_table(self, tx: Tx) -> bool:
        row = tx.one("SELECT to_regclass('sc_schema')")
        return row is not None and row[0] is not None

    def _ddl(self, statement: str) -> str:
        return render(statement, _TYPES).replace(" TEXT", ' TEXT COLLATE "C"')

    def _serialize_schema_changes(self, tx: Tx) -> None:
        tx.one("SELECT pg_advisory_xact_lock(?)", (_SCHEMA_LOCK,))
        if self._schema is not None and isinstance(tx, _PgTx):
            tx.cur.execute(
                pgsql.SQL("CREATE SCHEMA IF NOT EXISTS {}").format(pgsql.Identifier(self._schema))
            )

    def _serialize_audit(self, tx: Tx) -> None:
        tx.one("SELECT pg_advisory_xact_lock(?)", (_AUDIT_LOCK,))

    def upsert_posts(self, posts: Iterable[Post]) -> int:
        """See :meth:`Store.upsert_posts` (atomic: one transaction for the whole batch).

        Posts not stored yet go in with ``COPY`` (the driver's fastest path), encoded
        by a helper thread a few blocks ahead while the server ingests the current
        one; posts already stored are updated with ``INSERT .. ON CONFLICT``. If a
        concurrent writer stores one of the "new" posts first, the ``COPY`` is undone
        (a savepoint) and the whole batch takes the ``ON CONFLICT`` path. Rows are
        written in one order (by id), so concurrent batches lock rows in the same order.
        """
        return super().upsert_posts(posts)

    def _write_posts(self, batch: list[Post]) -> None:
        batch.sort(key=_ID)
        self._write(lambda tx: self._store_posts(tx, batch))

    def _store_posts(self, tx: Tx, batch: list[Post]) -> None:
        assert isinstance(tx, _PgTx)  # noqa: S101 - _write always passes one
        cur = tx.cur
        # The helper starts encoding the whole batch for COPY while the server looks
        # for stored ids: with nothing stored (bulk ingest) every block is used as is.
        with prefetch(_chunks(batch, _COPY_CHUNK), _copy_text) as blocks:
            stored = self._stored_ids(cur, batch)
            if not stored:
                if self._copy(cur, blocks):
                    return
                stored = {p.id for p in batch}  # another writer stored some of them meanwhile
        known = [p for p in batch if p.id in stored]
        fresh = [p for p in batch if p.id not in stored]
        if fresh:
            with prefetch(_chunks(fresh, _COPY_CHUNK), _copy_text) as blocks:
                if not self._copy(cur, blocks):
                    known = batch  # another writer stored some of them meanwhile
        with cur.connection.pipeline():
            for chunk in _chunks(known, _CHUNK):
                cur.execute(_POSTS_UPSERT, _upsert_params(chunk))

    def _stored_ids(self, cur: psycopg.Cursor[Row], batch: list[Post]) -> set[str]:
        """The ids of ``batch`` (sorted by id) that are stored already."""
        row = cur.execute(_STORED_IN_RANGE, (batch[0].id, batch[-1].id)).fetchone()
        if row is not None and not row[0]:
            return set()
        row = cur.execute(_EXISTING_POSTS, (_id_array([p.id for p in batch]),)).fetchone()
        return set(row[0].split(",")) if row is not None and row[0] else set()

    def _copy(self, cur: psycopg.Cursor[Row], blocks: Iterable[str]) -> bool:
        """``COPY`` the blocks in a savepoint; ``False`` if one of the posts was stored."""
        try:
            with cur.connection.transaction(), cur.copy(_COPY_POSTS) as copy:
                for block in blocks:
                    copy.write(block)
        except psycopg.errors.UniqueViolation:
            return False
        return True
