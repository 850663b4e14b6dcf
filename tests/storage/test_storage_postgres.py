"""PostgreSQL specifics: missing driver, wrong DSN, killed connections, schema versions, plans."""

from __future__ import annotations

import datetime as dt
import importlib
import sys
import threading
import uuid
from collections.abc import Iterator

import pytest
from storage_support import drop_pg_schema, require_driver, require_postgres

from socialcare import ConfigurationError, Post, SchemaVersionError, StorageError
from socialcare.models import Conversation
from socialcare.storage import SCHEMA_VERSION
from socialcare.storage._sql import Tx

T0 = dt.datetime(2026, 1, 1, tzinfo=dt.timezone.utc)


def test_missing_driver_names_the_extra(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "psycopg", None)
    monkeypatch.delitem(sys.modules, "socialcare.storage.postgres", raising=False)
    with pytest.raises(ConfigurationError, match=r"pip install 'socialcare\[postgres\]'"):
        importlib.import_module("socialcare.storage.postgres")
    monkeypatch.delitem(sys.modules, "socialcare.storage.postgres", raising=False)


def test_bad_schema_names_are_rejected() -> None:
    require_driver()
    from socialcare.storage.postgres import PostgresStore  # noqa: PLC0415

    with pytest.raises(ValueError, match="schema"):
        PostgresStore("postgresql://x@127.0.0.1:1/x", schema='x"; DROP TABLE y; --')


def test_wrong_dsn_is_a_clear_storage_error() -> None:
    require_driver()
    from socialcare.storage.postgres import PostgresStore  # noqa: PLC0415

    with pytest.raises(
        StorageError, match=r"cannot connect to PostgreSQL database nope at 127\.0\.0\.1:1"
    ):
        PostgresStore("postgresql://nobody:secret@127.0.0.1:1/nope", connect_timeout=2)
    with pytest.raises(StorageError) as caught:
        PostgresStore("postgresql://nobody:secret@127.0.0.1:1/nope", connect_timeout=2)
    assert "secret" not in str(caught.value)


@pytest.mark.postgres
def test_unknown_role_is_a_clear_storage_error() -> None:
    dsn = require_postgres()
    from psycopg.conninfo import conninfo_to_dict, make_conninfo  # noqa: PLC0415

    from socialcare.storage.postgres import PostgresStore  # noqa: PLC0415

    info = conninfo_to_dict(dsn)
    info["user"] = "no_such_role_socialcare"
    with pytest.raises(StorageError, match="no_such_role_socialcare"):
        PostgresStore(make_conninfo("", **info), connect_timeout=2)


@pytest.fixture
def pg() -> Iterator[tuple[str, str]]:
    dsn = require_postgres()
    schema = f"sc_t_{uuid.uuid4().hex[:16]}"
    try:
        yield dsn, schema
    finally:
        drop_pg_schema(dsn, schema)


@pytest.mark.postgres
def test_schema_versions(pg: tuple[str, str]) -> None:
    from socialcare.storage.postgres import PostgresStore  # noqa: PLC0415

    dsn, schema = pg
    with pytest.raises(SchemaVersionError, match="create_schema=True") as caught:
        PostgresStore(dsn, schema=schema)
    assert caught.value.found is None
    with PostgresStore(dsn, schema=schema, create_schema=True) as store:
        store.create_schema()
        assert store.schema_version() == SCHEMA_VERSION
        store._write(
            lambda tx: tx.run(
                "INSERT INTO sc_schema (version, applied_at) VALUES (?, now())",
                (SCHEMA_VERSION + 1,),
            )
        )
    with pytest.raises(SchemaVersionError, match="upgrade socialcare"):
        PostgresStore(dsn, schema=schema)


@pytest.mark.postgres
def test_an_older_schema_is_migrated_forward(pg: tuple[str, str]) -> None:
    import psycopg  # noqa: PLC0415

    from socialcare.storage._schema import MIGRATIONS, VERSION_TABLE  # noqa: PLC0415
    from socialcare.storage.postgres import _TYPES, PostgresStore  # noqa: PLC0415

    dsn, schema = pg
    with psycopg.connect(dsn, options=f"-c search_path={schema}") as conn:
        conn.execute(f"CREATE SCHEMA {schema}")
        for statement in (VERSION_TABLE, *MIGRATIONS[0]):
            conn.execute(statement.format_map(_TYPES))
        conn.execute("INSERT INTO sc_schema (version, applied_at) VALUES (1, now())")
        conn.execute('INSERT INTO sc_posts (id, data) VALUES (\'1\', \'{"id":"1","text":"v1"}\')')
    with pytest.raises(SchemaVersionError, match="version 1, this code needs") as caught:
        PostgresStore(dsn, schema=schema)
    assert caught.value.found == 1
    with PostgresStore(dsn, schema=schema, create_schema=True) as store:
        assert store.schema_version() == SCHEMA_VERSION
        assert store.get_post("1") == Post(id="1", text="v1")
        indexes = store._read(
            lambda tx: tx.all("SELECT indexname FROM pg_indexes WHERE schemaname = ?", (schema,))
        )
    assert ("sc_conversations_open_queue",) in indexes


@pytest.mark.postgres
def test_schema_5_maps_the_old_conversation_states(pg: tuple[str, str]) -> None:
    import psycopg  # noqa: PLC0415

    from socialcare.storage._schema import MIGRATIONS, VERSION_TABLE  # noqa: PLC0415
    from socialcare.storage.postgres import _TYPES, PostgresStore  # noqa: PLC0415

    dsn, schema = pg
    with psycopg.connect(dsn, options=f"-c search_path={schema}") as conn:
        conn.execute(f"CREATE SCHEMA {schema}")
        conn.execute(VERSION_TABLE.format_map(_TYPES))
        for version, step in enumerate(MIGRATIONS[:4], start=1):
            for statement in step:
                rendered = statement.format_map(_TYPES)
                if rendered.strip():
                    conn.execute(rendered)
            conn.execute(
                "INSERT INTO sc_schema (version, applied_at) VALUES (%s, now())", (version,)
            )
        for cid, state in (("a", "open"), ("b", "pending"), ("c", "closed")):
            conn.execute(
                "INSERT INTO sc_conversations (id, channel, state, tags, priority, waiting_since) "
                "VALUES (%s, 'public', %s, '[]', 0, %s)",
                (cid, state, T0 if state == "open" else None),
            )
    with PostgresStore(dsn, schema=schema, create_schema=True) as store:
        states = {c.id: c.state for c in store.find_conversations()}
        assert states == {"a": "awaiting_brand", "b": "awaiting_customer", "c": "resolved"}
        assert [c.id for c in store.open_queue()] == ["a"]


@pytest.mark.postgres
def test_schema_7_gives_existing_leases_their_renewal_time(pg: tuple[str, str]) -> None:
    import psycopg  # noqa: PLC0415

    from socialcare import ManualClock  # noqa: PLC0415
    from socialcare.storage._schema import MIGRATIONS, VERSION_TABLE  # noqa: PLC0415
    from socialcare.storage.postgres import _TYPES, PostgresStore  # noqa: PLC0415

    dsn, schema = pg
    with psycopg.connect(dsn, options=f"-c search_path={schema}") as conn:
        conn.execute(f"CREATE SCHEMA {schema}")
        conn.execute(VERSION_TABLE.format_map(_TYPES))
        for version, step in enumerate(MIGRATIONS[:6], start=1):
            for statement in step:
                rendered = statement.format_map(_TYPES)
                if rendered.strip():
                    conn.execute(rendered)
            conn.execute(
                "INSERT INTO sc_schema (version, applied_at) VALUES (%s, now())", (version,)
            )
        conn.execute(
            "INSERT INTO sc_leases (key, owner, acquired_at, expires_at, token) "
            "VALUES (%s, %s, %s, %s, %s)",
            ("stream:brand", "w1", T0, T0 + dt.timedelta(hours=1), 4),
        )
    clock = ManualClock(T0)
    for _ in range(2):  # create_schema is idempotent: the second open applies nothing
        with PostgresStore(dsn, schema=schema, create_schema=True, clock=clock) as store:
            assert store.schema_version() == SCHEMA_VERSION
            lease = store.get_lease("stream:brand")
            assert lease is not None
            assert (lease.owner, lease.token, lease.renewed_at) == ("w1", 4, T0)
            versions = store._read(lambda tx: tx.all("SELECT version FROM sc_schema"))
    assert sorted(v for (v,) in versions) == list(range(1, SCHEMA_VERSION + 1))


def _backend_pids(dsn: str, application_name: str) -> list[int]:
    import psycopg  # noqa: PLC0415

    with psycopg.connect(dsn, autocommit=True) as admin:
        rows = admin.execute(
            "SELECT pid FROM pg_stat_activity WHERE application_name = %s", (application_name,)
        ).fetchall()
    return [row[0] for row in rows]


def _terminate(dsn: str, application_name: str) -> int:
    import psycopg  # noqa: PLC0415

    pids = _backend_pids(dsn, application_name)
    with psycopg.connect(dsn, autocommit=True) as admin:
        for pid in pids:
            admin.execute("SELECT pg_terminate_backend(%s)", (pid,))
    return len(pids)


@pytest.mark.postgres
def test_pool_recovers_after_the_server_kills_its_connections(pg: tuple[str, str]) -> None:
    from socialcare.storage.postgres import PostgresStore  # noqa: PLC0415

    dsn, schema = pg
    name = f"sc-restart-{uuid.uuid4().hex[:8]}"
    with PostgresStore(
        dsn, schema=schema, create_schema=True, application_name=name, min_size=2, max_size=2
    ) as store:
        store.upsert_posts([Post(id=str(i), text="before") for i in range(1, 601)])
        assert store.claim_lease("conversation:1", "agent", ttl=600)
        assert _terminate(dsn, name) >= 1  # as a server restart would
        assert store.count_posts() == 600  # the next call works: the pool reconnected
        assert store.get_post("600") == Post(id="600", text="before")
        lease = store.get_lease("conversation:1")
        assert lease is not None
        assert lease.owner == "agent"
        store.upsert_posts([Post(id="601", text="after")])
        assert store.count_posts() == 601


@pytest.mark.postgres
def test_connection_killed_mid_transaction_rolls_back(pg: tuple[str, str]) -> None:
    import psycopg  # noqa: PLC0415

    from socialcare.storage.postgres import PostgresStore  # noqa: PLC0415

    dsn, schema = pg
    with PostgresStore(dsn, schema=schema, create_schema=True, max_size=2) as store:
        store.upsert_posts([Post(id="1", text="committed")])

        def doomed(tx: Tx) -> None:
            tx.run('INSERT INTO sc_posts (id, data) VALUES (\'2\', \'{"id":"2","text":"lost"}\')')
            tx.one("SELECT pg_terminate_backend(pg_backend_pid())")

        with pytest.raises(StorageError, match="lost the connection") as caught:
            store._write(doomed)
        assert isinstance(caught.value.__cause__, psycopg.OperationalError)
        assert store.get_post("1") == Post(id="1", text="committed")
        assert store.get_post("2") is None
        assert store.count_posts() == 1


@pytest.mark.postgres
def test_missing_tables_are_a_clear_error(pg: tuple[str, str]) -> None:
    from socialcare.storage.postgres import PostgresStore  # noqa: PLC0415

    dsn, schema = pg
    with PostgresStore(dsn, schema=schema, create_schema=True) as store:
        store._write(lambda tx: tx.run("DROP TABLE sc_leases"))
        with pytest.raises(StorageError, match="create_schema"):
            store.claim_lease("k", "a", ttl=1)


@pytest.mark.postgres
def test_open_queue_is_served_by_its_index(pg: tuple[str, str]) -> None:
    from socialcare.storage.postgres import PostgresStore  # noqa: PLC0415

    dsn, schema = pg
    with PostgresStore(dsn, schema=schema, create_schema=True) as store:
        rows = [
            (str(i), "awaiting_brand" if i % 4 else "resolved", i % 5, T0 + dt.timedelta(seconds=i))
            for i in range(20_000)
        ]
        store._write(
            lambda tx: tx.many(
                "INSERT INTO sc_conversations (id, channel, state, tags, priority, waiting_since) "
                "VALUES (?, 'public', ?, '[]', ?, ?)",
                rows,
            )
        )
        store._write(lambda tx: tx.run("ANALYZE sc_conversations"))
        plan = store._read(
            lambda tx: [row[0] for row in tx.all("EXPLAIN " + store._QUEUE_SQL, (50,))]
        )
        text = "\n".join(plan)
        assert "Index Scan using sc_conversations_open_queue" in text, text
        assert "Sort" not in text, text
        queue = store.open_queue(limit=3)
        assert [c.priority for c in queue] == [4, 4, 4]
        assert queue[0] == Conversation(  # 4 is closed (every fourth), 9 is next with 4
            id="9", state="awaiting_brand", priority=4, waiting_since=T0 + dt.timedelta(seconds=9)
        )


@pytest.mark.postgres
def test_bulk_upsert_is_atomic_across_chunks(
    pg: tuple[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    from socialcare.storage import postgres  # noqa: PLC0415

    dsn, schema = pg
    monkeypatch.setattr(postgres, "_CHUNK", 100)
    batch = [Post(id=str(i), text=f"post {i}") for i in range(1, 1201)]
    with postgres.PostgresStore(dsn, schema=schema, create_schema=True) as store:
        assert store.upsert_posts(batch) == 1200
        assert store.get_posts([p.id for p in batch]) == batch
        real = postgres.stored_post_json

        def failing(post: Post) -> str:
            if post.id == "1100":
                raise RuntimeError("encoder failed mid-batch")
            return real(post)

        monkeypatch.setattr(postgres, "stored_post_json", failing)
        changed = [Post(id=p.id, text="changed") for p in batch]
        with pytest.raises(RuntimeError, match="mid-batch"):
            store.upsert_posts(changed)
        assert store.get_posts([p.id for p in batch]) == batch  # no chunk of it landed


@pytest.mark.postgres
def test_bulk_upsert_falls_back_when_a_new_post_appears_meanwhile(
    pg: tuple[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    from socialcare.storage import postgres  # noqa: PLC0415

    dsn, schema = pg
    with postgres.PostgresStore(dsn, schema=schema, create_schema=True) as store:
        store.upsert_posts([Post(id="5", text="old"), Post(id="7", text="old")])
        # As if another writer stored 5 and 7 between the existence check and the COPY.
        monkeypatch.setattr(
            postgres, "_EXISTING_POSTS", "SELECT NULL::text WHERE %s::text[] IS NOT NULL"
        )
        batch = [Post(id=str(i), text="new") for i in range(1, 11)]
        assert store.upsert_posts(batch) == 10
        assert store.get_posts([str(i) for i in range(1, 11)]) == batch
        assert store.count_posts() == 10


def prefetch_threads() -> list[threading.Thread]:
    return [t for t in threading.enumerate() if t.name == "socialcare-prefetch"]


def numbered(start: int, count: int, text: str = "post") -> list[Post]:
    return [Post(id=str(i), text=f"{text} {i}", author_id="9") for i in range(start, start + count)]


@pytest.mark.postgres
def test_an_encoder_error_mid_copy_rolls_back_the_whole_upsert(
    pg: tuple[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    from socialcare.storage import postgres  # noqa: PLC0415

    dsn, schema = pg
    monkeypatch.setattr(postgres, "_COPY_CHUNK", 100)
    with postgres.PostgresStore(dsn, schema=schema, create_schema=True) as store:
        earlier = numbered(1, 200)
        store.upsert_posts(earlier)
        real = postgres.stored_post_json

        def failing(post: Post) -> str:
            if post.id == "2950":
                raise RuntimeError("encoder failed mid-batch")
            return real(post)

        monkeypatch.setattr(postgres, "stored_post_json", failing)
        fresh = numbered(2000, 1000)  # ten blocks of COPY data; the last one fails
        with pytest.raises(RuntimeError, match="mid-batch"):
            store.upsert_posts(fresh)
        assert prefetch_threads() == []
        assert store.count_posts() == 200
        assert store.get_posts([p.id for p in earlier]) == earlier
        monkeypatch.setattr(postgres, "stored_post_json", real)
        assert store.upsert_posts(fresh) == 1000  # the pooled connection is fine afterwards
        assert store.count_posts() == 1200


@pytest.mark.postgres
def test_a_database_error_mid_batch_rolls_back_the_whole_upsert(
    pg: tuple[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    from socialcare.storage import postgres  # noqa: PLC0415

    dsn, schema = pg
    monkeypatch.setattr(postgres, "_COPY_CHUNK", 100)
    monkeypatch.setattr(postgres, "_CHUNK", 30)
    with postgres.PostgresStore(dsn, schema=schema, create_schema=True) as store:
        earlier = numbered(1, 100)
        store.upsert_posts(earlier)
        store._write(
            lambda tx: tx.run(
                "ALTER TABLE sc_posts ADD CONSTRAINT refused CHECK "
                "(id <> '4321' AND position('forbidden' in data::text) = 0)"
            )
        )
        # On the COPY path (nothing of the batch is stored yet) ...
        with pytest.raises(StorageError, match="refused"):
            store.upsert_posts(numbered(1000, 5000))
        assert prefetch_threads() == []
        assert store.count_posts() == 100
        # ... and on the ON CONFLICT path (stored posts, one of them now refused).
        changed = numbered(1, 100, text="changed")
        changed[77] = Post(id="78", text="forbidden", author_id="9")
        with pytest.raises(StorageError, match="refused"):
            store.upsert_posts([*changed, *numbered(1000, 500)])
        assert prefetch_threads() == []
        assert store.count_posts() == 100
        assert store.get_posts([p.id for p in earlier]) == earlier
        assert store.upsert_posts(numbered(1000, 3000)) == 3000  # and the next batch works


@pytest.mark.postgres
def test_a_mixed_batch_falls_back_when_the_check_misses_stored_posts(
    pg: tuple[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    from socialcare.storage import postgres  # noqa: PLC0415

    dsn, schema = pg
    monkeypatch.setattr(postgres, "_COPY_CHUNK", 50)
    monkeypatch.setattr(postgres, "_CHUNK", 70)
    with postgres.PostgresStore(dsn, schema=schema, create_schema=True) as store:
        store.upsert_posts(numbered(1, 300, text="old"))
        batch = numbered(1, 600, text="new")
        # As if all but the smallest stored id appeared between the check and the COPY.
        monkeypatch.setattr(
            postgres, "_EXISTING_POSTS", "SELECT min(id) FROM sc_posts WHERE id = ANY(%s::text[])"
        )
        assert store.upsert_posts(batch) == 600
        assert store.get_posts([p.id for p in batch]) == batch
        assert store.count_posts() == 600


@pytest.mark.postgres
def test_open_store_keeps_the_tables_in_the_schema_the_url_names(pg: tuple[str, str]) -> None:
    from socialcare.storage import open_store  # noqa: PLC0415
    from socialcare.storage.postgres import PostgresStore  # noqa: PLC0415

    dsn, schema = pg
    if not dsn.startswith(("postgresql://", "postgres://")):
        pytest.skip("the test DSN is not a URL")
    joined = "&" if "?" in dsn else "?"
    post = Post(id="7", text="in the schema", author_id="1")
    with open_store(f"{dsn}{joined}schema={schema}", create_schema=True) as store:
        store.upsert_posts([post])
    with PostgresStore(dsn, schema=schema) as store:  # the same tables, found by name
        assert store.get_post("7") == post
    with open_store(dsn, schema=schema) as store:  # the argument does the same
        assert store.get_post("7") == post
    with pytest.raises(ConfigurationError, match="different schemas"):
        open_store(f"{dsn}{joined}schema={schema}", schema="other")
    with pytest.raises(ConfigurationError, match="lowercase"):
        open_store(f"{dsn}{joined}schema=Care")
