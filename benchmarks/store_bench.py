"""Storage benchmark: bulk upsert next to the raw driver, and the open-conversations queue.

Run ``python benchmarks/store_bench.py`` (full size: 100,000 posts per bulk run and
1,000,000 stored posts for the queue) or ``--quick`` for a small run. PostgreSQL is
measured when ``--dsn`` or ``SOCIALCARE_TEST_POSTGRES_DSN`` is set.

Every number is printed next to a peer measured in the same run:

* bulk upsert: the raw driver inserting the same posts into an identical table,
  with plain ``sqlite3.executemany`` or psycopg ``COPY``, both (a) encoding each post
  the plain way, ``json.dumps(post.to_x())``, and (b) with rows encoded beforehand
  (the pure driver floor); and, for reference, (c) the insertion technique the store
  itself uses with everything prepared beforehand (SQLite: multi-row ``INSERT`` of
  1,000 rows; PostgreSQL: ``COPY`` of pre-formatted text), the floor for that technique;
* queue: the same query forced to scan instead of using its index.
"""

# The benchmark loads its fixture data and runs the raw queries through the stores'
# internals (a bulk conversation load, the queue's SQL, a connection for EXPLAIN-like peers).
# ruff: noqa: SLF001, S608
from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import random
import sqlite3
import statistics
import sys
import tempfile
import time
import uuid
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))

from socialcare import Post
from socialcare.storage import SQLiteStore
from socialcare.storage._codec import to_micros

T0 = dt.datetime(2026, 1, 1, tzinfo=dt.timezone.utc)
COLUMNS = "id, conversation_id, author_id, created_at, data"
SENTENCE = "my order is late again where is the refund please help app crashes on login"
WORDS = SENTENCE.split(" ")


def make_posts(count: int, *, start: int = 0, seed: int = 5) -> list[Post]:
    """Customer-care mentions shaped like X's: a mention entity, a thread, a time."""
    rng = random.Random(seed + start)
    out = []
    for n in range(start, start + count):
        pid = str(1_870_000_000_000_000_000 + n)
        words = " ".join(rng.choice(WORDS) for _ in range(rng.randint(6, 16)))
        out.append(
            Post.from_x(
                {
                    "id": pid,
                    "text": f"@acme {words}",
                    "author_id": str(10_000 + rng.randrange(50_000)),
                    "conversation_id": str(1_870_000_000_000_000_000 + n - n % 5),
                    "created_at": (T0 + dt.timedelta(seconds=n)).isoformat(),
                    "lang": "en",
                    "entities": {
                        "mentions": [{"start": 0, "end": 5, "username": "acme", "id": "7"}]
                    },
                    "edit_history_tweet_ids": [pid],
                }
            )
        )
    return out


def plain_row(p: Post) -> tuple[object, ...]:
    created = None if p.created_at is None else to_micros(p.created_at)
    return (p.id, p.conversation_id, p.author_id, created, json.dumps(p.to_x()))


def timed(fn: Callable[[], object]) -> float:
    start = time.perf_counter()
    fn()
    return time.perf_counter() - start


def interleaved(runs: int, contenders: dict[str, Callable[[], float]]) -> dict[str, float]:
    """Best time of each contender, runs interleaved so machine load hits all alike."""
    times: dict[str, list[float]] = {name: [] for name in contenders}
    for _ in range(runs):
        for name, run in contenders.items():
            times[name].append(run())
    return {name: min(values) for name, values in times.items()}


# -- SQLite ---------------------------------------------------------------------------------------


def sqlite_bulk(posts: list[Post], runs: int, tmp: Path) -> dict[str, float]:
    def fresh() -> Path:
        path = tmp / f"{uuid.uuid4().hex}.db"
        SQLiteStore(path, create_schema=True).close()
        return path

    def store_run() -> float:
        with SQLiteStore(fresh()) as store:
            return timed(lambda: store.upsert_posts(posts))

    def raw_run(encode: bool) -> float:
        conn = sqlite3.connect(fresh(), isolation_level=None)
        conn.execute("PRAGMA journal_mode = WAL")
        conn.execute("PRAGMA synchronous = FULL")
        ready = None if encode else [plain_row(p) for p in posts]

        def work() -> None:
            rows = [plain_row(p) for p in posts] if ready is None else ready
            conn.execute("BEGIN IMMEDIATE")
            conn.executemany(f"INSERT INTO sc_posts ({COLUMNS}) VALUES (?, ?, ?, ?, ?)", rows)
            conn.execute("COMMIT")

        elapsed = timed(work)
        conn.close()
        return elapsed

    def multirow_run() -> float:
        # Reference only: the store's statement shape, every parameter prepared beforehand.
        conn = sqlite3.connect(fresh(), isolation_level=None)
        conn.execute("PRAGMA journal_mode = WAL")
        conn.execute("PRAGMA synchronous = FULL")
        per = 1000
        flat = [value for p in posts for value in plain_row(p)]
        chunks = [flat[i : i + 5 * per] for i in range(0, len(flat), 5 * per)]
        insert = f"INSERT INTO sc_posts ({COLUMNS}) VALUES "

        def work() -> None:
            conn.execute("BEGIN IMMEDIATE")
            for params in chunks:
                conn.execute(insert + ", ".join(["(?, ?, ?, ?, ?)"] * (len(params) // 5)), params)
            conn.execute("COMMIT")

        elapsed = timed(work)
        conn.close()
        return elapsed

    return interleaved(
        runs,
        {
            "store": store_run,
            "raw (encode + executemany)": lambda: raw_run(encode=True),
            "raw (executemany of encoded rows)": lambda: raw_run(encode=False),
            "reference: multi-row INSERT of encoded rows": multirow_run,
        },
    )


def sqlite_queue(total: int, tmp: Path, samples: int) -> dict[str, float]:
    path = tmp / "queue.db"
    with SQLiteStore(path, create_schema=True) as store:
        load(store, total)
        with store._connection() as conn:
            conn.execute("ANALYZE")
        sql = store._QUEUE_SQL
        scan = sql.replace("FROM sc_conversations", "FROM sc_conversations NOT INDEXED")
        with store._connection() as conn:
            indexed = latency(lambda: conn.execute(sql, (50,)).fetchall(), samples)
            scanned = latency(lambda: conn.execute(scan, (50,)).fetchall(), max(3, samples // 20))
        api = latency(lambda: store.open_queue(limit=50), samples)
    return {"open_queue()": api, "query (index)": indexed, "query (forced scan)": scanned}


# -- PostgreSQL -----------------------------------------------------------------------------------


def pg_bulk(posts: list[Post], runs: int, dsn: str) -> dict[str, float]:
    import psycopg  # noqa: PLC0415

    from socialcare.storage.postgres import PostgresStore  # noqa: PLC0415

    schemas: list[str] = []

    def fresh() -> str:
        schema = f"sc_bench_{uuid.uuid4().hex[:12]}"
        schemas.append(schema)
        PostgresStore(dsn, schema=schema, create_schema=True).close()
        return schema

    def store_run() -> float:
        with PostgresStore(dsn, schema=fresh()) as store:
            return timed(lambda: store.upsert_posts(posts))

    def raw_run(encode: bool) -> float:
        schema = fresh()
        ready = None if encode else [pg_row(p) for p in posts]
        with psycopg.connect(dsn, options=f"-c search_path={schema}") as conn:

            def work() -> None:
                rows = [pg_row(p) for p in posts] if ready is None else ready
                with conn.cursor() as cur, cur.copy(f"COPY sc_posts ({COLUMNS}) FROM STDIN") as cp:
                    for row in rows:
                        cp.write_row(row)
                conn.commit()

            return timed(work)

    def text_run() -> float:
        # Reference only: COPY text formatted beforehand, written in 1 MB blocks.
        schema = fresh()
        text = "".join(copy_line(p) for p in posts).encode()
        blocks = [text[i : i + (1 << 20)] for i in range(0, len(text), 1 << 20)]
        with psycopg.connect(dsn, options=f"-c search_path={schema}") as conn:

            def work() -> None:
                with conn.cursor() as cur, cur.copy(f"COPY sc_posts ({COLUMNS}) FROM STDIN") as cp:
                    for block in blocks:
                        cp.write(block)
                conn.commit()

            return timed(work)

    try:
        return interleaved(
            runs,
            {
                "store": store_run,
                "raw (encode + COPY)": lambda: raw_run(encode=True),
                "raw (COPY of encoded rows)": lambda: raw_run(encode=False),
                "reference: COPY of pre-formatted text": text_run,
            },
        )
    finally:
        with psycopg.connect(dsn, autocommit=True) as conn:
            for schema in schemas:
                conn.execute(f"DROP SCHEMA {schema} CASCADE")


def pg_row(p: Post) -> tuple[object, ...]:
    return (p.id, p.conversation_id, p.author_id, p.created_at, json.dumps(p.to_x()))


def copy_line(p: Post) -> str:
    """A row of COPY text (the benchmark's posts have every field and no backslash)."""
    data = json.dumps(p.to_x())
    assert "\\" not in data
    return f"{p.id}\t{p.conversation_id}\t{p.author_id}\t{p.created_at}\t{data}\n"


def pg_queue(total: int, dsn: str, samples: int) -> dict[str, float]:
    import psycopg  # noqa: PLC0415

    from socialcare.storage.postgres import PostgresStore  # noqa: PLC0415

    schema = f"sc_bench_{uuid.uuid4().hex[:12]}"
    try:
        with PostgresStore(dsn, schema=schema, create_schema=True) as store:
            load(store, total)
            store._write(lambda tx: tx.run("ANALYZE"))
            api = latency(lambda: store.open_queue(limit=50), samples)
        with psycopg.connect(dsn, options=f"-c search_path={schema}", autocommit=True) as conn:
            sql = store._QUEUE_SQL.replace("?", "%s")
            indexed = latency(lambda: conn.execute(sql, (50,)).fetchall(), samples)
            conn.execute("SET enable_indexscan = off")
            conn.execute("SET enable_bitmapscan = off")
            scanned = latency(lambda: conn.execute(sql, (50,)).fetchall(), max(3, samples // 20))
    finally:
        with psycopg.connect(dsn, autocommit=True) as conn:
            conn.execute(f"DROP SCHEMA IF EXISTS {schema} CASCADE")
    return {"open_queue()": api, "query (index)": indexed, "query (forced scan)": scanned}


# -- shared ---------------------------------------------------------------------------------------


def load(store: SQLiteStore, total: int) -> None:
    """``total`` posts in threads of five, one conversation per thread, a fifth of them open."""
    chunk = 100_000
    for start in range(0, total, chunk):
        store.upsert_posts(make_posts(min(chunk, total - start), start=start))
    rng = random.Random(11)
    rows = []
    for n in range(0, total, 5):
        cid = str(1_870_000_000_000_000_000 + n)
        if rng.random() < 0.2:  # waiting for the brand: the open queue's states
            state = rng.choice(["new", "awaiting_brand"])
        else:
            state = rng.choice(["awaiting_customer", "escalated", "resolved"])
        waiting = store._ts(T0 + dt.timedelta(seconds=rng.randrange(7 * 86_400)))
        queued = state in {"new", "awaiting_brand"}
        rows.append((cid, state, rng.randrange(5), waiting if queued else None))
    store._write(
        lambda tx: tx.many(
            "INSERT INTO sc_conversations (id, channel, state, tags, priority, waiting_since) "
            "VALUES (?, 'public', ?, '[]', ?, ?)",
            rows,
        )
    )


def latency(fn: Callable[[], object], samples: int) -> float:
    fn()  # warm the cache
    return statistics.median(timed(fn) for _ in range(samples))


def report_bulk(name: str, count: int, results: dict[str, float]) -> None:
    store = results["store"]
    print(f"\n{name}: bulk upsert of {count:,} posts (best of runs)")
    print("| what | seconds | posts/s | store vs this |")
    print("|---|---:|---:|---:|")
    for label, seconds in results.items():
        ratio = "" if label == "store" else f"{seconds / store:.0%}"
        print(f"| {label} | {seconds:.2f} | {count / seconds:,.0f} | {ratio} |")


def report_queue(name: str, total: int, results: dict[str, float]) -> None:
    print(f"\n{name}: open-conversations queue, top 50, {total:,} posts stored (median)")
    print("| what | ms |")
    print("|---|---:|")
    for label, seconds in results.items():
        print(f"| {label} | {seconds * 1000:.2f} |")
    ratio = results["query (forced scan)"] / results["query (index)"]
    print(f"index is {ratio:,.0f}x faster than a scan")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--posts", type=int, default=100_000, help="posts per bulk upsert run")
    parser.add_argument(
        "--queue-posts", type=int, default=1_000_000, help="posts stored for the queue"
    )
    parser.add_argument("--runs", type=int, default=3, help="bulk runs per contender (best counts)")
    parser.add_argument("--samples", type=int, default=200, help="queue queries per contender")
    parser.add_argument("--quick", action="store_true", help="10,000 posts, 50,000 for the queue")
    parser.add_argument("--dsn", default=os.environ.get("SOCIALCARE_TEST_POSTGRES_DSN"))
    parser.add_argument("--only", choices=["sqlite", "postgres"], help="one backend only")
    args = parser.parse_args()
    if args.quick:
        args.posts, args.queue_posts, args.runs, args.samples = 10_000, 50_000, 2, 50
    posts = make_posts(args.posts)
    with tempfile.TemporaryDirectory() as tmp:
        if args.only in (None, "sqlite"):
            report_bulk("SQLite", args.posts, sqlite_bulk(posts, args.runs, Path(tmp)))
            report_queue(
                "SQLite", args.queue_posts, sqlite_queue(args.queue_posts, Path(tmp), args.samples)
            )
    if args.only in (None, "postgres"):
        if not args.dsn:
            print("\nPostgreSQL skipped: pass --dsn or set SOCIALCARE_TEST_POSTGRES_DSN")
            return
        report_bulk("PostgreSQL", args.posts, pg_bulk(posts, args.runs, args.dsn))
        report_queue(
            "PostgreSQL", args.queue_posts, pg_queue(args.queue_posts, args.dsn, args.samples)
        )


if __name__ == "__main__":
    main()
