"""``SQLiteStore``: the embedded default, one file shared safely by threads and processes."""

from __future__ import annotations

import contextlib
import datetime as dt
import functools
import json
import os
import sqlite3
import threading
from collections.abc import Callable, Iterable, Iterator, Sequence
from pathlib import Path
from typing import Any, Literal, TypeVar
from urllib.parse import quote

from socialcare._clock import Clock
from socialcare.errors import ConfigurationError, StorageError
from socialcare.models import Post
from socialcare.storage._codec import from_micros, to_micros
from socialcare.storage._common import stored_post_json
from socialcare.storage._pipeline import prefetch
from socialcare.storage._schema import render
from socialcare.storage._sql import Row, SQLStore, Tx

__all__ = ["SQLiteStore"]

T = TypeVar("T")

_TYPES = {
    "ts": "INTEGER",  # microseconds since the Unix epoch, UTC
    "json": "TEXT",
    "serial": "INTEGER PRIMARY KEY AUTOINCREMENT",
    "bigint": "INTEGER",
    "widen_priority": "",  # INTEGER holds 64 bits already
}

_MIN_SQLITE = (3, 35, 0)

Synchronous = Literal["OFF", "NORMAL", "FULL", "EXTRA"]

_POST_INSERT = "INSERT INTO sc_posts (id, conversation_id, author_id, created_at, data) VALUES "
_POST_ROW = "(?, ?, ?, ?, ?)"
_POST_CONFLICT = """
    ON CONFLICT (id) DO UPDATE SET conversation_id = excluded.conversation_id,
        author_id = excluded.author_id, created_at = excluded.created_at, data = excluded.data"""
_POST_UPSERT = _POST_INSERT + _POST_ROW + _POST_CONFLICT
_POST_COLUMNS = 5
_POST_ROWS = 1000
"""Posts per multi-row ``INSERT`` (fewer if SQLite allows fewer parameters per statement)."""


def _takes_parameters(conn: sqlite3.Connection, count: int) -> bool:
    """Whether ``conn`` accepts a statement with ``count`` parameters."""
    marks = ", ".join(["?"] * (count - 1))
    try:
        conn.execute(f"SELECT 1 WHERE ? IN ({marks})", [None] * count).fetchall()
    except sqlite3.OperationalError:  # too many SQL variables
        return False
    return True


def _rows_that_fit(conn: sqlite3.Connection) -> int:
    """The most posts per ``INSERT`` (of 1,000, 199 or 50) ``conn``'s parameter limit allows.

    Tried rather than read: ``Connection.getlimit`` is Python 3.11+ only. 199 rows fit
    SQLite's limit before 3.32 (999 parameters); a single row always fits.
    """
    for rows in (_POST_ROWS, 199, 50):
        if _takes_parameters(conn, _POST_COLUMNS * rows):
            return rows
    return 1


@functools.cache
def _posts_per_insert() -> int:
    """How many posts one ``INSERT`` statement takes with this SQLite library."""
    probe = sqlite3.connect(":memory:")
    try:
        return _rows_that_fit(probe)
    finally:
        probe.close()


def _post_params(chunk: Sequence[Post]) -> list[object]:
    """The parameters of a multi-row post upsert, row after row, in one flat list."""
    params: list[object] = [None] * (_POST_COLUMNS * len(chunk))
    # Column by column: five C-level slice assignments instead of a tuple per post.
    params[0::_POST_COLUMNS] = [p.id for p in chunk]
    params[1::_POST_COLUMNS] = [p.conversation_id for p in chunk]
    params[2::_POST_COLUMNS] = [p.author_id for p in chunk]
    params[3::_POST_COLUMNS] = [
        None if p.created_at is None else to_micros(p.created_at) for p in chunk
    ]
    params[4::_POST_COLUMNS] = [stored_post_json(p) for p in chunk]
    return params


@functools.lru_cache(maxsize=4)
def _post_upsert(rows: int) -> str:
    """The upsert of ``rows`` posts in one statement."""
    return _POST_INSERT + ", ".join([_POST_ROW] * rows) + _POST_CONFLICT


class _SQLiteTx:
    __slots__ = ("_conn",)

    def __init__(self, conn: sqlite3.Connection) -> None:
        self._conn = conn

    def run(self, sql: str, params: Sequence[object] = ()) -> int:
        return self._conn.execute(sql, params).rowcount

    def one(self, sql: str, params: Sequence[object] = ()) -> Row | None:
        row: Row | None = self._conn.execute(sql, params).fetchone()
        return row

    def all(self, sql: str, params: Sequence[object] = ()) -> list[Row]:
        return self._conn.execute(sql, params).fetchall()

    def many(self, sql: str, rows: Iterable[Sequence[object]]) -> None:
        self._conn.executemany(sql, rows)


class SQLiteStore(SQLStore):
    """A :class:`~socialcare.storage.Store` in a SQLite file: the embedded default.

    The file is opened in WAL mode, so readers never block the writer and several
    threads and processes can share it. Every write is one short ``BEGIN
    IMMEDIATE`` transaction (writers queue for up to ``busy_timeout`` seconds
    instead of failing), and every decision between competitors is a single
    conditional statement, so leases and outbox reservations stay exclusive
    across processes. Each thread uses its own connection; a forked child opens
    fresh ones.

    ``":memory:"`` gives a private in-memory database (one connection shared by
    the store's threads under a lock); it still needs ``create_schema=True``.

    Opening checks the schema version and raises
    :class:`~socialcare.errors.SchemaVersionError` when the file has no schema, an
    older one, or a newer one; ``create_schema=True`` creates or migrates it first.

    Args:
        path: the database file, or ``":memory:"``.
        create_schema: create the schema or migrate it forward on open
            (:meth:`create_schema`); otherwise it must already be current.
        clock: where time comes from (lease expiry, record times).
        busy_timeout: seconds a write waits for another writer before failing.
        synchronous: SQLite's durability level: ``"FULL"`` (default) survives power
            loss; ``"NORMAL"`` skips the fsync per commit (the WAL is synced at
            checkpoints): every commit still survives a crash of the application,
            and the file is never corrupted, but a power loss or OS crash may roll
            back the last commits. It is set per connection, so a process that opens
            the file with ``"NORMAL"`` (a redirect server counting clicks) does not
            weaken other processes' ``"FULL"`` commits.
        read_only: open the file read-only; writes raise ``StorageError``.

    Raises:
        ConfigurationError: Python's SQLite library is older than 3.35.
        StorageError: the file cannot be opened, is not a SQLite database, or is corrupt.
        SchemaVersionError: the schema is missing, older or newer (see above).
    """

    def __init__(
        self,
        path: str | os.PathLike[str],
        *,
        create_schema: bool = False,
        clock: Clock | None = None,
        busy_timeout: float = 30.0,
        synchronous: Synchronous = "FULL",
        read_only: bool = False,
    ) -> None:
        super().__init__(clock=clock)
        if sqlite3.sqlite_version_info < _MIN_SQLITE:
            msg = (
                f"SQLiteStore needs SQLite >= 3.35 (for RETURNING); this Python links "
                f"SQLite {sqlite3.sqlite_version}: use a newer Python build or PostgresStore"
            )
            raise ConfigurationError(msg)
        if synchronous not in ("OFF", "NORMAL", "FULL", "EXTRA"):
            msg = f"synchronous must be OFF, NORMAL, FULL or EXTRA, got {synchronous!r}"
            raise ValueError(msg)
        if busy_timeout < 0:
            msg = f"busy_timeout must be >= 0 seconds, got {busy_timeout!r}"
            raise ValueError(msg)
        self._path = os.fspath(path)
        self._memory = self._path == ":memory:"
        self._where = (
            "in-memory SQLite database" if self._memory else f"SQLite database {self._path!r}"
        )
        self._busy_timeout = float(busy_timeout)
        self._synchronous = synchronous
        self._read_only = read_only
        self._closed = False
        self._registry_lock = threading.Lock()
        # Every connection opened, with the thread that uses it (None: the shared one).
        self._connections: list[tuple[threading.Thread | None, sqlite3.Connection]] = []
        self._local = threading.local()
        self._shared: sqlite3.Connection | None = None
        self._shared_lock = threading.RLock()
        try:
            if self._memory:
                self._shared = self._open()
            if create_schema:
                self.create_schema()
            self._check_schema()
        except BaseException:
            self.close()
            raise

    def __repr__(self) -> str:
        return f"SQLiteStore({self._path!r})"

    @property
    def path(self) -> str:
        """The database file (or ``":memory:"``)."""
        return self._path

    # -- connections -------------------------------------------------------------------

    def _open(self) -> sqlite3.Connection:
        if self._read_only and not self._memory:
            target = "file:" + quote(str(Path(self._path).resolve())) + "?mode=ro"
            uri = True
        else:
            target, uri = self._path, False
        try:
            conn = sqlite3.connect(
                target,
                timeout=self._busy_timeout,
                isolation_level=None,
                check_same_thread=False,
                uri=uri,
            )
        except sqlite3.Error as exc:
            raise self._error(exc) from exc
        try:
            if not self._read_only and not self._memory:
                conn.execute("PRAGMA journal_mode = WAL")
            else:
                conn.execute("SELECT count(*) FROM sqlite_master").fetchone()
            conn.execute(f"PRAGMA synchronous = {self._synchronous}")
            conn.execute("PRAGMA cache_size = -32000")
        except sqlite3.Error as exc:
            conn.close()
            raise self._error(exc) from exc
        owner = None if self._memory else threading.current_thread()
        with self._registry_lock:
            # Threads that ended leave their connection behind: close those now.
            gone = [c for t, c in self._connections if t is not None and not t.is_alive()]
            self._connections = [(t, c) for t, c in self._connections if c not in gone]
            self._connections.append((owner, conn))
        for old in gone:
            with contextlib.suppress(sqlite3.Error):
                old.close()
        return conn

    @contextlib.contextmanager
    def _connection(self) -> Iterator[sqlite3.Connection]:
        if self._closed:
            raise StorageError(f"the store for {self._where} is closed")
        if self._shared is not None:
            with self._shared_lock:
                yield self._shared
            return
        local = self._local
        conn: sqlite3.Connection | None = getattr(local, "conn", None)
        if conn is None or local.pid != os.getpid():
            conn = self._open()
            local.conn, local.pid = conn, os.getpid()
        yield conn

    def close(self) -> None:
        """Close every connection the store opened. Idempotent."""
        self._closed = True
        with self._registry_lock:
            connections, self._connections = self._connections, []
        for _, conn in connections:
            with contextlib.suppress(sqlite3.Error):
                conn.close()

    # -- transactions: the one place sqlite3 errors become StorageError ---------------

    def _run(self, begin: str, work: Callable[[Tx], T]) -> T:
        with self._connection() as conn:
            try:
                conn.execute(begin)
                try:
                    result = work(_SQLiteTx(conn))
                    conn.execute("COMMIT")
                except BaseException:
                    if conn.in_transaction:
                        with contextlib.suppress(sqlite3.Error):
                            conn.execute("ROLLBACK")
                    raise
            except sqlite3.Error as exc:
                raise self._error(exc) from exc
            return result

    def _write(self, work: Callable[[Tx], T]) -> T:
        return self._run("BEGIN IMMEDIATE", work)

    def _read(self, work: Callable[[Tx], T]) -> T:
        return self._run("BEGIN", work)

    def _write_one(self, sql: str, params: Sequence[object]) -> Row | None:
        """One statement in autocommit mode: its own write transaction, in one step.

        A single writing statement outside ``BEGIN`` takes the write lock up front
        (waiting up to ``busy_timeout`` like ``BEGIN IMMEDIATE``) and commits when it
        has run to completion (``fetchall``), so it is exactly as atomic and durable
        as a one-statement :meth:`_write`, with two round trips fewer.
        """
        with self._connection() as conn:
            try:
                rows = conn.execute(sql, params).fetchall()
            except sqlite3.Error as exc:
                raise self._error(exc) from exc
        return rows[0] if rows else None

    def _error(self, exc: sqlite3.Error) -> StorageError:
        text = str(exc)
        lowered = text.lower()
        if "locked" in lowered or "busy" in lowered:
            why = (
                f"is locked by another writer for longer than busy_timeout "
                f"({self._busy_timeout:g} s)"
            )
        elif "readonly" in lowered or "read-only" in lowered:
            why = "is read-only (file permissions or read_only=True); nothing was written"
        elif "full" in lowered:
            why = (
                "is full (no disk space or max_page_count reached); the failed write was "
                "rolled back and everything committed before is intact"
            )
        elif "not a database" in lowered or "malformed" in lowered or "corrupt" in lowered:
            why = "is corrupt or not a SQLite database; restore it from a backup"
        elif "unable to open" in lowered:
            why = "cannot be opened (missing directory or no permission)"
        else:
            why = "failed"
        return StorageError(f"{self._where} {why}: {text}")

    # -- dialect -------------------------------------------------------------------------

    def _ts(self, value: dt.datetime | None) -> object:
        return None if value is None else to_micros(value)

    def _dt(self, value: object) -> dt.datetime | None:
        return None if value is None else from_micros(int(value))  # type: ignore[call-overload]

    def _json_out(self, value: object) -> Any:
        return json.loads(value)  # type: ignore[arg-type]

    def _has_version_table(self, tx: Tx) -> bool:
        return (
            tx.one("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'sc_schema'")
            is not None
        )

    def _ddl(self, statement: str) -> str:
        return render(statement, _TYPES)

    # -- bulk post upsert ----------------------------------------------------------------

    def _write_posts(self, batch: list[Post]) -> None:
        """Upsert ``batch`` in one ``BEGIN IMMEDIATE`` transaction, encoding ahead of writing.

        Full chunks go in as one multi-row ``INSERT .. ON CONFLICT`` each (one statement
        step per chunk instead of one per post); a helper thread encodes the next chunks
        while this thread's connection writes the current one (see ``_pipeline``). The
        last, partial chunk uses ``executemany`` so the statement cache holds a single
        multi-row statement.
        """
        per_insert = _posts_per_insert()
        chunks = [batch[i : i + per_insert] for i in range(0, len(batch), per_insert)]
        full = _POST_COLUMNS * per_insert

        def work(tx: Tx) -> None:
            for params in encoded:
                if len(params) == full:
                    tx.run(_post_upsert(per_insert), params)
                else:
                    rows = (params[i::_POST_COLUMNS] for i in range(_POST_COLUMNS))
                    tx.many(_POST_UPSERT, zip(*rows, strict=True))

        with prefetch(chunks, _post_params) as encoded:
            self._write(work)
