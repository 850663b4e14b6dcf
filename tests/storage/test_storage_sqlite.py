"""SQLite specifics: explicit schema versions, damaged and read-only files, a full disk."""

from __future__ import annotations

import datetime as dt
import os
import shutil
import sqlite3
import tempfile
import threading
import warnings
from pathlib import Path

import pytest

import socialcare
from socialcare import ConfigurationError, Post, SchemaVersionError, StorageError
from socialcare.models import Conversation
from socialcare.storage import (
    SCHEMA_VERSION,
    MemoryStore,
    SQLiteStore,
    _sqlite,
    open_store,
)
from socialcare.storage._schema import MIGRATIONS, VERSION_TABLE, render
from socialcare.storage._sqlite import _TYPES

T0 = dt.datetime(2026, 1, 1, tzinfo=dt.timezone.utc)


def posts(start: int, count: int) -> list[Post]:
    return [Post(id=str(i), text=f"post {i} " + "x" * 200) for i in range(start, start + count)]


def make_v1(path: Path) -> None:
    """A database as the first released schema left it."""
    conn = sqlite3.connect(path, isolation_level=None)
    conn.execute(render(VERSION_TABLE, _TYPES))
    for statement in MIGRATIONS[0]:
        conn.execute(render(statement, _TYPES))
    conn.execute("INSERT INTO sc_schema (version, applied_at) VALUES (1, 0)")
    conn.execute('INSERT INTO sc_posts (id, data) VALUES (\'1\', \'{"id":"1","text":"v1"}\')')
    conn.close()


def test_a_new_file_needs_an_explicit_schema(tmp_path: Path) -> None:
    path = tmp_path / "new.db"
    with pytest.raises(SchemaVersionError, match="create_schema=True") as caught:
        SQLiteStore(path)
    assert (caught.value.found, caught.value.expected) == (None, SCHEMA_VERSION)
    with SQLiteStore(path, create_schema=True) as store:
        assert store.schema_version() == SCHEMA_VERSION
    with SQLiteStore(path) as store:  # now it opens without asking
        assert store.count_posts() == 0


def test_memory_database_also_needs_an_explicit_schema() -> None:
    with pytest.raises(SchemaVersionError):
        SQLiteStore(":memory:")
    with SQLiteStore(":memory:", create_schema=True) as store:
        store.upsert_posts(posts(1, 3))
        assert store.count_posts() == 3


def test_an_older_schema_is_migrated_forward_keeping_data(tmp_path: Path) -> None:
    path = tmp_path / "old.db"
    make_v1(path)
    with pytest.raises(SchemaVersionError, match="version 1, this code needs") as caught:
        SQLiteStore(path)
    assert caught.value.found == 1
    with SQLiteStore(path, create_schema=True) as store:
        assert store.schema_version() == SCHEMA_VERSION
        assert store.get_post("1") == Post(id="1", text="v1")
        store.put_conversation(Conversation(id="9", waiting_since=T0))
        assert [c.id for c in store.open_queue()] == ["9"]
    conn = sqlite3.connect(path)
    names = {row[0] for row in conn.execute("SELECT name FROM sqlite_master WHERE type='index'")}
    conn.close()
    assert "sc_conversations_open_queue" in names


def test_schema_7_gives_existing_leases_their_renewal_time(tmp_path: Path) -> None:
    path = tmp_path / "v6.db"
    conn = sqlite3.connect(path, isolation_level=None)
    conn.execute(render(VERSION_TABLE, _TYPES))
    for version, step in enumerate(MIGRATIONS[:6], start=1):
        for statement in step:
            rendered = render(statement, _TYPES)
            if rendered.strip():
                conn.execute(rendered)
        conn.execute("INSERT INTO sc_schema (version, applied_at) VALUES (?, 0)", (version,))
    micros = int(T0.timestamp() * 1_000_000)
    conn.execute(
        "INSERT INTO sc_leases (key, owner, acquired_at, expires_at, token) VALUES (?, ?, ?, ?, ?)",
        ("stream:brand", "w1", micros, micros + 3_600_000_000, 4),
    )
    conn.close()
    clock = socialcare.ManualClock(T0)
    for _ in range(2):  # create_schema is idempotent: the second open applies nothing
        with SQLiteStore(path, create_schema=True, clock=clock) as store:
            assert store.schema_version() == SCHEMA_VERSION
            lease = store.get_lease("stream:brand")
            assert lease is not None
            assert (lease.owner, lease.token, lease.renewed_at) == ("w1", 4, T0)
    conn = sqlite3.connect(path)
    versions = [row[0] for row in conn.execute("SELECT version FROM sc_schema ORDER BY version")]
    conn.close()
    assert versions == list(range(1, SCHEMA_VERSION + 1))


def test_a_newer_schema_asks_for_an_upgrade(tmp_path: Path) -> None:
    path = tmp_path / "future.db"
    SQLiteStore(path, create_schema=True).close()
    conn = sqlite3.connect(path, isolation_level=None)
    conn.execute("INSERT INTO sc_schema (version, applied_at) VALUES (?, 0)", (SCHEMA_VERSION + 1,))
    conn.close()
    for create in (False, True):
        with pytest.raises(SchemaVersionError, match="upgrade socialcare") as caught:
            SQLiteStore(path, create_schema=create)
        assert caught.value.found == SCHEMA_VERSION + 1


def test_a_missing_directory_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(StorageError, match="cannot be opened"):
        SQLiteStore(tmp_path / "no" / "such" / "care.db", create_schema=True)


def test_a_file_that_is_not_a_database(tmp_path: Path) -> None:
    path = tmp_path / "notes.db"
    path.write_bytes(b"these are my notes, not a database\n" * 200)
    with pytest.raises(StorageError, match="corrupt or not a SQLite database") as caught:
        SQLiteStore(path, create_schema=True)
    assert isinstance(caught.value.__cause__, sqlite3.DatabaseError)


def filled_database(tmp_path: Path) -> Path:
    """A database file with 2,000 posts, its WAL folded back into the main file."""
    path = tmp_path / "care.db"
    with SQLiteStore(path, create_schema=True) as store:
        store.upsert_posts(posts(1, 2000))
    conn = sqlite3.connect(path)
    conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    conn.close()
    return path


def test_a_truncated_database(tmp_path: Path) -> None:
    path = filled_database(tmp_path)
    with path.open("r+b") as f:
        f.truncate(path.stat().st_size // 3)
    # Opening or the first read fails, either way with a clear error.
    with pytest.raises(StorageError, match="corrupt"), SQLiteStore(path) as store:
        store.get_posts([str(i) for i in range(1, 2001)])


def test_a_garbled_database_page(tmp_path: Path) -> None:
    path = filled_database(tmp_path)
    with path.open("r+b") as f:
        f.seek(path.stat().st_size // 2)
        f.write(b"\xff" * 16384)  # four pages with an impossible page type
    with pytest.raises(StorageError, match="corrupt"), SQLiteStore(path) as store:
        store.get_posts([str(i) for i in range(1, 2001)])


def test_read_only_store_reads_but_refuses_writes(tmp_path: Path) -> None:
    path = tmp_path / "care.db"
    with SQLiteStore(path, create_schema=True) as store:
        store.upsert_posts(posts(1, 10))
    with SQLiteStore(path, read_only=True) as store:
        assert store.count_posts() == 10
        with pytest.raises(StorageError, match="read-only"):
            store.upsert_posts(posts(100, 5))
        with pytest.raises(StorageError, match="read-only"):
            store.claim_lease("k", "a", ttl=5)
        assert store.count_posts() == 10
    with SQLiteStore(path) as store:
        assert store.count_posts() == 10


def _write_as_unprivileged_user(path: Path) -> int:
    """Try to write to ``path`` in a forked child without root's powers; 0 means StorageError.

    Root ignores file modes, so under root (as in CI) the child first drops to the
    ``nobody`` user; otherwise the modes alone make the file read-only.
    """
    pid = os.fork()
    if pid == 0:  # the child: never return into pytest
        code = 3
        try:
            if os.geteuid() == 0:
                os.setgroups([])
                os.setgid(65534)
                os.setuid(65534)
            try:
                with SQLiteStore(path) as store:
                    store.upsert_posts(posts(100, 5))
                code = 1  # the write went through: the test fails
            except StorageError:
                code = 0
            except BaseException:
                code = 2
        finally:
            os._exit(code)
    _, status = os.waitpid(pid, 0)
    return os.waitstatus_to_exitcode(status)


@pytest.mark.skipif(os.name != "posix", reason="file modes and fork are POSIX")
def test_read_only_file_permissions() -> None:
    folder = Path(tempfile.mkdtemp(prefix="socialcare-ro-"))
    path = folder / "care.db"
    try:
        with SQLiteStore(path, create_schema=True) as store:
            store.upsert_posts(posts(1, 10))
        path.chmod(0o444)
        folder.chmod(0o555)  # readable and searchable, not writable: no journal can be made
        assert _write_as_unprivileged_user(path) == 0
        folder.chmod(0o755)
        path.chmod(0o644)
        with SQLiteStore(path) as store:
            assert store.count_posts() == 10  # nothing committed was lost
    finally:
        folder.chmod(0o755)
        shutil.rmtree(folder, ignore_errors=True)


def test_disk_full_rolls_back_the_batch_and_keeps_earlier_data(tmp_path: Path) -> None:
    path = tmp_path / "care.db"
    with SQLiteStore(path, create_schema=True) as store:
        store.upsert_posts(posts(1, 100))
        store.claim_lease("conversation:1", "agent", ttl=60)
        with store._connection() as conn:
            pages = conn.execute("PRAGMA page_count").fetchone()[0]
            conn.execute(f"PRAGMA max_page_count = {pages + 20}")
        with pytest.raises(StorageError, match="is full") as caught:
            store.upsert_posts(posts(1000, 5000))
        assert "intact" in str(caught.value)
        assert store.count_posts() == 100  # nothing of the failed batch, nothing lost
        assert store.get_post("1") == posts(1, 1)[0]
        assert store.get_post("1000") is None
        lease = store.get_lease("conversation:1")
        assert lease is not None
        assert lease.owner == "agent"
    with SQLiteStore(path) as store:  # and it survives a reopen
        assert store.count_posts() == 100


def test_busy_database_times_out_with_a_clear_error(tmp_path: Path) -> None:
    path = tmp_path / "care.db"
    SQLiteStore(path, create_schema=True).close()
    blocker = sqlite3.connect(path, isolation_level=None)
    blocker.execute("BEGIN IMMEDIATE")
    try:
        with SQLiteStore(path, busy_timeout=0.05) as store:
            with pytest.raises(StorageError, match="locked by another writer"):
                store.claim_lease("k", "a", ttl=5)
            assert store.get_lease("k") is None  # readers are not blocked in WAL mode
    finally:
        blocker.execute("ROLLBACK")
        blocker.close()


def prefetch_threads() -> list[threading.Thread]:
    return [t for t in threading.enumerate() if t.name == "socialcare-prefetch"]


@pytest.mark.skipif(
    not hasattr(sqlite3.Connection, "setlimit"), reason="Connection.setlimit needs Python 3.11"
)
@pytest.mark.parametrize(
    ("limit", "rows"), [(5000, 1000), (4999, 199), (999, 199), (250, 50), (9, 1)]
)
def test_posts_per_insert_stay_within_the_parameter_limit(limit: int, rows: int) -> None:
    conn = sqlite3.connect(":memory:")
    try:
        conn.setlimit(sqlite3.SQLITE_LIMIT_VARIABLE_NUMBER, limit)
        assert _sqlite._rows_that_fit(conn) == rows
    finally:
        conn.close()
    assert 1 <= _sqlite._posts_per_insert() <= 1000


def test_bulk_upsert_writes_many_chunks_in_one_transaction(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(_sqlite, "_posts_per_insert", lambda: 7)  # 7 posts per statement
    with SQLiteStore(tmp_path / "care.db", create_schema=True) as store:
        batch = posts(1, 100)  # 14 full chunks and a partial one
        assert store.upsert_posts(batch) == 100
        assert store.get_posts([p.id for p in batch]) == batch
        changed = [Post(id=p.id, text="changed") for p in batch[::3]]
        assert store.upsert_posts(changed + posts(101, 6)) == 40
        assert store.count_posts() == 106
        assert store.get_post("1") == changed[0]
        assert store.get_post("2") == batch[1]
    assert prefetch_threads() == []


def test_memory_database_takes_pipelined_batches_from_several_threads() -> None:
    # One connection shared under a lock: the helper threads only encode, never touch it.
    with SQLiteStore(":memory:", create_schema=True) as store:
        errors: list[BaseException] = []

        def write(start: int) -> None:
            try:
                store.upsert_posts(posts(start, 2500))
            except BaseException as exc:
                errors.append(exc)

        writers = [threading.Thread(target=write, args=(n * 10_000,)) for n in range(1, 4)]
        for t in writers:
            t.start()
        for t in writers:
            t.join()
        assert errors == []
        assert store.count_posts() == 7500
        assert store.get_post("32499") == posts(32499, 1)[0]
    assert prefetch_threads() == []


def test_an_encoder_error_mid_batch_rolls_back_the_whole_upsert(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(_sqlite, "_posts_per_insert", lambda: 7)
    with SQLiteStore(tmp_path / "care.db", create_schema=True) as store:
        earlier = posts(1, 100)
        store.upsert_posts(earlier)
        real = _sqlite.stored_post_json

        def failing(post: Post) -> str:
            if post.id == "1090":
                raise RuntimeError("encoder failed mid-batch")
            return real(post)

        monkeypatch.setattr(_sqlite, "stored_post_json", failing)
        changed = [Post(id=p.id, text="changed") for p in earlier] + posts(1000, 100)
        with pytest.raises(RuntimeError, match="mid-batch"):
            store.upsert_posts(changed)
        assert prefetch_threads() == []
        assert store.count_posts() == 100  # no chunk of it landed
        assert store.get_posts([p.id for p in earlier]) == earlier
        monkeypatch.setattr(_sqlite, "stored_post_json", real)
        assert store.upsert_posts(changed) == 200  # the connection is fine afterwards
        assert store.get_post("1") == changed[0]


def test_a_database_error_mid_batch_rolls_back_the_whole_upsert(tmp_path: Path) -> None:
    with SQLiteStore(tmp_path / "care.db", create_schema=True) as store:
        store.upsert_posts(posts(1, 100))
        with store._connection() as conn:
            conn.execute(
                "CREATE TRIGGER refuse BEFORE INSERT ON sc_posts WHEN NEW.id = '4321' "
                "BEGIN SELECT RAISE(ABORT, 'post 4321 refused'); END"
            )
        with pytest.raises(StorageError, match="post 4321 refused"):
            store.upsert_posts(posts(1000, 5000))  # several chunks; the fourth one fails
        assert prefetch_threads() == []
        assert store.count_posts() == 100
        assert store.get_post("1000") is None
        assert store.get_post("1") == posts(1, 1)[0]
        assert store.upsert_posts(posts(1000, 3000)) == 3000  # and the next batch works
        assert store.count_posts() == 3100


def test_a_bulk_upsert_waiting_for_a_busy_database_gives_up_cleanly(tmp_path: Path) -> None:
    path = tmp_path / "care.db"
    SQLiteStore(path, create_schema=True).close()
    blocker = sqlite3.connect(path, isolation_level=None)
    blocker.execute("BEGIN IMMEDIATE")
    try:
        with SQLiteStore(path, busy_timeout=0.05) as store:
            with pytest.raises(StorageError, match="locked by another writer"):
                store.upsert_posts(posts(1, 5000))
            assert prefetch_threads() == []
    finally:
        blocker.execute("ROLLBACK")
        blocker.close()
    with SQLiteStore(path) as store:
        assert store.count_posts() == 0


def test_open_queue_is_served_by_its_index(tmp_path: Path) -> None:
    with SQLiteStore(tmp_path / "care.db", create_schema=True) as store:
        for i in range(200):
            store.put_conversation(
                Conversation(
                    id=str(i),
                    state=("new", "awaiting_brand", "resolved")[i % 3],
                    priority=i % 5,
                    waiting_since=T0 + dt.timedelta(seconds=i),
                )
            )
        with store._connection() as conn:
            conn.execute("ANALYZE")
            plan = " | ".join(
                row[-1] for row in conn.execute("EXPLAIN QUERY PLAN " + store._QUEUE_SQL, (50,))
            )
    assert "USING INDEX sc_conversations_open_queue" in plan
    assert "TEMP B-TREE" not in plan  # no sort step: rows come in index order


def test_a_forked_child_opens_its_own_connection(tmp_path: Path) -> None:
    if not hasattr(os, "fork"):
        pytest.skip("needs fork")
    path = tmp_path / "care.db"
    with SQLiteStore(path, create_schema=True) as store:
        store.upsert_posts(posts(1, 1))
        with warnings.catch_warnings():  # 3.12+ warns about forking with threads alive
            warnings.simplefilter("ignore", DeprecationWarning)
            pid = os.fork()
        if pid == 0:  # pragma: no cover - runs in the child
            code = 0
            try:
                store.upsert_posts(posts(2, 1))
            except BaseException:
                code = 1
            os._exit(code)
        _, status = os.waitpid(pid, 0)
        assert os.waitstatus_to_exitcode(status) == 0
        assert store.count_posts() == 2


def test_connections_of_finished_threads_are_closed(tmp_path: Path) -> None:
    with SQLiteStore(tmp_path / "care.db", create_schema=True) as store:
        for _ in range(5):
            worker = threading.Thread(target=store.count_posts)
            worker.start()
            worker.join()
        store.count_posts()
        assert len(store._connections) <= 2  # this thread's and at most the last worker's


def test_open_store_urls(tmp_path: Path) -> None:
    assert isinstance(open_store("memory:"), MemoryStore)
    path = tmp_path / "url.db"
    with open_store(f"sqlite:///{path}", create_schema=True) as store:
        assert isinstance(store, SQLiteStore)
        assert Path(store.path) == path
    with open_store("sqlite:///:memory:", create_schema=True) as store:
        assert store.count_posts() == 0
    with pytest.raises(ConfigurationError, match="unknown store URL"):
        open_store("mysql://x")
    with pytest.raises(ConfigurationError, match="names no file"):
        open_store("sqlite://")
    with pytest.raises(ConfigurationError, match="PostgreSQL"):
        open_store("memory:", schema="care")
    with pytest.raises(ConfigurationError, match="PostgreSQL"):
        open_store(f"sqlite:///{path}", schema="care")


def test_bad_options_are_rejected(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="synchronous"):
        SQLiteStore(tmp_path / "x.db", synchronous="SOMETIMES")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="busy_timeout"):
        SQLiteStore(tmp_path / "x.db", busy_timeout=-1)


def test_an_old_sqlite_library_is_a_configuration_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(sqlite3, "sqlite_version_info", (3, 31, 1))
    with pytest.raises(ConfigurationError, match=r"SQLite >= 3\.35"):
        SQLiteStore(tmp_path / "x.db", create_schema=True)


def test_a_click_is_one_autocommit_write_with_the_usual_errors(tmp_path: Path) -> None:
    path = tmp_path / "links.db"
    with SQLiteStore(path, create_schema=True, busy_timeout=0) as store:
        store.put_short_link("go", "https://acme.example/go")
        other = sqlite3.connect(path, isolation_level=None)
        try:
            other.execute("BEGIN IMMEDIATE")  # another writer holds the write lock
            with pytest.raises(StorageError, match="locked by another writer"):
                store.follow_short_link("go")
            with pytest.raises(StorageError, match="locked by another writer"):
                store.record_click("go", bot=True)
            other.execute("ROLLBACK")
        finally:
            other.close()
        assert store.follow_short_link("go") == "https://acme.example/go"
        store.upsert_posts(posts(1, 2))  # the connection is left outside any transaction
        link = store.get_short_link("go")
        assert link is not None
        assert (link.clicks, link.bot_clicks) == (1, 0)
    with SQLiteStore(path, read_only=True) as store:
        with pytest.raises(StorageError, match="read-only"):
            store.follow_short_link("go")
        link = store.get_short_link("go")
        assert link is not None
        assert link.clicks == 1
    store.close()
    with pytest.raises(StorageError, match="closed"):
        store.follow_short_link("go")


def test_clicks_survive_a_process_crash_with_synchronous_normal(tmp_path: Path) -> None:
    path = tmp_path / "links.db"
    with SQLiteStore(path, create_schema=True) as store:
        store.put_short_link("go", "https://acme.example/go")
    pid = os.fork()
    if pid == 0:  # the child: count clicks, then die without closing anything
        code = 3
        try:
            child = SQLiteStore(path, synchronous="NORMAL")
            for _ in range(20):
                child.follow_short_link("go")
            code = 0
        finally:
            os._exit(code)
    _, status = os.waitpid(pid, 0)
    assert os.WEXITSTATUS(status) == 0
    with SQLiteStore(path) as store:
        link = store.get_short_link("go")
        assert link is not None
        assert link.clicks == 20


@pytest.mark.parametrize("synchronous", ["FULL", "NORMAL"])
def test_concurrent_clicks_are_each_counted_once(tmp_path: Path, synchronous: str) -> None:
    with SQLiteStore(tmp_path / "links.db", create_schema=True, synchronous=synchronous) as store:  # type: ignore[arg-type]
        for i in range(4):
            store.put_short_link(f"c{i}", f"https://acme.example/{i}")
        wrong: list[str | None] = []

        def clicks(k: int) -> None:
            for n in range(60):
                code = f"c{(n + k) % 4}"
                url = store.follow_short_link(code, bot=n % 5 == 0)
                if url != f"https://acme.example/{code[1:]}":
                    wrong.append(url)

        threads = [threading.Thread(target=clicks, args=(k,)) for k in range(8)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(60)
        assert wrong == []
        links = [store.get_short_link(f"c{i}") for i in range(4)]
        assert sum(link.clicks for link in links if link) == 8 * 48
        assert sum(link.bot_clicks for link in links if link) == 8 * 12
