"""SIGKILL a writer mid-batch, again and again: the database stays intact and every batch atomic.

A child process bulk-upserts batches of posts (thousands per ``upsert_posts``
call), each followed by an audit entry and an outbox reservation; the parent
kills it with SIGKILL at a random moment. After each kill the parent reopens
the store and checks: the file is intact (SQLite ``PRAGMA integrity_check``),
every batch is fully present or fully absent, batches the child reported done
are there, audit and outbox records read back and agree with the posts, and
new writes succeed. ``benchmarks/store_soak.py`` does the same for hundreds of kills.
"""

from __future__ import annotations

import random
import signal
import sys
import time
from pathlib import Path

import pytest
from rel_support import Db, check_after_kill, sqlite_integrity, start_worker

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(sys.platform == "win32", reason="SIGKILL is POSIX"),
]

ROUNDS = 6
SIZE = 2000


def kill_writer_once(db: Db, tmp_path: Path, round_: int, rng: random.Random) -> set[int]:
    """Start a writer, let it finish a random number of batches, SIGKILL it mid-flight."""
    progress = tmp_path / f"progress-{round_}.txt"
    spec = {
        **db.spec,
        "task": "writer",
        "first_batch": round_ * 1000,
        "size": SIZE,
        "batches": 1000,
        "progress": str(progress),
    }
    proc = start_worker(spec)
    wanted = rng.randint(0, 2)
    deadline = time.monotonic() + 60
    try:
        while not progress.exists() or len(progress.read_text().split()) < wanted:
            if proc.poll() is not None:
                pytest.fail(f"writer exited early: {proc.communicate()[1][-2000:]}")
            if time.monotonic() > deadline:
                pytest.fail("writer made no progress within 60 s")
            time.sleep(0.002)
        time.sleep(rng.uniform(0, 0.12))  # land anywhere: mid-upsert, mid-audit, between
        proc.send_signal(signal.SIGKILL)
    finally:
        proc.kill()
        proc.communicate()
    assert proc.returncode == -signal.SIGKILL
    return {int(line) for line in progress.read_text().split()}


def test_sigkilled_writers_leave_whole_batches_and_a_working_store(db: Db, tmp_path: Path) -> None:
    rng = random.Random(11)
    finished: set[int] = set()
    batches: list[int] = []  # every batch a writer may have touched so far
    for round_ in range(ROUNDS):
        done = kill_writer_once(db, tmp_path, round_, rng)
        finished |= done
        if db.name == "sqlite":
            assert sqlite_integrity(db.spec["path"]) == "ok", f"round {round_}"
        # the killed writer was at most in the batch after its last finished one
        batches += range(round_ * 1000, max(done, default=round_ * 1000 - 1) + 3)
        with db.open() as store:
            violations = check_after_kill(store, batches=batches, size=SIZE, finished=finished)
            assert violations == [], f"round {round_}: {violations}"
    assert finished, "no writer ever finished a batch: the kills came too early to test much"
