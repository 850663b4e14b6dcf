"""Soak test of the store's invariants: the reliability suite's workloads, many times longer.

Run ``python benchmarks/store_soak.py`` (SQLite, and PostgreSQL when ``--dsn`` or
``SOCIALCARE_TEST_POSTGRES_DSN`` is set); ``--rounds`` scales everything. It runs the
lease, outbox, cursor and audit workloads of ``tests/reliability`` in worker
processes, then SIGKILLs bulk writers ``--kills`` times, and checks the same
invariants as the tests after each step. It prints operations, kills and
violations per backend, and exits 1 when any invariant broke.
"""

from __future__ import annotations

import argparse
import os
import random
import signal
import sys
import tempfile
import time
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT / "src"), str(ROOT / "tests" / "reliability")]

from rel_support import (  # noqa: E402 - the path is set just above
    check_after_kill,
    check_audit,
    check_cursor,
    check_leases,
    check_outbox,
    open_spec,
    run_processes,
    sqlite_integrity,
    start_worker,
)

from socialcare.storage import SQLiteStore  # noqa: E402


def soak(spec: dict[str, str], *, rounds: int, workers: int, kills: int) -> dict[str, int]:
    ops = violations = 0
    for r in range(rounds):

        def run(task: str, r: int = r, **more: object) -> list[dict]:
            return run_processes(
                [
                    {**spec, "task": task, "owner": f"p{i}", "seed": r * 100 + i, **more}
                    for i in range(workers)
                ]
            )

        results = run("lease", key=f"k{r}", ops=400)
        ops += sum(sum(x["counts"].values()) for x in results)
        violations += len(check_leases(results))
        with open_spec(spec) as store:
            keys = [f"r{r}:{i}" for i in range(500)]
            for key in keys:
                store.reserve_action(key, kind="reply", payload={})
            ops += len(keys)
        results = run("outbox")
        ops += sum(x["counts"].get("claimed", 0) + len(x["sent"]) for x in results)
        with open_spec(spec) as store:
            violations += len(check_outbox(store, keys, results))
        results = run("cursor", stream=f"s{r}", ops=500)
        ops += sum(len(x["events"]) for x in results)
        with open_spec(spec) as store:
            violations += len(check_cursor(store, f"s{r}", results))
            first = not store.audit_entries(after_seq=0, limit=1)
        if first:  # the audit check compares the whole log with the appends
            results = run("audit", ops=2000)
            ops += sum(len(x["events"]) for x in results)
            with open_spec(spec) as store:
                violations += len(check_audit(store, results))
    done_kills, kill_violations, kill_ops = kill_writers(spec, kills=kills)
    return {
        "operations": ops + kill_ops,
        "kills": done_kills,
        "violations": violations + kill_violations,
    }


def kill_writers(spec: dict[str, str], *, kills: int, size: int = 2000) -> tuple[int, int, int]:
    rng = random.Random(7)
    finished: set[int] = set()
    batches: list[int] = []
    violations = 0
    with tempfile.TemporaryDirectory() as tmp:
        for round_ in range(kills):
            progress = Path(tmp) / f"p{round_}"
            first = 10_000 + round_ * 1000
            proc = start_worker(
                {
                    **spec,
                    "task": "writer",
                    "first_batch": first,
                    "size": size,
                    "batches": 1000,
                    "progress": str(progress),
                }
            )
            wanted = rng.randint(0, 2)
            while not progress.exists() or len(progress.read_text().split()) < wanted:
                if proc.poll() is not None:
                    raise SystemExit(proc.communicate()[1])
                time.sleep(0.002)
            time.sleep(rng.uniform(0, 0.12))
            proc.send_signal(signal.SIGKILL)
            proc.communicate()
            done = {int(x) for x in progress.read_text().split()}
            finished |= done
            batches += range(first, max(done, default=first - 1) + 3)
            if spec["kind"] == "sqlite" and sqlite_integrity(spec["path"]) != "ok":
                violations += 1
            with open_spec(spec) as store:
                found = check_after_kill(store, batches=batches, size=size, finished=finished)
                violations += len(found)
                for line in found:
                    print("  violation:", line)
    return kills, violations, len(finished) * size


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=10)
    parser.add_argument("--workers", type=int, default=4)
    parser.add_argument("--kills", type=int, default=100)
    parser.add_argument("--dsn", default=os.environ.get("SOCIALCARE_TEST_POSTGRES_DSN"))
    args = parser.parse_args()
    broken = 0
    with tempfile.TemporaryDirectory() as tmp:
        path = str(Path(tmp) / "soak.db")
        SQLiteStore(path, create_schema=True).close()
        backends = [("sqlite", {"kind": "sqlite", "path": path})]
        schema = f"sc_soak_{uuid.uuid4().hex[:12]}"
        if args.dsn:
            from socialcare.storage.postgres import PostgresStore  # noqa: PLC0415 - optional

            PostgresStore(args.dsn, schema=schema, create_schema=True).close()
            backends.append(("postgres", {"kind": "postgres", "dsn": args.dsn, "schema": schema}))
        try:
            for name, spec in backends:
                start = time.perf_counter()
                counts = soak(spec, rounds=args.rounds, workers=args.workers, kills=args.kills)
                took = time.perf_counter() - start
                print(
                    f"{name:9} operations {counts['operations']:>9,}  kills {counts['kills']:>4}  "
                    f"violations {counts['violations']}  ({took:.0f} s)"
                )
                broken += counts["violations"]
        finally:
            if args.dsn:
                import psycopg  # noqa: PLC0415 - optional driver

                with psycopg.connect(args.dsn, autocommit=True) as conn:
                    conn.execute(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')
    sys.exit(1 if broken else 0)


if __name__ == "__main__":
    main()
