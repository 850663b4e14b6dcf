"""Store invariants under real concurrency: threads and processes on SQLite and PostgreSQL.

Leases (exclusive, fencing tokens grow with each new holder), outbox claims
(exclusive, each action sent exactly once, none lost), cursors (never move
back, end at the maximum) and the audit log (unique seqs in commit order,
nothing lost). The checks live in ``rel_support`` and are shared with
``benchmarks/store_soak.py``, which runs the same workloads much longer.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

import pytest
from rel_support import (
    Db,
    Obs,
    check_audit,
    check_cursor,
    check_leases,
    check_outbox,
    run_audit_worker,
    run_cursor_worker,
    run_lease_worker,
    run_outbox_worker,
    run_processes,
    tail_audit,
)

from socialcare.storage import Store

THREADS = 4
PROCESSES = 3


def in_threads(db: Db, count: int, work: Callable[[Store, str, int], Obs]) -> list[Obs]:
    """Run ``work(store, owner, seed)`` in ``count`` threads over two shared store objects."""
    stores = [db.open(), db.open()]
    results: dict[int, Obs] = {}
    errors: list[BaseException] = []
    barrier = threading.Barrier(count)

    def target(i: int) -> None:
        try:
            barrier.wait()
            results[i] = work(stores[i % 2], f"t{i}", i)
        except BaseException as exc:  # reported below, with the thread's traceback
            errors.append(exc)

    threads = [threading.Thread(target=target, args=(i,)) for i in range(count)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    for store in stores:
        store.close()
    if errors:
        raise errors[0]
    return [results[i] for i in range(count)]


def in_processes(db: Db, count: int, **task: Any) -> list[Obs]:
    return run_processes([{**db.spec, **task, "owner": f"p{i}", "seed": i} for i in range(count)])


def counted(results: list[Obs], name: str) -> int:
    return sum(r["counts"].get(name, 0) for r in results)


# -- leases -------------------------------------------------------------------------------------


def test_threads_never_share_a_lease_and_tokens_grow(db: Db) -> None:
    results = in_threads(
        db, THREADS, lambda s, o, seed: run_lease_worker(s, o, key="conv:1", ops=120, seed=seed)
    )
    assert check_leases(results) == []
    assert counted(results, "claim_won") > THREADS  # the lease changed hands
    assert sum(len(r["tokens"]) for r in results) > 0


@pytest.mark.slow
def test_processes_never_share_a_lease_and_tokens_grow(db: Db) -> None:
    results = in_processes(db, PROCESSES, task="lease", key="conv:1", ops=120)
    assert check_leases(results) == []
    assert counted(results, "claim_won") > PROCESSES
    with db.open() as store:
        last = store.list_leases(prefix="conv:")
        seen = max(t for r in results for _, _, t in r["tokens"])
        assert all(lease.token >= seen for lease in last)


# -- the outbox ---------------------------------------------------------------------------------


def _reserve(db: Db, count: int) -> list[str]:
    keys = [f"reply:{i:04d}" for i in range(count)]
    with db.open() as store:
        for key in keys:
            assert store.reserve_action(key, kind="reply", payload={"key": key}).created
    return keys


def test_threads_drain_the_outbox_each_action_sent_once(db: Db) -> None:
    keys = _reserve(db, 150)
    results = in_threads(db, THREADS, lambda s, o, seed: run_outbox_worker(s, o, seed=seed))
    with db.open() as store:
        assert check_outbox(store, keys, results) == []
    assert counted(results, "abandoned") > 0  # some claims had to lapse and be taken again


@pytest.mark.slow
def test_processes_drain_the_outbox_each_action_sent_once(db: Db) -> None:
    keys = _reserve(db, 150)
    results = in_processes(db, PROCESSES, task="outbox")
    with db.open() as store:
        assert check_outbox(store, keys, results) == []
    assert counted(results, "abandoned") > 0


# -- cursors ------------------------------------------------------------------------------------


def test_threads_never_move_a_cursor_back(db: Db) -> None:
    results = in_threads(
        db,
        THREADS,
        lambda s, o, seed: run_cursor_worker(s, o, stream="mentions", ops=150, seed=seed),
    )
    with db.open() as store:
        assert check_cursor(store, "mentions", results) == []


@pytest.mark.slow
def test_processes_never_move_a_cursor_back(db: Db) -> None:
    results = in_processes(db, PROCESSES, task="cursor", stream="mentions", ops=150)
    with db.open() as store:
        assert check_cursor(store, "mentions", results) == []


# -- the audit log ------------------------------------------------------------------------------


def test_threads_append_audit_unique_ordered_and_complete(db: Db) -> None:
    stop = threading.Event()
    tailed: list[int] = []
    with db.open() as reader:
        tail = threading.Thread(target=lambda: tailed.extend(tail_audit(reader, stop)))
        tail.start()
        try:
            results = in_threads(
                db, THREADS, lambda s, o, seed: run_audit_worker(s, o, ops=150, seed=seed)
            )
        finally:
            stop.set()
            tail.join()
        assert check_audit(reader, results, tailed) == []
    assert len(tailed) == THREADS * 150


@pytest.mark.slow
def test_processes_append_audit_unique_ordered_and_complete(db: Db) -> None:
    stop = threading.Event()
    tailed: list[int] = []
    with db.open() as reader:
        tail = threading.Thread(target=lambda: tailed.extend(tail_audit(reader, stop)))
        tail.start()
        try:
            results = in_processes(db, PROCESSES, task="audit", ops=150)
        finally:
            stop.set()
            tail.join()
        assert check_audit(reader, results, tailed) == []
    assert len(tailed) == PROCESSES * 150
